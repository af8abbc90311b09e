# Copyright 2026 Governed Commerce Sync
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo import fields, models

PUBLICATION_STATUSES = [
    ("sending", "Being sent"),
    ("delivered", "Delivered"),
    ("waiting", "Waiting for confirmation"),
    ("applied", "Applied"),
    ("rejected", "Rejected"),
    ("failed", "Not delivered"),
]


class PricePublication(models.Model):
    """One price version on one channel, as the queue and the channel's acknowledgements
    tell it: a read-only view of the outbound messages of price versions, for people who
    handle prices and not the queue. Nothing is stored twice: it is always what the queue
    holds (within its retention)."""

    _name = "price.publication"
    _description = "Price Publication on a Channel"
    _auto = False
    _order = "change_id desc, pricelist_id, product_id, connector_id, id desc"
    _rec_name = "version_id"

    change_id = fields.Many2one("price.change", readonly=True)
    version_id = fields.Many2one("price.version", "Version", readonly=True)
    company_id = fields.Many2one("res.company", readonly=True)
    product_id = fields.Many2one("product.product", readonly=True)
    pricelist_id = fields.Many2one("product.pricelist", readonly=True)
    connector_id = fields.Many2one("integration.connector", "Channel", readonly=True)
    version_sent = fields.Char(
        readonly=True,
        help="The version number the channel received ('-retired': the price that applies "
        "once this version ended).",
    )
    price_sent = fields.Float(readonly=True, digits="Product Price")
    status = fields.Selection(PUBLICATION_STATUSES, readonly=True)
    reason = fields.Text(
        readonly=True, help="Why the channel rejected it, or why it could not be delivered."
    )
    sent_at = fields.Datetime(readonly=True)
    acknowledged_at = fields.Datetime("Confirmed at", readonly=True)

    @property
    def _table_query(self):
        return """
            SELECT m.id, v.change_id, m.res_id AS version_id, c.company_id, v.product_id,
                   v.pricelist_id, m.connector_id, m.source_version AS version_sent,
                   (m.payload->>'price')::float AS price_sent,
                   CASE
                       WHEN m.ack_state = 'applied' THEN 'applied'
                       WHEN m.ack_state = 'rejected' THEN 'rejected'
                       WHEN m.state = 'dead' THEN 'failed'
                       WHEN m.state = 'sent' AND c.ack_required THEN 'waiting'
                       WHEN m.state = 'sent' THEN 'delivered'
                       ELSE 'sending'
                   END AS status,
                   CASE
                       WHEN m.ack_state = 'rejected' THEN m.ack_reason
                       WHEN m.state IN ('dead', 'failed') THEN m.error_message
                   END AS reason,
                   m.sent_at, m.acknowledged_at
              FROM integration_message m
              JOIN price_version v ON v.id = m.res_id
              JOIN integration_connector c ON c.id = m.connector_id
             WHERE m.res_model = 'price.version'
               AND m.state NOT IN ('superseded', 'cancelled')
        """
