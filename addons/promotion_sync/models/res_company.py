# Copyright 2026 Governed Commerce Sync
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo import fields, models


class ResCompany(models.Model):
    _inherit = "res.company"

    promotion_settlement_journal_id = fields.Many2one(
        "account.journal",
        "Promotion settlement journal",
        domain="[('type', '=', 'general'), ('company_id', '=', id)]",
        help="Journal of the promotion settlement entries. Empty: the first miscellaneous "
        "journal of the company.",
    )
    promotion_discount_account_id = fields.Many2one(
        "account.account",
        "Discounts granted account",
        domain="[('account_type', 'in', ('expense', 'income', 'income_other'))]",
        help="Where settlement moves the discounts of programs that name no account of their "
        "own (an expense or contra-revenue account).",
    )
    promotion_liability_account_id = fields.Many2one(
        "account.account",
        "Promotion liability account",
        domain="[('account_type', 'in', ('liability_current', 'liability_non_current'))]",
        help="What coupons, gift cards, eWallets and loyalty points still owe customers, for "
        "programs that name no account of their own.",
    )
