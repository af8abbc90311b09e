# Copyright 2026 Governed Commerce Sync
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo import fields, models


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    promotion_eligibility_fallback = fields.Selection(
        [
            ("no_discount", "Deny: no discount"),
            ("last_snapshot", "Last known snapshot"),
            ("allow", "Allow: the calling system decides"),
        ],
        string="When the promotion engine is unavailable",
        config_parameter="promotion_sync.eligibility_fallback",
        default="no_discount",
        help="What the eligibility check answers while the promotion engine that owns "
        "promotions cannot be asked (frozen, archived, circuit open) or does not answer within "
        "its connector's timeout: no discount at all (safe for margin), the last approved "
        "versions known here, or allow: Odoo lists no promotion and the calling system keeps "
        "the ones it applied itself (safe for customers).",
    )
    promotion_settlement_journal_id = fields.Many2one(
        related="company_id.promotion_settlement_journal_id", readonly=False
    )
    promotion_discount_account_id = fields.Many2one(
        related="company_id.promotion_discount_account_id", readonly=False
    )
    promotion_liability_account_id = fields.Many2one(
        related="company_id.promotion_liability_account_id", readonly=False
    )
