# Copyright 2026 Governed Commerce Sync
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo import api, models
from odoo.tools import SQL, float_compare

from odoo.addons.integration_core.models.integration_inbound_event import InboundRefused
from odoo.addons.integration_core.tools import dates


class IntegrationInboundEvent(models.Model):
    _inherit = "integration.inbound.event"

    @api.model
    def _get_inbound_handlers(self):
        return {
            **super()._get_inbound_handlers(),
            "stock.adjusted": "_handle_inbound_stock_adjusted",
        }

    def _handle_inbound_stock_adjusted(self):
        """A WMS that owns stock reports the absolute quantity of a SKU in a warehouse:
        payload (schema "stock_adjustment", validated) {sku, warehouse (code), quantity,
        event_time (RFC 3339)}. The quantity of the warehouse's stock location is set to it
        through an inventory adjustment. Applying the same event twice changes nothing; an
        event older than the last applied one for the same SKU and warehouse is ignored."""
        self.ensure_one()
        sku, code = self.payload["sku"], self.payload["warehouse"]
        quantity, event_time = self.payload["quantity"], self.payload.get("event_time")
        product, warehouse = self._stock_adjustment_target(sku, code)
        if event_time and self._newer_adjustment_applied(sku, code, event_time):
            return self.env._(
                "Older than the last applied adjustment of %(sku)s in %(wh)s: ignored.",
                sku=sku,
                wh=code,
            )
        location = warehouse.lot_stock_id
        Quant = self.env["stock.quant"].sudo().with_context(inventory_mode=True)
        quant = Quant._gather(product, location, strict=True).filtered(
            lambda q: not q.lot_id and not q.package_id and not q.owner_id
        )[:1]
        current = quant.quantity if quant else 0.0
        if float_compare(current, quantity, precision_rounding=product.uom_id.rounding) == 0:
            return self.env._("%(sku)s in %(wh)s already at %(q)s.", sku=sku, wh=code, q=quantity)
        if not quant:
            quant = Quant.create(
                {
                    "product_id": product.id,
                    "location_id": location.id,
                    "inventory_quantity": quantity,
                }
            )
        else:
            quant.inventory_quantity = quantity
        quant._apply_inventory()
        return self.env._(
            "%(sku)s in %(wh)s set from %(old)s to %(new)s.",
            sku=sku,
            wh=code,
            old=current,
            new=quantity,
        )

    def _stock_adjustment_target(self, sku, code):
        """(product, warehouse) an adjustment names; InboundRefused (mapping) when unknown."""
        # The WMS's SKU, through the connector's product mappings.
        product = self.connector_id._products_for_external_skus([sku]).get(sku)
        if not product:
            raise InboundRefused(
                self.env._(
                    "No product is known as %(sku)s for %(connector)s (map it on the connector).",
                    sku=sku,
                    connector=self.connector_id.name,
                ),
                category="mapping",
            )
        if not product.is_storable:
            raise InboundRefused(
                self.env._("Product %s is not tracked in stock.", sku), category="mapping"
            )
        warehouse = self.env["stock.warehouse"].search(
            [("code", "=", code), ("company_id", "=", self.company_id.id or self.env.company.id)],
            limit=1,
        )
        if not warehouse:
            raise InboundRefused(
                self.env._("No warehouse has the code %s.", code), category="mapping"
            )
        return product, warehouse

    def _newer_adjustment_applied(self, sku, code, event_time):
        self.env.cr.execute(
            SQL(
                """
                SELECT 1 FROM integration_inbound_event
                 WHERE event_type = 'stock.adjusted' AND state = 'done' AND id != %(id)s
                   AND payload->>'sku' = %(sku)s AND payload->>'warehouse' = %(wh)s
                   AND (payload->>'event_time')::timestamptz > %(time)s
                 LIMIT 1
                """,
                id=self.id,
                sku=sku,
                wh=code,
                time=dates.parse(event_time),
            )
        )
        return bool(self.env.cr.fetchone())
