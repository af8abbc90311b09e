# Copyright 2026 Governed Commerce Sync
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
import hashlib
from collections import defaultdict

from markupsafe import Markup

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tools import SQL

from odoo.addons.integration_core.compat.groups import group_users
from odoo.addons.integration_core.tools.workflow import in_workflow, workflow_method

# Rules of a drifted pricelist listed in one report, per kind; the rest are counted.
DRIFT_LINES = 20


# Pricelist fields that change what a governed pricelist's approved prices mean or who gets
# them (see _check_governed_settings).
GOVERNED_SETTINGS = (
    "currency_id",
    "active",
    "company_id",
    "country_group_ids",
    "price_customer_specific",
)


class ProductPricelist(models.Model):
    _inherit = "product.pricelist"

    integration_connector_ids = fields.Many2many(
        "integration.connector",
        "product_pricelist_integration_connector_rel",
        "pricelist_id",
        "connector_id",
        string="Publish to",
        copy=False,
        help="Channels that receive the prices of this pricelist once a price change is in "
        "effect. They must be allowed its price data domain (Base price, or Customer price "
        "for a customer pricelist). A copy of the pricelist publishes nowhere until someone "
        "chooses.",
    )
    price_customer_specific = fields.Boolean(
        "Customer-specific prices",
        copy=False,
        tracking=True,
        help="Prices agreed with customers: its changes belong to the Customer price data "
        "domain (its approval thresholds, its system of record) and reach only channels "
        "whose scope includes its customers. A pricelist set on a customer is one as well.",
    )
    price_domain_id = fields.Many2one(
        "integration.data.domain",
        "Price data domain",
        compute="_compute_price_domain_id",
        help="Base price, or Customer price when the pricelist is set on customers or is "
        "customer-specific. A pricelist restricted to country groups stays a base price: its "
        "geography is a matter of the channels' scope (their countries).",
    )
    price_governed = fields.Boolean(
        "Governed prices",
        copy=False,
        tracking=True,
        help="The rules of this pricelist are written only by approved price changes: nobody "
        "edits, adds or deletes them by hand. Set when a price change for this pricelist is "
        "approved; only a Pricing Manager may switch it on or off. A copy is not governed.",
    )
    price_drift_digest = fields.Char(
        copy=False,
        readonly=True,
        groups="base.group_system",
        help="Fingerprint of the drift last reported, so that an unchanged drift is reported once.",
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

    def _compute_price_domain_id(self):
        domains = self.env["integration.data.domain"].sudo().search([])
        by_code = {domain.code: domain for domain in domains}
        customers = self._price_customers()
        for pricelist in self:
            code = pricelist._price_domain_code(customers[pricelist.id])
            pricelist.price_domain_id = by_code.get(code, domains.browse())

    def _price_customers(self):
        """{pricelist id: the customers (res.partner) it is set on, in its company}; one
        query per company whatever the number of pricelists."""
        result = {pricelist.id: self.env["res.partner"] for pricelist in self}
        by_company = defaultdict(list)
        for pricelist in self:
            by_company[pricelist.company_id or self.env.company].append(pricelist.id)
        for company, ids in by_company.items():
            partners = (
                self.env["res.partner"]
                .sudo()
                .with_company(company)
                .search([("specific_property_product_pricelist", "in", ids)])
            )
            for partner in partners:
                result[partner.specific_property_product_pricelist.id] |= partner
        return result

    def _price_domain_code(self, customers=None):
        """The one rule of which price data domain this pricelist's changes belong to:
        "customer_price" when it is flagged customer-specific or set on customers, else
        "base_price" (a regional pricelist included: its country groups are matched
        against the channels' scope). `customers`: from _price_customers, when known."""
        self.ensure_one()
        if self.price_customer_specific:
            return "customer_price"
        if customers is None:
            customers = self._price_customers()[self.id]
        return "customer_price" if customers else "base_price"

    @api.constrains("integration_connector_ids", "price_customer_specific")
    def _check_publication_connectors(self):
        for pricelist in self:
            domain = pricelist.price_domain_id
            for connector in pricelist.integration_connector_ids:
                if domain not in connector.allowed_domain_ids:
                    raise ValidationError(
                        self.env._(
                            "%(c)s may not receive %(d)s (see its allowed data domains): "
                            "it cannot publish %(p)s.",
                            c=connector.name,
                            d=domain.name,
                            p=pricelist.name,
                        )
                    )
                if domain.owner_connector_id == connector:
                    raise ValidationError(
                        self.env._(
                            "%(c)s owns %(d)s (system of record): Odoo does not publish "
                            "them back to it.",
                            c=connector.name,
                            d=domain.name,
                        )
                    )
                if not connector.sudo()._in_scope("product.pricelist", pricelist.ids):
                    raise ValidationError(
                        self.env._(
                            "%(p)s is outside the scope of %(c)s (its company, its "
                            "pricelists or its countries, see the Scope page of the "
                            "connector): it cannot publish there.",
                            c=connector.name,
                            p=pricelist.name,
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
        self._check_governed_settings(vals)
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

    def _check_governed_settings(self, vals):
        """What the approved prices of a governed pricelist mean, and who gets them, changes
        only once a Pricing Manager has released it: its currency (the versions are amounts
        in it), whether it is active, its company and its country groups (which customers it
        applies to). Writing the current value is not a change."""
        if in_workflow(self._name):
            return
        for pricelist in self.filtered("price_governed"):
            changed = [
                name
                for name in GOVERNED_SETTINGS
                if name in vals
                and pricelist._fields[name].convert_to_cache(vals[name], pricelist)
                != pricelist._fields[name].convert_to_cache(pricelist[name], pricelist)
            ]
            if changed:
                raise UserError(
                    self.env._(
                        "The prices of %(pricelist)s were approved in %(currency)s for its "
                        "company and customers: a Pricing Manager must release it before its "
                        "%(fields)s change.",
                        pricelist=pricelist.display_name,
                        currency=pricelist.currency_id.name,
                        fields=", ".join(pricelist._fields[name].string for name in changed),
                    )
                )

    @workflow_method("product.pricelist")
    def _mark_governed(self):
        """Govern these pricelists: called when a price change for them is approved. From
        then on only the price change workflow writes their rules."""
        self.sudo().filtered(lambda p: not p.price_governed).write({"price_governed": True})

    # ------------------------------------------------------------------ drift

    def _governance_drift(self):
        """How the rules of these governed pricelists differ from their approved versions,
        in one query whatever their number: {pricelist id: {"untracked": rules no price
        change wrote, "changed": rules whose price, quantity or dates differ from their
        version or whose version is no longer in effect, "missing": versions in effect
        without their rule}}. Pricelists without drift are left out."""
        governed = self.filtered("price_governed")
        if not governed:
            return {}
        self.env["product.pricelist.item"].flush_model()
        self.env["price.version"].flush_model()
        rows = self.env.execute_query(self._drift_query(governed.ids))
        found = defaultdict(lambda: defaultdict(list))
        for pricelist_id, kind, record_id in rows:
            found[pricelist_id][kind].append(record_id)
        # One prefetch set per model: reporting reads all the pricelists' rules at once.
        item_ids = [r for __, kind, r in rows if kind != "missing"]
        version_ids = [r for __, kind, r in rows if kind == "missing"]
        Item, Version = self.env["product.pricelist.item"], self.env["price.version"]
        return {
            pricelist_id: {
                "untracked": Item.browse(kinds["untracked"]).with_prefetch(item_ids),
                "changed": Item.browse(kinds["changed"]).with_prefetch(item_ids),
                "missing": Version.browse(kinds["missing"]).with_prefetch(version_ids),
            }
            for pricelist_id, kinds in found.items()
        }

    @api.model
    def _drift_query(self, pricelist_ids):
        return SQL(
            """
            SELECT i.pricelist_id,
                   CASE WHEN i.price_version_id IS NULL THEN 'untracked' ELSE 'changed' END,
                   i.id
              FROM product_pricelist_item i
              LEFT JOIN price_version v ON v.id = i.price_version_id
             WHERE i.pricelist_id = ANY(%(ids)s)
               AND (v.id IS NULL
                    OR v.state != 'effective'
                    OR v.pricelist_id != i.pricelist_id
                    OR i.product_id IS DISTINCT FROM v.product_id
                    OR i.applied_on != '0_product_variant'
                    OR i.compute_price != 'fixed'
                    OR i.fixed_price IS DISTINCT FROM v.fixed_price
                    OR i.min_quantity IS DISTINCT FROM v.min_quantity
                    OR i.date_start IS DISTINCT FROM v.date_start
                    OR i.date_end IS DISTINCT FROM v.date_end)
             UNION ALL
            SELECT v.pricelist_id, 'missing', v.id
              FROM price_version v
             WHERE v.pricelist_id = ANY(%(ids)s)
               AND v.state = 'effective'
               AND NOT EXISTS (
                   SELECT 1 FROM product_pricelist_item i
                    WHERE i.price_version_id = v.id AND i.pricelist_id = v.pricelist_id)
             ORDER BY 1, 2, 3
            """,
            ids=list(pricelist_ids),
        )

    @api.model
    def _cron_report_governance_drift(self):
        """Scheduled Action: report on each governed pricelist's chatter, to the Pricing
        Managers, rules that drifted from the approved versions. The same drift is reported
        once; a pricelist whose drift is gone says so."""
        governed = self.search([("price_governed", "=", True)])
        drift = governed._governance_drift()
        managers = group_users(self.env.ref("price_governance.group_price_manager")).partner_id
        for pricelist in governed.sudo():
            found = drift.get(pricelist.id)
            digest = self._drift_digest(found) if found else False
            if digest == pricelist.price_drift_digest:
                continue
            if found:
                body = pricelist._drift_report(found)
            else:
                body = self.env._("The rules of this pricelist match its approved prices again.")
            pricelist.message_post(
                body=body, partner_ids=managers.ids, subtype_xmlid="mail.mt_note"
            )
            pricelist.price_drift_digest = digest
        return drift

    @api.model
    def _drift_digest(self, found):
        key = repr([(kind, sorted(found[kind].ids)) for kind in sorted(found)])
        return hashlib.sha256(key.encode()).hexdigest()

    def _drift_report(self, found):
        self.ensure_one()
        sections = [
            (self.env._("Rules no price change wrote"), found["untracked"], self._drift_item_label),
            (
                self.env._("Rules that differ from their approved version"),
                found["changed"],
                self._drift_changed_label,
            ),
            (
                self.env._("Prices in effect whose rule is missing"),
                found["missing"],
                lambda version: version.display_name,
            ),
        ]
        body = Markup("<p>%s</p><ul>") % self.env._(
            "The rules of this governed pricelist differ from its approved prices. Submit a "
            "price change to fix a price; do not edit the rules."
        )
        for title, records, label in sections:
            if not records:
                continue
            shown = ", ".join(label(record) for record in records[:DRIFT_LINES])
            if len(records) > DRIFT_LINES:
                shown += self.env._(" and %s more", len(records) - DRIFT_LINES)
            body += Markup("<li>%s (%s): %s</li>") % (title, len(records), shown)
        return body + Markup("</ul>")

    @api.model
    def _drift_item_label(self, item):
        return f"{item.name} ({item.price})"

    @api.model
    def _drift_changed_label(self, item):
        version = item.price_version_id
        return self.env._(
            "%(rule)s, approved: %(price)s from %(start)s (%(version)s)",
            rule=self._drift_item_label(item),
            price=version.fixed_price,
            start=version.date_start,
            version=version.display_name,
        )

    def _publication_connectors(self, customers=None):
        """Active connectors subscribed to this pricelist that may receive its price data
        domain (_price_domain_code) and whose scope holds this pricelist (company,
        pricelists, countries) and, for customer prices, every one of its customers.
        `customers`: from _price_customers, when known."""
        self.ensure_one()
        if customers is None:
            customers = self._price_customers()[self.id]
        code = self._price_domain_code(customers)
        wanted = set(customers.ids) if code == "customer_price" else set()
        return self.integration_connector_ids._filter_receivers(code).filtered(
            lambda connector: (
                connector._in_scope("product.pricelist", self.ids)
                and connector._in_scope("res.partner", wanted) == wanted
            )
        )

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
