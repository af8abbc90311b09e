# Copyright 2026 Governed Commerce Sync
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo import api, fields, models


class AccountMoveLine(models.Model):
    _inherit = "account.move.line"

    # Copied on reversal: a credit note keeps the promotion context of the invoice line.
    promotion_program_id = fields.Many2one(
        "loyalty.program",
        "Promotion",
        index="btree_not_null",
        readonly=True,
        copy=True,
        help="The program whose reward this line invoices (or credits back).",
    )
    promotion_snapshot_id = fields.Many2one(
        "promotion.snapshot", "Promotion version", readonly=True, copy=True
    )
    promotion_settlement_role = fields.Selection(
        [
            ("discount", "Discount settled"),
            ("revenue", "Revenue restored"),
            ("liability", "Liability adjusted"),
            ("liability_cost", "Cost of points issued"),
        ],
        readonly=True,
        copy=False,
        help="On promotion settlement entries: what this journal item settles. Discount "
        "settled items are what the reconciliation compares with the discounts invoiced.",
    )

    @api.model_create_multi
    def create(self, vals_list):
        # Items of settlement entries, and the role that makes an item count as settled, are
        # finance's (see account.move).
        moves = self.env["account.move"].browse(
            {vals["move_id"] for vals in vals_list if vals.get("move_id")}
        )
        moves._check_promotion_settlement_rights(
            forced=any(vals.get("promotion_settlement_role") for vals in vals_list)
        )
        return super().create(vals_list)

    def write(self, vals):
        self.move_id._check_promotion_settlement_rights(forced="promotion_settlement_role" in vals)
        return super().write(vals)

    def unlink(self):
        self.move_id._check_promotion_settlement_rights()
        return super().unlink()
