# Copyright 2026 Governed Commerce Sync
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo import Command, api, models

from odoo.addons.integration_core.models.integration_inbound_event import InboundRefused
from odoo.addons.integration_core.tools import dates
from odoo.addons.integration_core.tools.workflow import workflow_scope

REWARD_TYPES = ("discount", "product")
DISCOUNT_MODES = ("percent", "per_order", "per_point")
APPLICABILITIES = ("order", "cheapest", "specific")


class IntegrationInboundEvent(models.Model):
    _inherit = "integration.inbound.event"

    @api.model
    def _get_inbound_handlers(self):
        return {
            **super()._get_inbound_handlers(),
            "promotion.proposed": "_handle_inbound_promotion_proposed",
        }

    def _handle_inbound_promotion_proposed(self):
        """A campaign from the promotion engine that owns promotions: becomes a program
        waiting for approval.

        The payload is the canonical promotion (schema "promotion" v1, validated);
        ``program_id`` is the engine's id of the campaign and ``version`` its version: an
        older or repeated version changes nothing.
        """
        self.ensure_one()
        payload = self.payload
        Program = self.env["loyalty.program"].sudo().with_context(active_test=False)
        ref = f"{self.connector_id.code}:{payload['program_id']}"
        existing = Program.search([("external_ref", "=", ref)], limit=1)
        if existing and existing.external_version >= payload["version"]:
            return self.env._(
                "Version %(version)s of %(program)s is already known.",
                version=payload["version"],
                program=existing.display_name,
            )
        # The engine's SKUs, wherever the campaign names them, through the mappings.
        _payload, by_sku = self._mapped_payload()
        program_type, vals = self._promotion_program_vals(payload, by_sku)
        if existing:
            if existing.release_state in ("expired", "cancelled"):
                existing.action_draft()
            # Not in the workflow's scope: the edit of approved content sends it back to draft.
            existing.with_context(program_type=program_type).write(vals)
            existing._approval_write({"external_version": payload["version"]})
            program = existing
            if program.release_state == "draft":
                program.action_submit()
        else:
            vals.update(
                external_ref=ref,
                external_version=payload["version"],
                source_connector_id=self.connector_id.id,
                company_id=self.connector_id.company_id.id,
            )
            with workflow_scope(Program._name):  # the origin fields are the workflow's
                program = Program.with_context(program_type=program_type).create(vals)
            program.action_submit()
        return self.env._(
            "%(program)s (version %(version)s) waits for approval.",
            program=program.display_name,
            version=payload["version"],
        )

    def _promotion_program_vals(self, payload, by_sku):
        """(program type, loyalty.program values) of a campaign whose SKUs are all known."""
        rewards = [self._promotion_reward_vals(r, by_sku) for r in payload.get("rewards") or []]
        if not rewards:
            raise InboundRefused(self.env._("The campaign has no reward."), category="validation")
        rule = (payload.get("rules") or [{}])[0]
        rule_vals = {
            "mode": "with_code" if payload.get("code") else "auto",
            "code": payload.get("code") or False,
            "minimum_qty": rule.get("minimum_qty", 1),
            "minimum_amount": rule.get("minimum_amount", 0.0),
            "product_ids": [Command.set([by_sku[s].id for s in payload.get("skus") or []])],
        }
        program_type = payload.get("program_type") or "promotion"
        if program_type not in dict(self.env["loyalty.program"]._fields["program_type"].selection):
            raise InboundRefused(
                self.env._("Unknown program type %s.", program_type), category="validation"
            )
        return program_type, {
            "name": payload["name"],
            "program_type": program_type,
            "trigger": "with_code" if payload.get("code") else "auto",
            "combinable": bool(payload.get("combinable")),
            "release_at": dates.to_naive_utc(payload.get("starts_at")) or False,
            "expire_at": dates.to_naive_utc(payload.get("ends_at")) or False,
            "rule_ids": [Command.clear(), Command.create(rule_vals)],
            "reward_ids": [Command.clear()] + [Command.create(r) for r in rewards],
        }

    def _promotion_reward_vals(self, reward, by_sku):
        reward_type = reward.get("reward_type", "discount")
        if reward_type not in REWARD_TYPES:
            raise InboundRefused(
                self.env._("Unknown reward type %s.", reward_type), category="validation"
            )
        if reward_type == "product":
            skus = reward.get("reward_skus") or []
            if not skus:
                raise InboundRefused(
                    self.env._("A free product reward needs reward_skus."), category="validation"
                )
            return {
                "reward_type": "product",
                "reward_product_id": by_sku[skus[0]].id,
                "reward_product_qty": int(reward.get("reward_product_qty") or 1),
            }
        mode = reward.get("discount_mode", "percent")
        applicability = reward.get("discount_applicability", "order")
        discount = reward.get("discount")
        if (
            mode not in DISCOUNT_MODES
            or applicability not in APPLICABILITIES
            or not isinstance(discount, (int, float))
            or discount <= 0
        ):
            raise InboundRefused(
                self.env._(
                    "Invalid discount reward: %(reward)s (mode among %(modes)s, applicability "
                    "among %(app)s, a positive discount).",
                    reward=reward,
                    modes=", ".join(DISCOUNT_MODES),
                    app=", ".join(APPLICABILITIES),
                ),
                category="validation",
            )
        vals = {
            "reward_type": "discount",
            "discount": discount,
            "discount_mode": mode,
            "discount_applicability": applicability,
        }
        if applicability == "specific":
            vals["discount_product_ids"] = [
                Command.set([by_sku[s].id for s in reward.get("discount_skus") or []])
            ]
        return vals
