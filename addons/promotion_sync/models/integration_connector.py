# Copyright 2026 Governed Commerce Sync
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
import json
import uuid

from odoo import fields, models

from odoo.addons.integration_core.tools import circuit, transport

from ..tools import eligibility

# Where a promotion engine answers eligibility, under its connector's base URL: POST the cart
# as we receive it, get our answer's shape back (README: "Eligibility").
ENGINE_ELIGIBILITY_PATH = "eligibility"


class IntegrationConnector(models.Model):
    _inherit = "integration.connector"

    def _promotion_engine_eligibility(self, cart):
        """(answer, None) from the promotion engine this connector is, asked through the
        connector's own transport (session, auth, timeout, rate limit); (None, reason) when it
        cannot be asked or did not answer in time or in shape. Every answer counts for the
        connector's health, so an engine that keeps failing opens its circuit and is not
        waited for until its cool-down ends."""
        self.ensure_one()
        reason = self._promotion_engine_blocked()
        if reason:
            return None, reason
        outcome = self._transport().post(
            ENGINE_ELIGIBILITY_PATH,
            transport.dumps(cart),
            {"Idempotency-Key": f"eligibility-{uuid.uuid4().hex}"},
        )
        answer, reason = None, outcome.category
        if outcome.ok:
            try:
                answer = eligibility.check_engine_answer(json.loads(outcome.body or b"null"))
            except ValueError as exc:
                reason = "invalid_answer"
                outcome = transport.Outcome(
                    False,
                    status=outcome.status,
                    category="remote_error",
                    error=self.env._("The promotion engine's answer is not one: %s", exc),
                    latency_ms=outcome.latency_ms,
                    excerpt=outcome.excerpt,
                )
        self._record_results([outcome])
        return (answer, None) if answer is not None else (None, reason)

    def _promotion_engine_blocked(self):
        """Why the engine is not asked now (frozen, archived, circuit_open, environment,
        transport), or None."""
        self.ensure_one()
        if not self.active:
            return "archived"
        if self.frozen:
            return "frozen"
        if self.environment == "production" and self._instance_environment() != "production":
            return "environment"
        if self.transport != "https_json" or not self.base_url:
            return "transport"
        now = fields.Datetime.now()
        state = self._circuit()
        if circuit.is_blocked(state, now) or (
            circuit.is_trial(state, now) and not self._take_trial()
        ):
            return "circuit_open"
        return None
