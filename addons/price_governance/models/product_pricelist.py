# Copyright 2026 Governed Commerce Sync
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from collections import defaultdict

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError, ValidationError

from odoo.addons.integration_core.tools.workflow import in_workflow, workflow_method


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
    price_governed = fields.Boolean(
        "Governed prices",
        copy=False,
        tracking=True,
        help="The rules of this pricelist are written only by approved price changes: nobody "
        "edits, adds or deletes them by hand. Set when a price change for this pricelist is "
        "approved; only a Pricing Manager may switch it on or off. A copy is not governed.",
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

    # ------------------------------------------------------------------ governance

    @api.model_create_multi
    def create(self, vals_list):
        governed = [vals.get("name") or "" for vals in vals_list if vals.get("price_governed")]
        if governed:
            self._check_governance_manager(governed)
        return super().create(vals_list)

    def write(self, vals):
        if "price_governed" in vals:
            switched = self.filtered(lambda p: p.price_governed != bool(vals["price_governed"]))
            if switched:
                self._check_governance_manager(switched.mapped("display_name"))
        if "currency_id" in vals:
            self._check_governed_currency(vals["currency_id"])
        return super().write(vals)

    @api.ondelete(at_uninstall=False)
    def _unlink_except_governed(self):
        governed = self.filtered("price_governed")
        if governed:
            raise UserError(
                self.env._(
                    "%(pricelists)s hold governed prices and cannot be deleted. A Pricing "
                    "Manager must first release them (their price history stays).",
                    pricelists=", ".join(governed.mapped("display_name")),
                )
            )

    def action_govern_prices(self):
        """Pricing Managers: from now on only price changes write these pricelists' rules."""
        self._check_governance_manager(self.mapped("display_name"))
        self.sudo().write({"price_governed": True})

    def action_release_prices(self):
        """Pricing Managers: let these pricelists' rules be edited by hand again."""
        self._check_governance_manager(self.mapped("display_name"))
        self.sudo().write({"price_governed": False})

    @api.model
    def _check_governance_manager(self, names):
        """Only Pricing Managers (or the approval workflow) govern or release pricelists,
        whatever their rights on pricelists."""
        if in_workflow(self._name):
            return
        if self.env.user.has_group("price_governance.group_price_manager"):
            return
        raise AccessError(
            self.env._(
                "Only a Pricing Manager may switch Governed prices on or off (%(pricelists)s).",
                pricelists=", ".join(names),
            )
        )

    def _check_governed_currency(self, currency_id):
        # The approved versions are amounts in the pricelist's currency: a new currency would
        # change every governed price at once, without approval.
        if in_workflow(self._name):
            return
        moved = self.filtered(lambda p: p.price_governed and p.currency_id.id != currency_id)
        if moved:
            raise UserError(
                self.env._(
                    "The prices of %(pricelist)s were approved in %(currency)s: a Pricing "
                    "Manager must release it before its currency changes.",
                    pricelist=moved[0].display_name,
                    currency=moved[0].currency_id.name,
                )
            )

    @workflow_method("product.pricelist")
    def _mark_governed(self):
        """Govern these pricelists: called when a price change for them is approved. From
        then on only the price change workflow writes their rules."""
        self.sudo().filtered(lambda p: not p.price_governed).write({"price_governed": True})

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
