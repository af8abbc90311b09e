# Copyright 2026 Governed Commerce Sync
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
import base64
import csv
import io

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError

HEADER = [
    "program_id",
    "program",
    "version",
    "currency",
    "orders",
    "reward_lines",
    "discount_granted",
    "credited_back",
    "net_discount",
]


class PromotionSettlementWizard(models.TransientModel):
    """Settlement of a period: posted on the books (accountants), or exported as a CSV of
    discounts granted per program and version."""

    _name = "promotion.settlement.wizard"
    _description = "Promotion Settlement"

    date_from = fields.Date(
        required=True,
        default=lambda self: fields.Date.today().replace(day=1),
        help="First day of confirmed orders counted (included).",
    )
    date_to = fields.Date(
        required=True,
        default=fields.Date.context_today,
        help="Last day of confirmed orders counted (included).",
    )
    program_ids = fields.Many2many(
        "loyalty.program",
        string="Programs",
        context={"active_test": False},
        help="Export only (leave empty for every program); posting on the books settles every "
        "program of the company.",
    )
    company_id = fields.Many2one("res.company", required=True, default=lambda s: s.env.company)
    attachment_id = fields.Many2one("ir.attachment", readonly=True)
    line_count = fields.Integer(readonly=True)

    @api.constrains("date_from", "date_to")
    def _check_dates(self):
        for wizard in self:
            if wizard.date_to < wizard.date_from:
                raise UserError(self.env._("The period ends before it starts."))

    def _rows(self):
        """One row per (program, version, currency): read_group on the order lines and on
        the credit note lines, never line by line."""
        self.ensure_one()
        start = fields.Datetime.to_datetime(self.date_from)
        end = fields.Datetime.to_datetime(self.date_to).replace(hour=23, minute=59, second=59)
        domain = [
            ("promotion_program_id", "!=", False),
            ("state", "=", "sale"),
            ("order_id.date_order", ">=", start),
            ("order_id.date_order", "<=", end),
            ("company_id", "=", self.company_id.id),
        ]
        if self.program_ids:
            domain.append(("promotion_program_id", "in", self.program_ids.ids))
        groups = (
            self.env["sale.order.line"]
            .with_context(active_test=False)
            ._read_group(
                domain,
                ["promotion_program_id", "promotion_snapshot_id", "currency_id"],
                ["order_id:count_distinct", "__count", "promotion_discount_amount:sum"],
            )
        )
        credit_domain = [
            ("promotion_program_id", "!=", False),
            ("move_id.move_type", "=", "out_refund"),
            ("parent_state", "=", "posted"),
            ("date", ">=", self.date_from),
            ("date", "<=", self.date_to),
            ("company_id", "=", self.company_id.id),
        ]
        if self.program_ids:
            credit_domain.append(("promotion_program_id", "in", self.program_ids.ids))
        # A refunded discount line is negative on the credit note: its subtotal is what the
        # customer gives back of the discount.
        credits = {
            (program.id, snapshot.id, currency.id): -amount
            for program, snapshot, currency, amount in self.env["account.move.line"]._read_group(
                credit_domain,
                ["promotion_program_id", "promotion_snapshot_id", "currency_id"],
                ["price_subtotal:sum"],
            )
        }
        rows = []
        for program, snapshot, currency, orders, lines, granted in groups:
            credited = credits.get((program.id, snapshot.id, currency.id), 0.0)
            rows.append(
                [
                    program.id,
                    program.name,
                    snapshot.version or "",
                    currency.name,
                    orders,
                    lines,
                    round(granted, 2),
                    round(credited, 2),
                    round(granted - credited, 2),
                ]
            )
        rows.sort(key=lambda r: (r[1], r[0], str(r[2])))
        return rows

    def action_export(self):
        self.ensure_one()
        rows = self._rows()
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(HEADER)
        writer.writerows(rows)
        name = f"promotion-settlement-{self.date_from}-{self.date_to}.csv"
        attachment = self.env["ir.attachment"].create(
            {
                "name": name,
                "type": "binary",
                "datas": base64.b64encode(buffer.getvalue().encode()),
                "mimetype": "text/csv",
                "res_model": self._name,
                "res_id": self.id,
            }
        )
        self.write({"attachment_id": attachment.id, "line_count": len(rows)})
        return {
            "type": "ir.actions.act_url",
            "url": f"/web/content/{attachment.id}?download=true",
            "target": "self",
        }

    def action_settle(self):
        """Post the promotion settlement of the period (or adjust the one posted for exactly
        that period) and open it. Accountants only; every program of the company."""
        self.ensure_one()
        Settlement = self.env["promotion.settlement"]
        Settlement._check_accountant()
        Settlement.check_access("create")
        if self.company_id not in self.env.user.company_ids:
            raise AccessError(
                self.env._("You may only settle the promotions of your own companies.")
            )
        settlement = Settlement.sudo()._settle_period(self.company_id, self.date_from, self.date_to)
        return {
            "type": "ir.actions.act_window",
            "res_model": settlement._name,
            "res_id": settlement.id,
            "view_mode": "form",
            "target": "current",
        }
