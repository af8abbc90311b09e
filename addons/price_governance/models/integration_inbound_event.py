# Copyright 2026 Governed Commerce Sync
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from datetime import UTC, datetime

from odoo import fields, models

from odoo.addons.integration_core.models.integration_inbound_event import InboundRefused
from odoo.addons.integration_core.tools.workflow import workflow_scope


def _parse_datetime(value):
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return False
    if parsed.tzinfo:
        parsed = parsed.astimezone(UTC).replace(tzinfo=None)
    return parsed


class IntegrationInboundEvent(models.Model):
    _inherit = "integration.inbound.event"

    def _handle_inbound_price_proposed(self):
        """A pricing engine that owns base prices proposes prices: they become a price change
        submitted for approval, approved at once when every line stays within the guardrail
        of Settings and breaches no threshold.

        Payload: one canonical price (schema "price") or {"prices": [price, ...]}; each names
        the product by sku (internal reference or barcode) and the pricelist by name."""
        self.ensure_one()
        domain = self.env.ref("integration_core.domain_base_price")
        if domain.owner_connector_id != self.connector_id:
            raise InboundRefused(
                self.env._(
                    "%(c)s is not the system of record for base prices: its price "
                    "proposals are refused.",
                    c=self.connector_id.name,
                ),
                category="ownership",
            )
        payload = self.payload or {}
        entries = payload.get("prices") if isinstance(payload.get("prices"), list) else [payload]
        if not entries:
            raise InboundRefused(self.env._("The proposal holds no price."))
        skus = {str(e.get("sku") or "") for e in entries}
        # The engine's SKUs, through the connector's product mappings.
        by_sku = self.connector_id._products_for_external_skus(skus)
        names = {str(e.get("pricelist") or "") for e in entries}
        pricelists = self.env["product.pricelist"].sudo().search([("name", "in", list(names))])
        by_name = {p.name: p for p in pricelists}
        lines, starts, ends = [], set(), set()
        for index, entry in enumerate(entries, start=1):
            product = by_sku.get(str(entry.get("sku") or ""))
            if not product:
                raise InboundRefused(
                    self.env._(
                        "Price %(i)s: no product has the SKU %(sku)r.",
                        i=index,
                        sku=entry.get("sku"),
                    ),
                    category="mapping",
                )
            pricelist = by_name.get(str(entry.get("pricelist") or ""))
            if not pricelist:
                raise InboundRefused(
                    self.env._(
                        "Price %(i)s: no pricelist is named %(name)r.",
                        i=index,
                        name=entry.get("pricelist"),
                    ),
                    category="mapping",
                )
            currency = entry.get("currency")
            if currency and currency != pricelist.currency_id.name:
                raise InboundRefused(
                    self.env._(
                        "Price %(i)s: %(pl)s is in %(cur)s, not %(got)s.",
                        i=index,
                        pl=pricelist.name,
                        cur=pricelist.currency_id.name,
                        got=currency,
                    )
                )
            price = entry.get("price")
            if not isinstance(price, (int, float)) or isinstance(price, bool) or price < 0:
                raise InboundRefused(
                    self.env._("Price %(i)s: the price must be a number of 0 or more.", i=index)
                )
            start = _parse_datetime(entry.get("effective_from"))
            end = _parse_datetime(entry.get("effective_to"))
            if start is False or end is False:
                raise InboundRefused(self.env._("Price %(i)s: a date is not ISO 8601.", i=index))
            starts.add(start)
            ends.add(end)
            lines.append(
                (
                    0,
                    0,
                    {
                        "product_id": product.id,
                        "pricelist_id": pricelist.id,
                        "fixed_price": float(price),
                        "min_quantity": float(entry.get("min_quantity") or 0.0),
                    },
                )
            )
        if len(starts) > 1 or len(ends) > 1:
            raise InboundRefused(self.env._("All prices of one proposal must share one window."))
        start, end = starts.pop(), ends.pop()
        Change = self.env["price.change"].sudo()
        with workflow_scope(Change._name):  # source and event are the workflow's fields
            change = Change.create(
                {
                    "description": self.env._("Proposed by %s", self.connector_id.name),
                    "source": "inbound",
                    "inbound_event_id": self.id,
                    "company_id": self.connector_id.company_id.id or self.env.company.id,
                    "effective_from": start or fields.Datetime.now(),
                    "effective_to": end or False,
                    "line_ids": lines,
                }
            )
        # An overlap or a duplicate raises UserError: the event dies with that message.
        change.action_submit()
        guardrail = self.env["price.governance.policy"]._get()["guardrail"]
        within = (
            guardrail > 0
            and not change.needs_manager
            and all(abs(line.change_percent) <= guardrail + 1e-9 for line in change.line_ids)
        )
        if within:
            change._approval_approve_automatically(
                self.env._("Automatic: every price moves by at most %s %% (guardrail).", guardrail)
            )
            return self.env._("%s approved automatically (within the guardrail).", change.name)
        user = self.connector_id.responsible_user_id
        if user:
            change.activity_schedule(
                "mail.mail_activity_data_todo",
                summary=self.env._("Approve the prices proposed by %s", self.connector_id.name),
                user_id=user.id,
            )
        return self.env._("%s waits for approval.", change.name)
