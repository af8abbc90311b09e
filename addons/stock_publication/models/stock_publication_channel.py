# Copyright 2026 Governed Commerce Sync
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo import fields, models


class StockPublicationChannel(models.Model):
    """Where available-to-promise quantities are published, and under which policy."""

    _name = "stock.publication.channel"
    _description = "Stock Publication Channel"
    _inherit = ["mail.thread"]

    name = fields.Char(required=True)
    connector_id = fields.Many2one("integration.connector", required=True, ondelete="restrict")
    company_id = fields.Many2one(related="connector_id.company_id", store=True)
    warehouse_ids = fields.Many2many("stock.warehouse", string="Warehouses")
    share_percent = fields.Float("Share of free quantity (%)", default=100.0)
    safety_buffer = fields.Float()
    frozen = fields.Boolean(tracking=True)
