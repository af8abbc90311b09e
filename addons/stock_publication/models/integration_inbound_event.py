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
        event_time (RFC 3339), location, lot, package}. `location` (complete name or barcode
        of an internal location under the warehouse; default its stock location), `lot` and
        `package` (by name) say which quant is counted. Its quantity is set through an
        inventory adjustment. Applying the same event twice changes nothing; an event older
        than the last applied one for the same quant is ignored."""
        self.ensure_one()
        # The WMS's SKU and unit, through the connector's mappings: the quantity is in the
        # product's unit from here on.
        payload, by_sku = self._mapped_payload()
        sku, code = payload["sku"], payload["warehouse"]
        quantity, event_time = payload["quantity"], payload.get("event_time")
        product, warehouse = self._stock_adjustment_target(by_sku[sku], code)
        location = self._stock_adjustment_location(warehouse, self.payload.get("location"))
        lot = self._stock_adjustment_lot(product, self.payload.get("lot"))
        package = self._stock_adjustment_package(location, self.payload.get("package"))
        where = " / ".join(n for n in (location.complete_name, lot.name, package.name) if n)
        if event_time and self._newer_adjustment_applied(sku, code, event_time):
            return self.env._(
                "Older than the last applied adjustment of %(sku)s in %(wh)s: ignored.",
                sku=sku,
                wh=where,
            )
        Quant = self.env["stock.quant"].sudo().with_context(inventory_mode=True)
        quant = Quant._gather(
            product, location, lot_id=lot or None, package_id=package or None, strict=True
        ).filtered(lambda q: not q.owner_id)[:1]
        current = quant.quantity if quant else 0.0
        if float_compare(current, quantity, precision_rounding=product.uom_id.rounding) == 0:
            return self.env._("%(sku)s in %(wh)s already at %(q)s.", sku=sku, wh=where, q=quantity)
        if not quant:
            quant = Quant.create(
                {
                    "product_id": product.id,
                    "location_id": location.id,
                    "lot_id": lot.id,
                    "package_id": package.id,
                    "inventory_quantity": quantity,
                }
            )
        else:
            quant.inventory_quantity = quantity
        quant._apply_inventory()
        return self.env._(
            "%(sku)s in %(wh)s set from %(old)s to %(new)s.",
            sku=sku,
            wh=where,
            old=current,
            new=quantity,
        )

    def _stock_adjustment_location(self, warehouse, name):
        """The internal location under `warehouse` an adjustment names (complete name or
        barcode), its stock location when none; InboundRefused (mapping) otherwise."""
        if not name:
            return warehouse.lot_stock_id
        Location = self.env["stock.location"].sudo()
        location = Location.search(
            [
                ("usage", "=", "internal"),
                ("id", "child_of", warehouse.view_location_id.id),
                "|",
                ("complete_name", "=", name),
                ("barcode", "=", name),
            ],
            limit=1,
        )
        if not location:
            raise InboundRefused(
                self.env._(
                    "Location %(loc)s is not an internal location of warehouse %(wh)s: stock "
                    "can only be adjusted in the warehouse's own internal locations.",
                    loc=name,
                    wh=warehouse.code,
                ),
                category="mapping",
            )
        return location

    def _stock_adjustment_lot(self, product, name):
        """The lot `name` of `product` (created when the WMS counted a new one)."""
        Lot = self.env["stock.lot"].sudo()
        if not name:
            return Lot
        if product.tracking == "none":
            raise InboundRefused(
                self.env._(
                    "Product %(sku)s is not tracked by lot or serial number: lot %(lot)s "
                    "cannot be counted.",
                    sku=product.default_code,
                    lot=name,
                ),
                category="mapping",
            )
        company = self.company_id or self.env.company
        lot = Lot.search(
            [
                ("product_id", "=", product.id),
                ("name", "=", name),
                ("company_id", "in", [company.id, False]),
            ],
            limit=1,
        )
        return lot or Lot.create({"product_id": product.id, "name": name, "company_id": company.id})

    def _stock_adjustment_package(self, location, name):
        """The package `name` (created when the WMS counted a new one); refused when it is
        stored in another location."""
        # stock.quant.package became stock.package in Odoo 19.0.
        model = "stock.package" if "stock.package" in self.env else "stock.quant.package"
        Package = self.env[model].sudo()
        if not name:
            return Package
        package = Package.search([("name", "=", name)], limit=1)
        if package.location_id and package.location_id != location:
            raise InboundRefused(
                self.env._(
                    "Package %(pack)s is stored in %(there)s, not in %(loc)s.",
                    pack=name,
                    there=package.location_id.complete_name,
                    loc=location.complete_name,
                ),
                category="mapping",
            )
        return package or Package.create({"name": name})

    def _stock_adjustment_target(self, product, code):
        """(product, warehouse) an adjustment names; InboundRefused (mapping) when the
        product is not stocked or the warehouse unknown."""
        if not product.is_storable:
            raise InboundRefused(
                self.env._("Product %s is not tracked in stock.", self.payload["sku"]),
                category="mapping",
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
                   AND payload->>'location' IS NOT DISTINCT FROM %(location)s
                   AND payload->>'lot' IS NOT DISTINCT FROM %(lot)s
                   AND payload->>'package' IS NOT DISTINCT FROM %(package)s
                   AND (payload->>'event_time')::timestamptz > %(time)s
                 LIMIT 1
                """,
                id=self.id,
                sku=sku,
                wh=code,
                location=self.payload.get("location"),
                lot=self.payload.get("lot"),
                package=self.payload.get("package"),
                time=dates.parse(event_time),
            )
        )
        return bool(self.env.cr.fetchone())
