# Copyright 2026 Governed Commerce Sync
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo import api, fields, models
from odoo.exceptions import UserError

PROMOTION_FIELDS = frozenset({"promotion_snapshot_ids", "promotion_program_ids"})


class StockPicking(models.Model):
    """A delivery of a sale order keeps the promotions (program and approved version) its order
    got, and a return keeps those of the delivery it returns, as credit notes keep those of
    their invoice."""

    _inherit = "stock.picking"

    promotion_snapshot_ids = fields.Many2many(
        "promotion.snapshot",
        "stock_picking_promotion_snapshot_rel",
        "picking_id",
        "snapshot_id",
        string="Promotion versions",
        compute="_compute_promotion_snapshot_ids",
        store=True,
        readonly=True,
        help="The approved versions of the promotions the sale order got; a return keeps "
        "those of the delivery it returns.",
    )
    promotion_program_ids = fields.Many2many(
        "loyalty.program",
        "stock_picking_promotion_program_rel",
        "picking_id",
        "program_id",
        string="Promotions",
        compute="_compute_promotion_program_ids",
        store=True,
        readonly=True,
        context={"active_test": False},
    )

    @api.depends("sale_id", "return_id")
    def _compute_promotion_snapshot_ids(self):
        # Not on the order's lines: a delivery keeps what the order had when it was made.
        for picking in self:
            if picking.return_id:
                picking.promotion_snapshot_ids = picking.return_id.promotion_snapshot_ids
            else:
                picking.promotion_snapshot_ids = picking.sale_id.order_line.promotion_snapshot_id

    @api.depends("promotion_snapshot_ids")
    def _compute_promotion_program_ids(self):
        for picking in self:
            picking.promotion_program_ids = picking.promotion_snapshot_ids.program_id

    @api.model_create_multi
    def create(self, vals_list):
        self._check_promotion_values({name for vals in vals_list for name in vals})
        return super().create(vals_list)

    def write(self, vals):
        self._check_promotion_values(set(vals))
        return super().write(vals)

    @api.model
    def _check_promotion_values(self, names):
        """The promotion context comes from the order or the returned delivery, never from a
        client."""
        if PROMOTION_FIELDS & names:
            raise UserError(
                self.env._(
                    "The promotions of a transfer come from its sale order or from the "
                    "delivery it returns; they cannot be set by hand."
                )
            )
