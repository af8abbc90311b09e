# Copyright 2026 Governed Commerce Sync
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo import api, fields, models
from odoo.exceptions import ValidationError

from ..compat.constraints import sql_constraints
from ..compat.uom import convertible
from ..tools import product_mapping
from ..tools.product_mapping import Unit


@sql_constraints
class IntegrationProductMapping(models.Model):
    """What one external system calls one of our products; and the one service that
    translates payloads between our products and units and a connector's, both ways, for
    every publisher and inbound handler (see tools/product_mapping.py for the payload walk).

    Without a mapping, a product goes by its internal reference or its barcode, as the
    connector says (`product_match`), unless the connector requires mappings: then an
    unmapped product or unit is a mapping exception."""

    _name = "integration.product.mapping"
    _description = "Integration Product Mapping"
    _order = "connector_id, external_sku"
    _rec_name = "external_sku"

    connector_id = fields.Many2one(
        "integration.connector",
        required=True,
        ondelete="cascade",
        index=True,
        help="The external system that uses this SKU for the product.",
    )
    company_id = fields.Many2one(related="connector_id.company_id", store=True)
    product_id = fields.Many2one(
        "product.product",
        required=True,
        ondelete="cascade",
        index=True,
        help="Our product (variant) that the external system knows under this SKU.",
    )
    internal_reference = fields.Char(related="product_id.default_code")
    external_sku = fields.Char(
        "External SKU", required=True, help="The product's SKU in the external system."
    )
    external_id = fields.Char(
        "External ID", help="The product's id in the external system, if any."
    )

    _sql_constraints = [
        (
            "product_uniq",
            "unique(connector_id, product_id)",
            "This product is already mapped for this connector.",
        ),
        (
            "sku_uniq",
            "unique(connector_id, external_sku)",
            "This external SKU is already mapped for this connector.",
        ),
    ]

    # ------------------------------------------------------------------ the service

    @api.model
    def _outbound(self, connector, payloads):
        """{key: (payload as `connector` reads it, None or why it cannot go)} for `payloads`
        ({key: canonical payload}): every SKU at any depth through the connector's product
        mappings, every product node's quantities and unit prices from the product's unit
        into the connector's. The reason is set only when the connector requires mappings
        and a product or unit has none. A few queries for the whole batch."""
        skus = set().union(*map(product_mapping.skus_in, payloads.values()))
        nodes = {node for p in payloads.values() for node in product_mapping.product_nodes(p)}
        products = self._products_for_internal_skus(skus)
        external = self._external_skus(
            connector, self.env["product.product"].union(*products.values())
        )
        sku_map = {sku: external[p] for sku, p in products.items() if p in external}
        units = self._units_out(connector, nodes, products)
        result = {}
        for key, payload in payloads.items():
            translated = product_mapping.translate(payload, sku_map, units)
            reason = None
            if connector.mapping_required:
                reason = self._unmapped_reason(connector, translated)
            result[key] = (translated.payload, reason)
        return result

    @api.model
    def _inbound(self, connector, payload):
        """(payload in our units, {their SKU: product}, [why it cannot be applied]) for a
        payload `connector` sent: its SKUs (left as they are) found through the connector's
        product mappings, the quantities and unit prices of each product node that names a
        unit (``uom``) converted from that unit into the product's, whose name becomes the
        node's ``uom``."""
        skus = product_mapping.skus_in(payload)
        products = self._products_for_external_skus(connector, skus)
        units = self._units_in(connector, product_mapping.product_nodes(payload), products)
        translated = product_mapping.translate(payload, None, units)
        problems = []
        if unknown := sorted(skus - set(products)):
            problems.append(
                self.env._(
                    "No product is known as %(skus)s for %(connector)s (map it on the connector).",
                    skus=", ".join(unknown),
                    connector=connector.name,
                )
            )
        for sku, code in dict.fromkeys(translated.missing_units):
            if sku in products:
                problems.append(
                    self.env._(
                        "Unit %(unit)s of %(sku)s is not known for %(connector)s, or does not "
                        "convert into the product's unit (map it on the connector).",
                        unit=code,
                        sku=sku,
                        connector=connector.name,
                    )
                )
        return translated.payload, products, problems

    @api.model
    def _unmapped_reason(self, connector, translated):
        """Why a translated payload cannot go to `connector`, which requires mappings."""
        if translated.missing_skus:
            return self.env._(
                "Product %(sku)s has no mapping for %(connector)s, which requires one. "
                "Add it (connector > Inbound > products), then replay.",
                sku=", ".join(sorted(translated.missing_skus)),
                connector=connector.name,
            )
        if translated.missing_units:
            sku, unit = translated.missing_units[0]
            return self.env._(
                "The unit %(unit)s of product %(sku)s has no mapping for %(connector)s, which "
                "requires one. Add it (connector > Inbound > units), then replay.",
                unit=unit or "?",
                sku=sku,
                connector=connector.name,
            )
        return None

    # ------------------------------------------------------------------ products

    @api.model
    def _products_for_internal_skus(self, skus):
        """{sku: product} for SKUs our payloads give products (product_mapping.internal_sku),
        archived products included; one query. Unknown SKUs are absent."""
        skus = {sku for sku in skus if sku}
        if not skus:
            return {}
        ids = [i for i in map(product_mapping.id_of_sku, skus) if i]
        Product = self.env["product.product"].sudo().with_context(active_test=False)
        products = Product.search_fetch(
            [
                "|",
                "|",
                ("default_code", "in", list(skus)),
                ("barcode", "in", list(skus)),
                ("id", "in", ids),
            ],
            ["default_code", "barcode", "uom_id"],
            order="id",
        )
        found = {}
        for product in products:
            sku = product_mapping.internal_sku(product.default_code, product.barcode, product.id)
            if sku in skus:
                found.setdefault(sku, product)
        return found

    @api.model
    def _products_for_external_skus(self, connector, skus):
        """{their SKU: product} for SKUs `connector` sends: by mapping, then (unless the
        connector requires mappings) by the connector's `product_match` field (internal
        reference or barcode). Unknown SKUs are absent. Two queries at most."""
        skus = {str(sku) for sku in skus if sku}
        if not skus:
            return {}
        mappings = self.sudo().search_fetch(
            [("connector_id", "=", connector.id), ("external_sku", "in", list(skus))],
            ["external_sku", "product_id"],
        )
        found = {m.external_sku: m.product_id for m in mappings}
        rest = skus - set(found)
        if rest and not connector.mapping_required:
            match = connector.product_match
            Product = self.env["product.product"].sudo()
            for product in Product.search_fetch([(match, "in", list(rest))], [match], order="id"):
                found.setdefault(product[match], product)
        return found

    @api.model
    def _external_skus(self, connector, products):
        """{product: its SKU for `connector`}: by mapping, then (unless the connector
        requires mappings) its internal reference or barcode (`product_match`), when set."""
        if not products:
            return {}
        mappings = self.sudo().search_fetch(
            [("connector_id", "=", connector.id), ("product_id", "in", products.ids)],
            ["product_id", "external_sku"],
        )
        found = {m.product_id: m.external_sku for m in mappings}
        if not connector.mapping_required:
            match = connector.product_match
            for product in products - self.env["product.product"].union(*found):
                if product[match]:
                    found[product] = product[match]
        return found

    # ------------------------------------------------------------------ units

    @api.model
    def _units_out(self, connector, nodes, products):
        """{(sku, uom): Unit} of the product nodes whose product's unit `connector` maps:
        its code there and the conversions into the unit it counts in."""
        by_uom = {m.uom_id: m for m in connector.sudo().uom_mapping_ids}
        units = {}
        for sku, uom in nodes:
            product = products.get(sku)
            mapping = by_uom.get(product.uom_id) if product else None
            if mapping:
                units[(sku, uom)] = _conversion(
                    product.uom_id, mapping._counted_uom(), mapping.external_code
                )
        return units

    @api.model
    def _units_in(self, connector, nodes, products):
        """{(sku, code): Unit} of the product nodes of an inbound payload whose unit is known
        and converts into the product's: the code mapped, else (unless the connector
        requires mappings) one of our units by name."""
        by_code = {m.external_code: m._counted_uom() for m in connector.sudo().uom_mapping_ids}
        codes = {code for _sku, code in nodes if code not in by_code}
        if codes and not connector.mapping_required:
            for uom in self.env["uom.uom"].sudo().search([("name", "in", list(codes))]):
                by_code.setdefault(uom.name, uom)
        units = {}
        for sku, code in nodes:
            product = products.get(sku)
            counted = by_code.get(code)
            if product and counted and convertible(counted, product.uom_id):
                units[(sku, code)] = _conversion(counted, product.uom_id, product.uom_id.name)
        return units


