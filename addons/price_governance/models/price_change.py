# Copyright 2026 Governed Commerce Sync
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo import fields, models

PRICE_CHANGE_STATES = [
    ("draft", "Draft"),
    ("to_approve", "To Approve"),
    ("approved", "Approved"),
    ("effective", "Effective"),
    ("published", "Published"),
    ("reconciled", "Reconciled"),
    ("rejected", "Rejected"),
    ("cancelled", "Cancelled"),
    ("expired", "Expired"),
    ("superseded", "Superseded"),
]


class PriceChange(models.Model):
    """A governed change of prices: approved before it reaches a pricelist or a channel."""

    _name = "price.change"
    _description = "Price Change"
    _inherit = ["mail.thread", "mail.activity.mixin"]
    _order = "id desc"

    name = fields.Char(required=True, default="/", copy=False, tracking=True)
    state = fields.Selection(PRICE_CHANGE_STATES, required=True, default="draft", tracking=True)
    company_id = fields.Many2one("res.company", required=True, default=lambda self: self.env.company)
    effective_from = fields.Datetime(tracking=True)
    effective_to = fields.Datetime(tracking=True)
    line_ids = fields.One2many("price.change.line", "change_id", copy=True)
