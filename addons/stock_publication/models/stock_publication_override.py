# Copyright 2026 Governed Commerce Sync
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo import api, fields, models

from odoo.addons.integration_core.compat.constraints import sql_constraints

from ..tools import allocation

OVERRIDE_MODES = [
    ("fixed", "Fixed quantity"),
    ("policy", "Own policy"),
    ("exclude", "Exclude"),
]


@sql_constraints
class StockPublicationOverride(models.Model):
    """A product that does not follow its channel's policy: a fixed quantity, its own share,
    buffer and maximum, or not published on that channel at all."""

    _name = "stock.publication.override"
    _description = "Stock Publication Override"
    _inherit = ["mail.thread"]
    _order = "channel_id, product_id"
    _rec_name = "product_id"

    channel_id = fields.Many2one(
        "stock.publication.channel",
        required=True,
        ondelete="cascade",
        index=True,
        tracking=True,
        help="The sales channel where this product is treated differently.",
    )
    product_id = fields.Many2one(
        "product.product",
        required=True,
        ondelete="cascade",
        index=True,
        tracking=True,
        domain=[("is_storable", "=", True)],
        help="The product (tracked in stock) this rule is about.",
    )
    mode = fields.Selection(
        OVERRIDE_MODES,
        required=True,
        default="policy",
        tracking=True,
        help="Fixed quantity: publish this quantity whatever the stock. Own policy: this "
        "product's share, buffer and maximum replace the channel's. Exclude: never publish "
        "this product on the channel.",
    )
    fixed_quantity = fields.Float(
        tracking=True,
        help="For 'Fixed quantity': the quantity the channel is told, whatever the stock.",
    )
    share_percent = fields.Float(
        "Share of free quantity (%)",
        default=100.0,
        tracking=True,
        help="For 'Own policy': part of this product's free quantity offered on the channel, "
        "after the safety buffer.",
    )
    safety_buffer = fields.Float(
        tracking=True,
        help="For 'Own policy': units of this product kept back from the channel before the "
        "share is applied.",
    )
    max_quantity = fields.Float("Maximum exposed quantity", tracking=True, help="0: no maximum.")
    note = fields.Char(help="Why this product is treated differently.")

    _sql_constraints = [
        (
            "channel_product_uniq",
            "unique(channel_id, product_id)",
            "This product already has an override on this channel.",
        ),
        (
            "values_valid",
            "CHECK(share_percent >= 0 AND share_percent <= 100 AND safety_buffer >= 0 "
            "AND max_quantity >= 0 AND fixed_quantity >= 0)",
            "Share is between 0 and 100 %; quantities, buffer and maximum must not be negative.",
        ),
    ]

    @api.model_create_multi
    def create(self, vals_list):
        records = super().create(vals_list)
        self.env["stock.publication.dirty"]._mark(records.product_id.ids)
        return records

    def write(self, vals):
        products = self.product_id
        result = super().write(vals)
        self.env["stock.publication.dirty"]._mark((products | self.product_id).ids)
        return result

    def unlink(self):
        products = self.product_id
        result = super().unlink()
        self.env["stock.publication.dirty"]._mark(products.ids)
        return result

    @api.model
    def _for_channels(self, channels, product_ids):
        """{(channel id, product id): allocation.Override} in one query."""
        # The products' id range, not their list: a snapshot asks for 10,000 at a time, and
        # overrides are few; those outside the list are dropped below.
        product_ids = set(product_ids)
        if not product_ids:
            return {}
        overrides = self.search_fetch(
            [
                ("channel_id", "in", channels.ids),
                ("product_id", ">=", min(product_ids)),
                ("product_id", "<=", max(product_ids)),
            ],
            [
                "channel_id",
                "product_id",
                "mode",
                "fixed_quantity",
                "share_percent",
                "safety_buffer",
                "max_quantity",
            ],
        )
        result = {}
        for override in overrides:
            if override.product_id.id not in product_ids:
                continue
            channel = override.channel_id
            policy = None
            if override.mode == "policy":
                policy = allocation.Policy(
                    share_percent=override.share_percent,
                    safety_buffer=override.safety_buffer,
                    max_quantity=override.max_quantity,
                    out_of_stock_threshold=channel.out_of_stock_threshold,
                )
            result[(channel.id, override.product_id.id)] = allocation.Override(
                mode=override.mode, fixed_quantity=override.fixed_quantity, policy=policy
            )
        return result
