# Copyright 2026 Governed Commerce Sync
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
import uuid

from odoo import Command, api, fields, models
from odoo.exceptions import UserError

from odoo.addons.integration_core.compat.constraints import sql_constraints
from odoo.addons.integration_core.tools.product_mapping import internal_sku
from odoo.addons.integration_core.tools.workflow import in_workflow, workflow_scope


def product_sku(product):
    """The SKU our payloads give a product (integration_core's one rule: its internal
    reference, else its barcode, else a stable id); each connector's mappings translate it."""
    return internal_sku(product.default_code, product.barcode, product.id)


def _content_skus(content):
    """Every SKU a snapshot's content names: its product list, its rules' and rewards'."""
    skus = set(content.get("skus") or [])
    for rule in content.get("rules") or []:
        skus.update(rule.get("skus") or [])
    for reward in content.get("rewards") or []:
        skus.update(reward.get("discount_skus") or [])
        skus.update(reward.get("reward_skus") or [])
    return skus


@sql_constraints
class PromotionSnapshot(models.Model):
    """Immutable copy of a program's rules, rewards, products and dates as approved."""

    _name = "promotion.snapshot"
    _description = "Promotion Rule Snapshot"
    _order = "program_id, version desc"
    _rec_names_search = ["program_id"]

    program_id = fields.Many2one(
        "loyalty.program",
        required=True,
        ondelete="cascade",
        index=True,
        readonly=True,
        context={"active_test": False},
    )
    company_id = fields.Many2one(related="program_id.company_id", store=True)
    version = fields.Integer(required=True, readonly=True)
    name = fields.Char(readonly=True, help="Program name as approved.")
    approved_by_id = fields.Many2one("res.users", readonly=True)
    approved_at = fields.Datetime(readonly=True)
    starts_at = fields.Datetime(readonly=True)
    ends_at = fields.Datetime(readonly=True)
    combinable = fields.Boolean(readonly=True)
    all_products = fields.Boolean(
        readonly=True, help="The rules apply to every product (no product restriction)."
    )
    skus = fields.Text("SKUs", readonly=True, help="Products the rules apply to, one a line.")
    content = fields.Json(readonly=True)
    in_force = fields.Boolean(compute="_compute_in_force")

    _sql_constraints = [
        ("version_uniq", "unique(program_id, version)", "This version of the program exists."),
    ]

    @api.depends("program_id.current_snapshot_id")
    def _compute_display_name(self):
        for snapshot in self:
            snapshot.display_name = f"{snapshot.program_id.name or ''} v{snapshot.version}"

    def _compute_in_force(self):
        for snapshot in self:
            snapshot.in_force = snapshot.program_id.current_snapshot_id == snapshot

    # ------------------------------------------------------------------ immutability

    @api.model_create_multi
    def create(self, vals_list):
        if not in_workflow("loyalty.program"):
            raise UserError(
                self.env._("A promotion snapshot is taken by approving the program, not by hand.")
            )
        return super().create(vals_list)

    def write(self, vals):
        raise UserError(
            self.env._("A promotion snapshot is what was approved: it cannot be changed.")
        )

    def unlink(self):
        raise UserError(
            self.env._("A promotion snapshot is what was approved: it cannot be deleted.")
        )

    # ------------------------------------------------------------------ taking

    @api.model
    def _content(self, program):
        """The approved content of a program, as plain data."""
        scope = program._product_scope()
        products = self.env["product.product"].browse(sorted(scope)) if scope is not None else []
        start, end = program._window()
        rules = []
        for rule in program.rule_ids:
            restricted = bool(rule._get_valid_product_domain())
            rules.append(
                {
                    "mode": rule.mode,
                    "code": rule.code or None,
                    "minimum_qty": rule.minimum_qty,
                    "minimum_amount": rule.minimum_amount,
                    "reward_point_amount": rule.reward_point_amount,
                    "reward_point_mode": rule.reward_point_mode,
                    "skus": sorted(product_sku(p) for p in rule._get_valid_products())
                    if restricted
                    else None,
                }
            )
        rewards = []
        for reward in program.reward_ids:
            rewards.append(
                {
                    "reward_id": reward.id,
                    "reward_type": reward.reward_type,
                    "description": reward.description or "",
                    "discount": reward.discount,
                    "discount_mode": reward.discount_mode,
                    "discount_applicability": reward.discount_applicability,
                    "discount_max_amount": reward.discount_max_amount,
                    # Searched here: Odoo's all_discount_product_ids can be switched off.
                    "discount_skus": sorted(
                        product_sku(p)
                        for p in self.env["product.product"].search(
                            reward._get_discount_product_domain()
                        )
                    )
                    if reward.discount_applicability == "specific"
                    else [],
                    "reward_skus": sorted(product_sku(p) for p in reward.reward_product_ids),
                    "reward_product_qty": reward.reward_product_qty,
                    "required_points": reward.required_points,
                }
            )
        return {
            "name": program.name,
            "program_type": program.program_type,
            "trigger": program.trigger,
            "applies_on": program.applies_on,
            "combinable": program.combinable,
            "starts_at": start.isoformat() + "Z" if start else None,
            "ends_at": end.isoformat() + "Z" if end else None,
            "date_from": program.date_from.isoformat() if program.date_from else None,
            "date_to": program.date_to.isoformat() if program.date_to else None,
            "currency": program.currency_id.name,
            "all_products": scope is None,
            "skus": sorted(product_sku(p) for p in products),
            "rules": rules,
            "rewards": rewards,
        }

    @api.model
    def _take(self, programs):
        """Store the next version of each program's content and make it the one in force."""
        last = dict(
            self._read_group([("program_id", "in", programs.ids)], ["program_id"], ["version:max"])
        )
        now = fields.Datetime.now()
        vals_list = []
        for program in programs:
            content = self._content(program)
            start, end = program._window()
            vals_list.append(
                {
                    "program_id": program.id,
                    "version": (last.get(program) or 0) + 1,
                    "name": program.name,
                    "approved_by_id": program.approved_by_id.id or self.env.uid,
                    "approved_at": program.approved_at or now,
                    "starts_at": start or False,
                    "ends_at": end or False,
                    "combinable": program.combinable,
                    "all_products": content["all_products"],
                    "skus": "\n".join(content["skus"]),
                    "content": content,
                }
            )
        with workflow_scope("loyalty.program"):
            snapshots = self.sudo().create(vals_list)
        for program, snapshot in zip(programs, snapshots):
            program._approval_write({"current_snapshot_id": snapshot.id})
        return snapshots

    # ------------------------------------------------------------------ eligibility

    def _eligibility_program_values(self, product_ids, code_prefix):
        """Values of a loyalty.program holding this snapshot's approved rules and rewards, for
        the eligibility check to run Odoo's loyalty code on (created in a savepoint that is
        rolled back). `product_ids`: {sku: product id} of the cart and of reward products;
        `code_prefix` keeps codes apart from the real programs' (codes are unique). None
        when nothing of it can apply to the cart."""
        self.ensure_one()
        content = self.content or {}
        rules = [
            vals
            for rule in content.get("rules") or []
            if (vals := self._rule_values(rule, product_ids, code_prefix))
        ]
        rewards = [
            vals
            for reward in content.get("rewards") or []
            if (vals := self._reward_values(reward, product_ids))
        ]
        if not rules or not rewards:
            return None
        return {
            "name": content.get("name") or self.name,
            "program_type": content.get("program_type") or "promotion",
            "trigger": content.get("trigger") or "auto",
            "applies_on": "current",
            "company_id": self.program_id.company_id.id,
            "combinable": bool(content.get("combinable")),
            "release_state": "active",
            "active": True,
            "rule_ids": [Command.create(vals) for vals in rules],
            "reward_ids": [Command.create(vals) for vals in rewards],
        }

    @api.model
    def _rule_values(self, rule, product_ids, code_prefix):
        vals = {
            "mode": rule.get("mode") or "auto",
            "minimum_qty": rule.get("minimum_qty") or 0,
            "minimum_amount": rule.get("minimum_amount") or 0.0,
            "reward_point_amount": rule.get("reward_point_amount") or 1.0,
            "reward_point_mode": rule.get("reward_point_mode") or "order",
        }
        if vals["mode"] == "with_code":
            vals["code"] = f"{code_prefix}{rule.get('code')}"
        if rule.get("skus") is not None:
            # Only the cart's products matter to a rule; none of them: it cannot match (an
            # empty product list would mean every product).
            products = [product_ids[sku] for sku in rule["skus"] if sku in product_ids]
            if not products:
                return None
            vals["product_ids"] = [Command.set(products)]
        return vals

    @api.model
    def _reward_values(self, reward, product_ids):
        kind = reward.get("reward_type")
        vals = {
            "reward_type": kind,
            "description": reward.get("description") or False,
            "required_points": reward.get("required_points") or 1.0,
        }
        original = self.env["loyalty.reward"].browse(reward.get("reward_id") or []).exists()
        if original.discount_line_product_id:
            vals["discount_line_product_id"] = original.discount_line_product_id.id
        if kind == "discount":
            vals.update(
                discount=reward.get("discount") or 0.0,
                discount_mode=reward.get("discount_mode") or "percent",
                discount_applicability=reward.get("discount_applicability") or "order",
                discount_max_amount=reward.get("discount_max_amount") or 0.0,
            )
            if vals["discount"] <= 0:
                return None
            if vals["discount_applicability"] == "specific":
                products = [
                    product_ids[s] for s in reward.get("discount_skus") or [] if s in product_ids
                ]
                if not products:
                    return None  # none of its products in the cart (empty would mean all)
                vals["discount_product_ids"] = [Command.set(products)]
            return vals
        if kind == "product":
            products = [product_ids[s] for s in reward.get("reward_skus") or [] if s in product_ids]
            if not products:
                return None
            vals["reward_product_qty"] = reward.get("reward_product_qty") or 1
            if len(products) == 1:
                vals["reward_product_id"] = products[0]
            else:
                # Several products, one to choose: Odoo knows them by a tag.
                tag = self.env["product.tag"].create(
                    {
                        "name": f"eligibility {uuid.uuid4().hex}",
                        "product_product_ids": [Command.set(products)],
                    }
                )
                vals["reward_product_tag_id"] = tag.id
            return vals
        return None  # shipping and others: not a discount a cart can be told about

    def _carried_product_ids(self):
        """{snapshot id: [product ids]} of the products these snapshots name anywhere (their
        product list, rules and rewards), by the SKUs they were published with: one query
        whatever their number. A SKU no product has any more names nothing."""
        skus_of = {snapshot.id: _content_skus(snapshot.content or {}) for snapshot in self}
        products = self.env["integration.product.mapping"]._products_for_internal_skus(
            {sku for skus in skus_of.values() for sku in skus}
        )
        return {
            snapshot_id: sorted({products[sku].id for sku in skus if sku in products})
            for snapshot_id, skus in skus_of.items()
        }

    def _payload(self, status):
        """Canonical promotion payload (schema "promotion" v1) of this snapshot."""
        self.ensure_one()
        content = self.content or {}
        program = self.program_id
        code = next((r["code"] for r in content.get("rules", []) if r.get("code")), None)
        return {
            "program_id": program.id,
            "name": content.get("name") or program.name,
            "code": code,
            "version": self.version,
            "status": status,
            "program_type": content.get("program_type") or program.program_type,
            "combinable": bool(content.get("combinable")),
            "starts_at": content.get("starts_at"),
            "ends_at": content.get("ends_at"),
            "rules": content.get("rules", []),
            "rewards": content.get("rewards", []),
            "skus": content.get("skus", []),
        }
