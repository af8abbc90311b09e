# Copyright 2026 Governed Commerce Sync
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError


class PromotionSettlementLine(models.Model):
    """What one posting run of a settlement posted for one program and version."""

    _name = "promotion.settlement.line"
    _description = "Promotion Settlement Line"
    _order = "settlement_id, move_id, program_id, snapshot_id"

    settlement_id = fields.Many2one(
        "promotion.settlement", required=True, ondelete="cascade", index=True, readonly=True
    )
    company_id = fields.Many2one(related="settlement_id.company_id", store=True)
    currency_id = fields.Many2one(related="settlement_id.currency_id")
    move_id = fields.Many2one("account.move", "Journal entry", readonly=True)
    program_id = fields.Many2one(
        "loyalty.program", "Promotion", readonly=True, context={"active_test": False}
    )
    snapshot_id = fields.Many2one(
        "promotion.snapshot",
        "Version",
        readonly=True,
        help="Empty on the liability of a program: points are owed per program, not version.",
    )
    discount_amount = fields.Monetary(
        "Discount settled",
        readonly=True,
        help="Discounts invoiced net of credit notes, moved from revenue by this run.",
    )
    liability_amount = fields.Monetary(
        "Liability change",
        readonly=True,
        help="What this run added to the liability of outstanding points (negative: released).",
    )

    @api.model_create_multi
    def create(self, vals_list):
        if not self.env.su:
            self.check_access("create")
            raise AccessError(
                self.env._("Settlement lines are written by posting the settlement, not by hand.")
            )
        return super().create(vals_list)

    def write(self, vals):
        self.check_access("write")
        raise UserError(self.env._("Settlement lines are what was posted: they do not change."))
