# Copyright 2026 Governed Commerce Sync
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo import api, fields, models

from odoo.addons.integration_core.models.integration_inbound_event import InboundRefused
from odoo.addons.integration_core.tools import dates
from odoo.addons.integration_core.tools.workflow import workflow_scope


class IntegrationInboundEvent(models.Model):
    _inherit = "integration.inbound.event"

    @api.model
    def _get_inbound_handlers(self):
        return {
            **super()._get_inbound_handlers(),
            "price.proposed": "_handle_inbound_price_proposed",
            "price.snapshot": "_handle_inbound_price_snapshot",
        }

    def _handle_inbound_price_snapshot(self):
        """A channel sends every price it shows (schema "price_snapshot", validated): the
        drift from the prices in effect in the pricelists it is subscribed to is recorded
        as the read-back Scheduled Action records it."""
        self.ensure_one()
        Drift = self.env["price.drift"].sudo()
        Drift._compare(self.connector_id, self.payload)
        count = Drift.search_count(
            [("connector_id", "=", self.connector_id.id), ("state", "=", "open")]
        )
        return self.env._("%s open difference(s) with the channel.", count)

    def _handle_inbound_price_proposed(self):
        """A pricing engine that owns base prices proposes prices: they become a price change
        submitted for approval, approved at once when every line stays within the guardrail
        of Settings and breaches no threshold.

        Payload (schema "price_proposal", validated): one canonical price or
        {"prices": [price, ...]}; each names the product by sku (through the connector's
        product mappings) and the pricelist by name."""
        self.ensure_one()
        # Prices and quantities per unit of our products, products through the mappings.
        payload, by_sku = self._mapped_payload()
        entries = payload["prices"] if "prices" in payload else [payload]
        lines, start, end = self._price_proposal_lines(entries, by_sku)
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

    def _price_proposal_lines(self, entries, by_sku):
        """(price change line commands, start, end) for the proposed prices (their products:
        `by_sku`, see _mapped_payload); InboundRefused when a pricelist is unknown, a
        currency differs or windows differ."""
        names = [e["pricelist"] for e in entries]
        by_name = {
            p.name: p for p in self.env["product.pricelist"].sudo().search([("name", "in", names)])
        }
        lines, starts, ends = [], set(), set()
        for index, entry in enumerate(entries, start=1):
            product = by_sku[entry["sku"]]
            pricelist = by_name.get(entry["pricelist"])
            if not pricelist:
                raise InboundRefused(
                    self.env._(
                        "Price %(i)s: no pricelist is named %(name)r.",
                        i=index,
                        name=entry["pricelist"],
                    ),
                    category="mapping",
                )
            if entry["currency"] != pricelist.currency_id.name:
                raise InboundRefused(
                    self.env._(
                        "Price %(i)s: %(pl)s is in %(cur)s, not %(got)s.",
                        i=index,
                        pl=pricelist.name,
                        cur=pricelist.currency_id.name,
                        got=entry["currency"],
                    )
                )
            starts.add(dates.to_naive_utc(entry.get("effective_from")))
            ends.add(dates.to_naive_utc(entry.get("effective_to")))
            line = {
                "product_id": product.id,
                "pricelist_id": pricelist.id,
                "fixed_price": float(entry["price"]),
                "min_quantity": float(entry.get("min_quantity") or 0.0),
            }
            lines.append((0, 0, line))
        if len(starts) > 1 or len(ends) > 1:
            raise InboundRefused(self.env._("All prices of one proposal must share one window."))
        return lines, starts.pop(), ends.pop()
