# Copyright 2026 Governed Commerce Sync
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo import fields, models


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    promotion_eligibility_fallback = fields.Selection(
        [("no_discount", "No discount"), ("last_snapshot", "Last known snapshot")],
        string="When the promotion engine is unavailable",
        config_parameter="promotion_sync.eligibility_fallback",
        default="no_discount",
        help="What the eligibility check answers while the connector that owns promotions is "
        "frozen or its circuit is open: no discount at all (safe for margin), or the last "
        "approved versions known here (safe for customers).",
    )