@sql_constraints
class IntegrationUomMapping(models.Model):
    """What one external system calls one of our units of measure."""

    _name = "integration.uom.mapping"
    _description = "Integration Unit of Measure Mapping"
    _rec_name = "external_code"

    connector_id = fields.Many2one(
        "integration.connector",
        required=True,
        ondelete="cascade",
        index=True,
        help="The external system that writes the unit this way.",
    )
    uom_id = fields.Many2one(
        "uom.uom",
        "Unit",
        required=True,
        ondelete="cascade",
        help="Our unit of measure that the external system writes as the code beside.",
    )
    external_code = fields.Char(required=True, help="e.g. EA, PCE, KGM")
    counted_uom_id = fields.Many2one(
        "uom.uom",
        "Counted in",
        ondelete="restrict",
        help="The unit of ours that one unit of the external system equals, when it counts "
        "otherwise than we do: e.g. Dozens when it counts products we keep in Units by boxes "
        "of 12. Quantities and unit prices are converted both ways. Empty: the unit beside.",
    )

    _sql_constraints = [
        (
            "uom_uniq",
            "unique(connector_id, uom_id)",
            "This unit is already mapped for this connector.",
        ),
        (
            "code_uniq",
            "unique(connector_id, external_code)",
            "This code is already mapped for this connector.",
        ),
    ]

    @api.constrains("uom_id", "counted_uom_id")
    def _check_counted_uom(self):
        for mapping in self.filtered("counted_uom_id"):
            if not convertible(mapping.uom_id, mapping.counted_uom_id):
                raise ValidationError(
                    self.env._(
                        "%(unit)s cannot be counted in %(counted)s: they measure different things.",
                        unit=mapping.uom_id.name,
                        counted=mapping.counted_uom_id.name,
                    )
                )

    def _counted_uom(self):
        """The unit of ours a quantity of the external system is in."""
        self.ensure_one()
        return self.counted_uom_id or self.uom_id


def _conversion(from_uom, to_uom, code):
    """The Unit that converts quantities and unit prices from `from_uom` into `to_uom`
    (Odoo's own conversions, not rounded: the receiver rounds as it counts)."""
    return Unit(
        code,
        lambda qty: from_uom._compute_quantity(qty, to_uom, round=False),
        lambda price: from_uom._compute_price(price, to_uom),
    )
