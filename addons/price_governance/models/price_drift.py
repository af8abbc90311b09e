# Copyright 2026 Governed Commerce Sync
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
import logging
from collections import defaultdict

from odoo import api, fields, models
from odoo.exceptions import UserError

_logger = logging.getLogger(__name__)

DRIFT_FIELDS = [
    ("presence", "Missing on the channel"),
    ("price", "Price"),
    ("currency", "Currency"),
    ("version", "Version"),
]


def _qty_key(quantity):
    return round(float(quantity or 0.0), 6)


class PriceDrift(models.Model):
    """A difference between a price in effect in Odoo and what a channel shows, found by
    the read-back Scheduled Action: per channel, product, pricelist (and quantity break)
    and field. Open until a read-back no longer finds it; one click publishes Odoo's
    version to that channel again."""

    _name = "price.drift"
    _description = "Price Drift on a Channel"
    _order = "state, detected_at desc, id desc"
    _rec_name = "product_id"

    connector_id = fields.Many2one(
        "integration.connector", "Channel", required=True, readonly=True, ondelete="cascade"
    )
    company_id = fields.Many2one(related="connector_id.company_id", store=True)
    version_id = fields.Many2one(
        "price.version", "Version in Odoo", required=True, readonly=True, ondelete="cascade"
    )
    product_id = fields.Many2one(related="version_id.product_id", store=True)
    pricelist_id = fields.Many2one(related="version_id.pricelist_id", store=True)
    min_quantity = fields.Float(related="version_id.min_quantity")
    change_id = fields.Many2one(related="version_id.change_id", store=True)
    field = fields.Selection(DRIFT_FIELDS, required=True, readonly=True)
    odoo_value = fields.Char("In Odoo", readonly=True)
    channel_value = fields.Char("On the channel", readonly=True)
    state = fields.Selection(
        [("open", "Open"), ("republished", "Published again"), ("resolved", "Resolved")],
        default="open",
        required=True,
        readonly=True,
        index=True,
    )
    detected_at = fields.Datetime(readonly=True, default=fields.Datetime.now)
    resolved_at = fields.Datetime(readonly=True)

    # Nobody writes drifts but the read-back and the re-publication (access: read only).

    # ------------------------------------------------------------------ read-back

    @api.model
    def _cron_read_back(self):
        """Scheduled Action: read back what every channel with a read-back path shows of the
        prices of the pricelists it receives, per price data domain (its read-back path for
        base_price, for customer_price); record the differences, resolve those no longer
        found. A channel that cannot be read is noted on it and skipped."""
        for connector, by_code in self._read_back_subscriptions().items():
            try:
                differences = []
                for code, pricelists in by_code.items():
                    document = connector._read_back(code)
                    self._check_snapshot(connector, document)
                    differences += self._differences(connector, pricelists, document)
                self._record(connector, differences)
            except UserError as exc:
                _logger.warning("Price read-back of %s failed: %s", connector.name, exc)
                connector.message_post(body=str(exc))
            self.env["integration.message"]._queue_commit()

    @api.model
    def _read_back_subscriptions(self):
        """{connector with a read-back path: {price domain code: pricelists it receives}}."""
        Pricelist = self.env["product.pricelist"].sudo()
        pricelists = Pricelist.search([("integration_connector_ids", "!=", False)])
        customers = pricelists._price_customers()
        result = defaultdict(lambda: defaultdict(Pricelist.browse))
        for pricelist in pricelists:
            code = pricelist._price_domain_code(customers[pricelist.id])
            receivers = pricelist._publication_connectors(customers[pricelist.id])
            for connector in receivers.filtered("readback_path"):
                result[connector][code] |= pricelist
        return result

    @api.model
    def _compare(self, connector, document, pricelists=None):
        """Record the drift between what `connector` shows (`document`, schema
        "price_snapshot": its read-back answer or a price.snapshot event) and the prices in
        effect in `pricelists` (default: those it is subscribed to). Returns the drifts
        opened. UserError when the document does not match the schema: nothing changes."""
        self._check_snapshot(connector, document)
        if pricelists is None:
            pricelists = (
                self.env["product.pricelist"]
                .sudo()
                .search([("integration_connector_ids", "in", connector.ids)])
            )
        return self._record(connector, self._differences(connector, pricelists, document))

    @api.model
    def _check_snapshot(self, connector, document):
        """UserError unless `document` follows the schema "price_snapshot"."""
        errors = self.env["integration.schema"]._lookup("price_snapshot")._errors(document)
        if errors:
            raise UserError(
                self.env._(
                    "What %(c)s shows is not a price snapshot: %(e)s",
                    c=connector.name,
                    e="; ".join(errors[:5]),
                )
            )

    @api.model
    def _differences(self, connector, pricelists, document):
        """[(version, field, Odoo value, channel value)] between the versions in effect in
        `pricelists` and the channel's read-back `document` ({"prices": [{sku, pricelist,
        price, min_quantity?, currency?, version?}]})."""
        shown = self._shown_prices(connector, document)
        versions = (
            self.env["price.version"]
            .sudo()
            .search([("pricelist_id", "in", pricelists.ids), ("state", "=", "effective")])
        )
        found = []
        for version in versions:
            entry = shown.get(
                (version.pricelist_id.name, version.product_id.id, _qty_key(version.min_quantity))
            )
            if entry is None:
                found.append((version, "presence", f"{version.fixed_price:g}", False))
                continue
            if abs(entry["price"] - version.fixed_price) > 1e-6:
                found.append((version, "price", f"{version.fixed_price:g}", str(entry["price"])))
            if entry.get("currency") and entry["currency"] != version.currency_id.name:
                found.append((version, "currency", version.currency_id.name, entry["currency"]))
            if "version" in entry and str(entry["version"]) != str(version.version):
                found.append((version, "version", str(version.version), str(entry["version"])))
        return found

    @api.model
    def _shown_prices(self, connector, document):
        """{(pricelist name, product id, quantity break): entry} of a price snapshot, its
        SKUs translated through the connector's product mappings (unknown ones ignored)."""
        entries = document["prices"]
        products = self.env["integration.product.mapping"]._products_for_external_skus(
            connector, {e["sku"] for e in entries}
        )
        shown = {}
        for entry in entries:
            product = products.get(entry["sku"])
            if product:
                key = (entry.get("pricelist"), product.id, _qty_key(entry.get("min_quantity")))
                shown[key] = entry
        return shown

    @api.model
    def _record(self, connector, differences):
        """Open drifts for `differences` (updating those already open), resolve the other
        open drifts of `connector`."""
        open_drifts = self.sudo().search(
            [("connector_id", "=", connector.id), ("state", "=", "open")]
        )
        by_key = {(d.version_id.id, d.field): d for d in open_drifts}
        now = fields.Datetime.now()
        seen = self.browse()
        to_create = []
        for version, field, odoo_value, channel_value in differences:
            drift = by_key.get((version.id, field))
            values = {"odoo_value": odoo_value, "channel_value": channel_value}
            if drift:
                drift.write(values)
                seen |= drift
            else:
                to_create.append(
                    {
                        "connector_id": connector.id,
                        "version_id": version.id,
                        "field": field,
                        **values,
                    }
                )
        (open_drifts - seen).write({"state": "resolved", "resolved_at": now})
        return self.sudo().create(to_create)

    # ------------------------------------------------------------------ action

    def action_republish(self):
        """Publish Odoo's version again to the channel of each open drift (one message per
        version and channel, whatever the number of its drifts). For Pricing Users who may
        read these drifts; checks the caller, then queues with sudo."""
        self._integration_check_caller("price_governance.group_price_user")
        drifts = self.sudo().filtered(lambda d: d.state == "open")
        if not drifts:
            raise UserError(self.env._("Only open drifts can be published again."))
        now = fields.Datetime.now()
        for connector in drifts.connector_id:
            mine = drifts.filtered(lambda d, c=connector: d.connector_id == c)
            mine.version_id._publish(reason="republish", stamp=now, only_to=connector)
        drifts.write({"state": "republished", "resolved_at": now})
        for change in drifts.change_id:
            change.message_post(
                body=self.env._(
                    "Published again to %(channels)s after a read-back found differences.",
                    channels=", ".join(
                        drifts.filtered(lambda d, c=change: d.change_id == c).connector_id.mapped(
                            "name"
                        )
                    ),
                )
            )
        return True
