# Copyright 2026 Governed Commerce Sync
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from collections import defaultdict

from odoo import api, fields, models
from odoo.exceptions import ValidationError


class ProductPricelist(models.Model):
    _inherit = "product.pricelist"

    integration_connector_ids = fields.Many2many(
        "integration.connector",
        "product_pricelist_integration_connector_rel",
        "pricelist_id",
        "connector_id",
        string="Publish to",
        help="Channels that receive the prices of this pricelist once a price change is in "
        "effect. They must be allowed the Base price data domain.",
    )
    price_version_ids = fields.One2many("price.version", "pricelist_id", readonly=True)
    price_version_count = fields.Integer(compute="_compute_price_version_count")

    def _compute_price_version_count(self):
        groups = self.env["price.version"]._read_group(
            [("pricelist_id", "in", self.ids)], ["pricelist_id"], ["__count"]
        )
        counts = {pricelist.id: count for pricelist, count in groups}
        for pricelist in self:
            pricelist.price_version_count = counts.get(pricelist.id, 0)

    @api.constrains("integration_connector_ids")
    def _check_publication_connectors(self):
        domain = self.env.ref("integration_core.domain_base_price")
        for pricelist in self:
            for connector in pricelist.integration_connector_ids:
                if domain not in connector.allowed_domain_ids:
                    raise ValidationError(
                        self.env._(
                            "%(c)s may not receive base prices (see its allowed data domains): "
                            "it cannot publish %(p)s.",
                            c=connector.name,
                            p=pricelist.name,
                        )
                    )
                if domain.owner_connector_id == connector:
                    raise ValidationError(
                        self.env._(
                            "%(c)s owns base prices (system of record): Odoo does not publish "
                            "them back to it.",
                            c=connector.name,
                        )
                    )

    def _publication_connectors(self):
        """Active connectors subscribed to this pricelist that may receive base prices."""
        self.ensure_one()
        return self.integration_connector_ids._filter_receivers("base_price")

    @api.model
    def _current_prices(self, triples):
        """Prices in effect now for (pricelist, product, min_quantity) triples, keyed by
        (pricelist id, product id, rounded min quantity): one pricelist computation per
        pricelist and quantity, whatever the number of products."""
        groups = defaultdict(lambda: self.env["product.product"])
        for pricelist, product, quantity in triples:
            groups[(pricelist, round(quantity, 6))] |= product
        result = {}
        for (pricelist, quantity), products in groups.items():
            prices = pricelist._get_products_price(products, quantity or 1.0)
            for product in products:
                result[(pricelist.id, product.id, quantity)] = prices.get(product.id, 0.0)
        return result

    def action_open_price_versions(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "price_governance.price_version_action"
        )
        action["domain"] = [("pricelist_id", "=", self.id)]
        action["context"] = {"search_default_group_product": 1}
        return action
