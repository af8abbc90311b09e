# Copyright 2026 Governed Commerce Sync
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo import fields, models, tools
from odoo.tools import SQL


class PromotionSettlementReconciliation(models.Model):
    """Postings against activity, per settled period, program and version, in company
    currency: the discounts on posted invoices net of credit notes, the discounts on
    confirmed orders of the period, and the discounts the settlement entries posted. Activity
    of no settled period shows with an empty settlement."""

    _name = "promotion.settlement.reconciliation"
    _description = "Promotion Settlement Reconciliation"
    _auto = False
    _order = "date_to desc, program_id, version"
    # Flushed before the view is read: what its query reads.
    _depends = {
        "account.move": ["move_type", "state", "promotion_settlement_id"],
        "account.move.line": [
            "balance",
            "company_id",
            "date",
            "move_id",
            "promotion_program_id",
            "promotion_snapshot_id",
            "promotion_settlement_role",
        ],
        "sale.order": ["company_id", "currency_rate", "date_order", "state"],
        "sale.order.line": [
            "order_id",
            "promotion_discount_amount",
            "promotion_program_id",
            "promotion_snapshot_id",
        ],
        "promotion.settlement": ["company_id", "date_from", "date_to"],
        "promotion.snapshot": ["version"],
    }

    settlement_id = fields.Many2one("promotion.settlement", readonly=True)
    company_id = fields.Many2one("res.company", readonly=True)
    currency_id = fields.Many2one("res.currency", readonly=True)
    date_from = fields.Date(readonly=True)
    date_to = fields.Date(readonly=True)
    program_id = fields.Many2one(
        "loyalty.program", "Promotion", readonly=True, context={"active_test": False}
    )
    snapshot_id = fields.Many2one("promotion.snapshot", "Approved version", readonly=True)
    version = fields.Integer(readonly=True)
    invoiced_discount = fields.Monetary(
        "Discount on invoices",
        readonly=True,
        help="Discount lines of posted invoices of the period, less those of credit notes.",
    )
    order_discount = fields.Monetary(
        "Discount on orders",
        readonly=True,
        help="Discounts granted on orders confirmed in the period (free products at their "
        "price: they reduce no invoiced revenue).",
    )
    posted_discount = fields.Monetary(
        "Discount posted", readonly=True, help="What the settlement's posted entries settled."
    )
    difference = fields.Monetary(
        readonly=True, help="Discount on invoices less discount posted: zero when on the books."
    )
    not_invoiced = fields.Monetary(
        readonly=True, help="Discount on orders less discount on invoices (information)."
    )
    mismatch = fields.Boolean(
        readonly=True, help="Postings and invoices disagree, or the activity is not settled."
    )

    def init(self):
        tools.drop_view_if_exists(self.env.cr, self._table)
        self.env.cr.execute(
            SQL("CREATE VIEW %s AS (%s)", SQL.identifier(self._table), self._query())
        )

    def _query(self):
        return SQL(
            """
            WITH invoiced AS (
                SELECT s.id AS settlement_id, aml.company_id, aml.promotion_program_id AS program_id,
                       aml.promotion_snapshot_id AS snapshot_id, SUM(aml.balance) AS amount
                  FROM account_move_line aml
                  JOIN account_move m ON m.id = aml.move_id
             LEFT JOIN promotion_settlement s
                    ON s.company_id = aml.company_id AND aml.date BETWEEN s.date_from AND s.date_to
                 WHERE aml.promotion_program_id IS NOT NULL
                   AND m.move_type IN ('out_invoice', 'out_refund') AND m.state = 'posted'
              GROUP BY 1, 2, 3, 4
            ), ordered AS (
                SELECT s.id AS settlement_id, so.company_id, sol.promotion_program_id AS program_id,
                       sol.promotion_snapshot_id AS snapshot_id,
                       SUM(sol.promotion_discount_amount / COALESCE(NULLIF(so.currency_rate, 0), 1))
                           AS amount
                  FROM sale_order_line sol
                  JOIN sale_order so ON so.id = sol.order_id
             LEFT JOIN promotion_settlement s
                    ON s.company_id = so.company_id
                   AND so.date_order::date BETWEEN s.date_from AND s.date_to
                 WHERE sol.promotion_program_id IS NOT NULL AND so.state = 'sale'
              GROUP BY 1, 2, 3, 4
            ), posted AS (
                SELECT m.promotion_settlement_id AS settlement_id, aml.company_id,
                       aml.promotion_program_id AS program_id,
                       aml.promotion_snapshot_id AS snapshot_id, SUM(aml.balance) AS amount
                  FROM account_move_line aml
                  JOIN account_move m ON m.id = aml.move_id
                 WHERE m.promotion_settlement_id IS NOT NULL AND m.state = 'posted'
                   AND aml.promotion_settlement_role = 'discount'
              GROUP BY 1, 2, 3, 4
            ), keys AS (
                SELECT settlement_id, company_id, program_id, snapshot_id FROM invoiced
                 UNION
                SELECT settlement_id, company_id, program_id, snapshot_id FROM ordered
                 UNION
                SELECT settlement_id, company_id, program_id, snapshot_id FROM posted
            ), figures AS (
                SELECT k.*, COALESCE(i.amount, 0) AS invoiced_discount,
                       COALESCE(o.amount, 0) AS order_discount,
                       COALESCE(p.amount, 0) AS posted_discount
                  FROM keys k
             LEFT JOIN invoiced i ON i.settlement_id IS NOT DISTINCT FROM k.settlement_id
                   AND i.company_id = k.company_id AND i.program_id = k.program_id
                   AND i.snapshot_id IS NOT DISTINCT FROM k.snapshot_id
             LEFT JOIN ordered o ON o.settlement_id IS NOT DISTINCT FROM k.settlement_id
                   AND o.company_id = k.company_id AND o.program_id = k.program_id
                   AND o.snapshot_id IS NOT DISTINCT FROM k.snapshot_id
             LEFT JOIN posted p ON p.settlement_id IS NOT DISTINCT FROM k.settlement_id
                   AND p.company_id = k.company_id AND p.program_id = k.program_id
                   AND p.snapshot_id IS NOT DISTINCT FROM k.snapshot_id
            )
            SELECT ROW_NUMBER() OVER (
                       ORDER BY f.company_id, f.settlement_id NULLS FIRST, f.program_id,
                                f.snapshot_id NULLS FIRST
                   ) AS id,
                   f.settlement_id, f.company_id, c.currency_id, s.date_from, s.date_to,
                   f.program_id, f.snapshot_id, ps.version,
                   f.invoiced_discount, f.order_discount, f.posted_discount,
                   f.invoiced_discount - f.posted_discount AS difference,
                   f.order_discount - f.invoiced_discount AS not_invoiced,
                   ABS(f.invoiced_discount - f.posted_discount) >= cur.rounding / 2 AS mismatch
              FROM figures f
              JOIN res_company c ON c.id = f.company_id
              JOIN res_currency cur ON cur.id = c.currency_id
         LEFT JOIN promotion_settlement s ON s.id = f.settlement_id
         LEFT JOIN promotion_snapshot ps ON ps.id = f.snapshot_id
            """
        )
