# Copyright 2026 Governed Commerce Sync
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo import fields, models


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
