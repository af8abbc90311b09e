# Copyright 2026 Governed Commerce Sync
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo import api, fields, models


class SaleOrderLine(models.Model):
    _inherit = "sale.order.line"

    promotion_program_id = fields.Many2one(
        "loyalty.program",
        "Promotion",
        readonly=True,
        index="btree_not_null",
        copy=False,
        help="The program that created this reward line.",
    )
    promotion_snapshot_id = fields.Many2one(
        "promotion.snapshot",
        "Promotion version",
        readonly=True,
        copy=False,
        help="The approved version of the program in force when the reward was granted.",
    )
    promotion_version = fields.Integer(
        related="promotion_snapshot_id.version", store=True, string="Version"
    )
    promotion_discount_amount = fields.Monetary(
        "Discount granted",
        compute="_compute_promotion_discount_amount",
        store=True,
        currency_field="currency_id",
        help="What the promotion gave the customer on this line, untaxed.",
    )

    @api.model
    def _promotion_trace_vals(self, reward_id):
        """Program and version in force, written when the reward is granted (not a lazy
        compute: the version must be the one in force at that moment, not at the next flush)."""
        program = self.env["loyalty.reward"].browse(reward_id).program_id
        return {
            "promotion_program_id": program.id,
            "promotion_snapshot_id": program.current_snapshot_id.id,
        }

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            if vals.get("reward_id") and "promotion_program_id" not in vals:
                vals.update(self._promotion_trace_vals(vals["reward_id"]))
        return super().create(vals_list)

    def write(self, vals):
        if "reward_id" in vals and "promotion_program_id" not in vals:
            vals = dict(vals, **self._promotion_trace_vals(vals["reward_id"]))
        return super().write(vals)

    @api.depends("reward_id", "price_unit", "product_uom_qty", "discount", "price_subtotal")
    def _compute_promotion_discount_amount(self):
        for line in self:
            if not line.reward_id:
                line.promotion_discount_amount = 0.0
            elif line.reward_id.reward_type == "product":
                # A free product: a 100 % discount on its price.
                line.promotion_discount_amount = (
                    line.price_unit * line.product_uom_qty * (line.discount or 0.0) / 100.0
                )
            else:
                line.promotion_discount_amount = -line.price_subtotal

    def _prepare_invoice_line(self, **optional_values):
        values = super()._prepare_invoice_line(**optional_values)
        if self.promotion_program_id:
            values["promotion_program_id"] = self.promotion_program_id.id
            values["promotion_snapshot_id"] = self.promotion_snapshot_id.id
        return values
