# Copyright 2026 Governed Commerce Sync
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from collections import defaultdict
from datetime import timedelta

from odoo import api, fields, models
from odoo.exceptions import UserError, ValidationError

from odoo.addons.integration_core.compat.groups import USER_GROUPS

PRICE_CHANGE_STATES = [
    ("draft", "Draft"),
    ("to_approve", "To Approve"),
    ("approved", "Approved"),
    ("effective", "Effective"),
    ("published", "Published"),
    ("reconciled", "Reconciled"),
    ("rejected", "Rejected"),
    ("cancelled", "Cancelled"),
    ("expired", "Expired"),
    ("superseded", "Superseded"),
]
# Changes whose lines hold (or will hold) a pricelist window: a new change may not overlap them.
ACTIVE_STATES = ("to_approve", "approved", "effective", "published", "reconciled")
WAITING_MESSAGE_STATES = ("pending", "sending", "failed")
# What keeps an effective change from being published (see _publication_counts).
NOT_PUBLISHED_YET = WAITING_MESSAGE_STATES + ("dead", "rejected", "unconfirmed")


def windows_conflict(start_a, end_a, start_b, end_b):
    """Two effective windows conflict when they overlap, except that an open-ended window
    (a permanent price) is overridden by any window starting strictly after it."""
    if end_a is None and start_a < start_b:
        return False
    if end_b is None and start_b < start_a:
        return False
    return (end_b is None or start_a < end_b) and (end_a is None or start_b < end_a)


class PriceChange(models.Model):
    """A governed change of prices: approved before it reaches a pricelist or a channel."""

    _name = "price.change"
    _description = "Price Change"
    _inherit = ["mail.thread", "mail.activity.mixin", "integration.approval.mixin"]
    _order = "id desc"

    name = fields.Char(required=True, default="/", copy=False, readonly=True, tracking=True)
    state = fields.Selection(
        PRICE_CHANGE_STATES,
        required=True,
        default="draft",
        tracking=True,
        readonly=True,
        index=True,
        copy=False,
    )
    company_id = fields.Many2one(
        "res.company", required=True, default=lambda self: self.env.company
    )
    description = fields.Char(
        "Reason", tracking=True, help="Why these prices change (season, cost increase, ...)."
    )
    effective_from = fields.Datetime(
        tracking=True,
        default=fields.Datetime.now,
        help="When the new prices start to apply in the pricelists (and are then published).",
    )
    effective_to = fields.Datetime(
        tracking=True,
        help="When they stop applying; the previous price comes back. Empty: until another "
        "change replaces them.",
    )
    line_ids = fields.One2many("price.change.line", "change_id", copy=True)
    line_count = fields.Integer(compute="_compute_line_count")
    version_ids = fields.One2many("price.version", "change_id", readonly=True)
    version_count = fields.Integer(compute="_compute_version_count")
    source = fields.Selection(
        [
            ("manual", "Manual"),
            ("import", "CSV import"),
            ("inbound", "Pricing engine"),
            ("rollback", "Rollback"),
        ],
        default="manual",
        required=True,
        readonly=True,
        copy=False,
    )
    rollback_of_version_id = fields.Many2one("price.version", readonly=True, copy=False)
    inbound_event_id = fields.Many2one("integration.inbound.event", readonly=True, copy=False)
    needs_manager = fields.Boolean(
        readonly=True,
        copy=False,
        help="A line breaches a threshold of Settings: a Pricing Manager must approve.",
    )
    publication_count = fields.Integer(compute="_compute_publication")
    publication_sent_count = fields.Integer(compute="_compute_publication")
    publication_dead_count = fields.Integer(compute="_compute_publication")
    publication_failed = fields.Boolean(compute="_compute_publication")
    publication_rejected_count = fields.Integer(
        "Rejected by channels", compute="_compute_publication"
    )
    publication_unconfirmed_count = fields.Integer(
        "Waiting for confirmation", compute="_compute_publication"
    )
    publication_ids = fields.One2many(
        "price.publication",
        "change_id",
        "Channels",
        readonly=True,
        help="Each version of this change on each channel: sent, applied or rejected (and why).",
    )
    reconciled_at = fields.Datetime(readonly=True, copy=False)

    # ------------------------------------------------------------------ computes

    @api.depends("line_ids")
    def _compute_line_count(self):
        for change in self:
            change.line_count = len(change.line_ids)

    @api.depends("version_ids")
    def _compute_version_count(self):
        for change in self:
            change.version_count = len(change.version_ids)

    def _publication_counts(self):
        """{change id: {message state: count}} in one query; also "rejected" (messages a
        channel rejected) and "unconfirmed" (sent to a channel that must acknowledge, and
        not acknowledged as applied)."""
        versions = self.env["price.version"].search([("change_id", "in", self.ids)])
        change_of = {v.id: v.change_id.id for v in versions}
        counts = defaultdict(lambda: defaultdict(int))
        if not versions:
            return counts
        groups = (
            self.env["integration.message"]
            .sudo()
            ._read_group(
                [("res_model", "=", "price.version"), ("res_id", "in", versions.ids)],
                ["res_id", "state", "ack_state", "connector_id"],
                ["__count"],
            )
        )
        for res_id, state, ack_state, connector, count in groups:
            by_state = counts[change_of[res_id]]
            by_state[state] += count
            if state in ("superseded", "cancelled"):
                continue
            if ack_state == "rejected":
                by_state["rejected"] += count
            elif state == "sent" and connector.ack_required and ack_state != "applied":
                by_state["unconfirmed"] += count
        return counts

    def _compute_publication(self):
        counts = self._publication_counts() if self.ids else {}
        for change in self:
            by_state = counts.get(change.id, {})
            change.publication_count = sum(
                n for s, n in by_state.items() if s not in ("superseded", "cancelled")
            )
            change.publication_sent_count = by_state.get("sent", 0)
            change.publication_dead_count = by_state.get("dead", 0)
            change.publication_failed = bool(by_state.get("dead") or by_state.get("rejected"))
            change.publication_rejected_count = by_state.get("rejected", 0)
            change.publication_unconfirmed_count = by_state.get("unconfirmed", 0)

    # ------------------------------------------------------------------ approval configuration

    _approval_approved_states = ("approved", "effective", "published", "reconciled")
    _approval_content_fields = ("effective_from", "effective_to", "company_id", "line_ids")
    _approval_workflow_fields = (
        "needs_manager",
        "reconciled_at",
        "source",
        "rollback_of_version_id",
        "inbound_event_id",
    )
    _approval_manager_group = "price_governance.group_price_manager"

    @property
    def _approval_cancel_hint(self):
        return self.env._(
            "Its prices already reached the pricelists: roll back to an older version instead."
        )

    def _approval_required_group(self):
        if self.needs_manager:
            return "price_governance.group_price_manager"
        return "price_governance.group_price_user"

    def _approval_content(self):
        self.ensure_one()
        return {
            "company": self.company_id.id,
            "effective_from": self.effective_from,
            "effective_to": self.effective_to,
            "lines": sorted(line._approval_content() for line in self.line_ids),
        }

    # ------------------------------------------------------------------ ORM

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            if vals.get("name", "/") == "/":
                vals["name"] = self.env["ir.sequence"].next_by_code("price.change") or "/"
        return super().create(vals_list)

    def unlink(self):
        if any(change.state not in ("draft", "cancelled") or change.version_ids for change in self):
            raise UserError(
                self.env._(
                    "Only draft or cancelled changes that never had versions can be deleted."
                )
            )
        return super().unlink()

    @api.constrains("effective_from", "effective_to")
    def _check_window(self):
        for change in self:
            if (
                change.effective_from
                and change.effective_to
                and change.effective_to <= change.effective_from
            ):
                raise ValidationError(
                    self.env._("%s: the window must end after it starts.", change.display_name)
                )

    # ------------------------------------------------------------------ workflow hooks

    def _approval_check_submittable(self):
        """Lines present and priced once each, one company, no overlapping window."""
        self._check_submittable()
        self._check_overlaps()

    def _approval_prepare_submit(self):
        self.line_ids._snapshot_current_prices()

    def _approval_evaluate_policy(self):
        """Thresholds on the lines as they are now, those of each line's price data domain
        (its own, else Settings): they decide who approves."""
        lines = self.line_ids
        customers = lines.pricelist_id._price_customers()
        by_code = defaultdict(lambda: self.env["price.change.line"])
        for line in lines:
            pricelist = line.pricelist_id
            by_code[pricelist._price_domain_code(customers[pricelist.id])] |= line
        Policy = self.env["price.governance.policy"]
        for code, code_lines in by_code.items():
            code_lines._evaluate_thresholds(Policy._get(code))
        for change in self:
            change.needs_manager = any(change.line_ids.mapped("breach"))

    def _approval_on_approved(self):
        """One immutable version per approved line; their pricelists become governed."""
        self.env["price.version"]._create_from_lines(self.line_ids)
        self.line_ids.pricelist_id._mark_governed()
        cron = self.env.ref("price_governance.ir_cron_price_effect", raise_if_not_found=False)
        if cron and any(c.effective_from <= fields.Datetime.now() for c in self):
            cron._trigger()

    def _approval_on_cancelled(self):
        self.version_ids.filtered(lambda v: v.state == "scheduled")._set_state("cancelled")

    def _approval_check_redraft(self):
        if any(change.version_ids for change in self):
            raise UserError(
                self.env._(
                    "Only rejected changes, or cancelled ones never approved, go back to draft."
                )
            )

    def _check_submittable(self):
        for change in self:
            if not change.line_ids:
                raise UserError(self.env._("%s has no lines to submit.", change.display_name))
            if not change.effective_from:
                raise UserError(self.env._("%s needs an effective date.", change.display_name))
            seen = set()
            for line in change.line_ids:
                key = line._key()
                if key in seen:
                    raise UserError(
                        self.env._(
                            "%(change)s prices %(product)s twice in %(pricelist)s for a minimum "
                            "quantity of %(qty)s.",
                            change=change.display_name,
                            product=line.product_id.display_name,
                            pricelist=line.pricelist_id.display_name,
                            qty=line.min_quantity,
                        )
                    )
                seen.add(key)
                if (
                    line.pricelist_id.company_id
                    and line.pricelist_id.company_id != change.company_id
                ):
                    raise UserError(
                        self.env._(
                            "%(change)s: pricelist %(pricelist)s belongs to another company.",
                            change=change.display_name,
                            pricelist=line.pricelist_id.display_name,
                        )
                    )
                # The pricelist item the effect writes (by SQL) must be one create() accepts:
                # a product of another company has no price in this company's pricelist.
                company = line.pricelist_id.company_id
                if company and line.product_id.company_id not in (company, company.browse()):
                    raise UserError(
                        self.env._(
                            "%(change)s: %(product)s belongs to another company than "
                            "pricelist %(pricelist)s.",
                            change=change.display_name,
                            product=line.product_id.display_name,
                            pricelist=line.pricelist_id.display_name,
                        )
                    )

    def _check_overlaps(self):
        """Refuse a window that overlaps another change's window for the same pricelist,
        product and quantity break (one query for all lines)."""
        lines = self.line_ids
        others = self.env["price.change.line"].search(
            [
                ("product_id", "in", lines.product_id.ids),
                ("pricelist_id", "in", lines.pricelist_id.ids),
                ("change_id.state", "in", ACTIVE_STATES),
                ("change_id", "not in", self.ids),
            ]
        )
        by_key = defaultdict(list)
        for other in others:
            by_key[other._key()].append(other)
        for line in lines:
            change = line.change_id
            for other in by_key.get(line._key(), ()):
                o_change = other.change_id
                if windows_conflict(
                    change.effective_from,
                    change.effective_to or None,
                    o_change.effective_from,
                    o_change.effective_to or None,
                ):
                    raise UserError(
                        self.env._(
                            "%(change)s overlaps %(other)s: both price %(product)s in "
                            "%(pricelist)s (minimum quantity %(qty)s) from %(start)s to %(end)s. "
                            "Change the window or cancel %(other)s.",
                            change=change.display_name,
                            other=o_change.display_name,
                            product=line.product_id.display_name,
                            pricelist=line.pricelist_id.display_name,
                            qty=line.min_quantity,
                            start=o_change.effective_from,
                            end=o_change.effective_to or self.env._("open end"),
                        )
                    )

    # ------------------------------------------------------------------ state from versions

    def _sync_state_from_versions(self):
        """After the effect cron moved versions: approved -> effective; everything retired or
        superseded -> expired / superseded."""
        groups = self.env["price.version"]._read_group(
            [("change_id", "in", self.ids)], ["change_id", "state"]
        )
        by_change = defaultdict(list)
        for change, state in groups:
            by_change[change.id].append(state)
        to_state = defaultdict(list)
        for change in self:
            states = [s for s in by_change.get(change.id, []) if s != "cancelled"]
            if not states:
                continue
            if all(s in ("retired", "superseded") for s in states):
                if change.state in ("approved", "effective", "published", "reconciled"):
                    target = "expired" if "retired" in states else "superseded"
                    to_state[target].append(change.id)
            elif change.state == "approved" and "scheduled" not in states:
                to_state["effective"].append(change.id)
        for state, ids in to_state.items():
            self.browse(ids)._approval_write({"state": state})

    # ------------------------------------------------------------------ publication follow-up

    @api.model
    def _cron_follow_publication(self, limit=500):
        """Scheduled Action: effective changes whose every message was sent become published;
        published changes are reconciled against what the channels confirmed."""
        Message = self.env["integration.message"]
        effective = self.search([("state", "=", "effective")], limit=limit)
        effective._check_publication()
        Message._queue_commit()
        published = self.search([("state", "=", "published")], limit=limit)
        published._reconcile()
        Message._queue_commit()

    def _check_publication(self):
        """Effective -> published when every message of the change was sent and every channel
        that must acknowledge applied it (in bulk). A rejection keeps it effective."""
        counts = self._publication_counts()
        done = self.browse()
        for change in self.filtered(lambda c: c.state == "effective"):
            by_state = counts.get(change.id, {})
            if not by_state.get("sent"):
                continue
            if any(by_state.get(s) for s in NOT_PUBLISHED_YET):
                continue
            done |= change
        done._approval_write({"state": "published"})
        return done

    def _reconcile(self):
        """Published -> reconciled when, for every version in effect, the pricelist item holds
        the version's price and every subscribed channel confirmed (a sent message) that very
        price. Differences are noted on the change and sent to its requester."""
        versions = self.env["price.version"].search(
            [("change_id", "in", self.ids), ("state", "=", "effective")]
        )
        items = (
            self.env["product.pricelist.item"]
            .sudo()
            .search([("price_version_id", "in", versions.ids)])
        )
        item_of = {item.price_version_id.id: item for item in items}
        sent = (
            self.env["integration.message"]
            .sudo()
            .search(
                [
                    ("res_model", "=", "price.version"),
                    ("res_id", "in", versions.ids),
                    ("state", "=", "sent"),
                ],
                order="id",
            )
        )
        confirmed = {}  # (version, connector) -> last payload price sent (and applied)
        for message in sent:
            if message.ack_state == "rejected" or (
                message.connector_id.ack_required and message.ack_state != "applied"
            ):
                continue
            confirmed[(message.res_id, message.connector_id.id)] = (message.payload or {}).get(
                "price"
            )
        connectors_of = {pl.id: pl._publication_connectors() for pl in versions.pricelist_id}
        # A connector confirms the prices of the products within its scope only.
        in_scope = {
            connector: connector._in_scope("product.product", versions.product_id.ids)
            for connector in self.env["integration.connector"].union(*connectors_of.values())
        }
        problems = defaultdict(list)
        for version in versions:
            item = item_of.get(version.id)
            if not item or item.fixed_price != version.fixed_price:
                problems[version.change_id.id].append(
                    self.env._(
                        "%(v)s: the pricelist does not hold %(price)s.",
                        v=version.display_name,
                        price=version.fixed_price,
                    )
                )
                continue
            for connector in connectors_of[version.pricelist_id.id]:
                if version.product_id.id not in in_scope[connector]:
                    continue
                price = confirmed.get((version.id, connector.id))
                if price is None or abs(price - item.fixed_price) > 1e-6:
                    problems[version.change_id.id].append(
                        self.env._(
                            "%(v)s: %(c)s confirmed %(got)s instead of %(price)s.",
                            v=version.display_name,
                            c=connector.name,
                            got=price if price is not None else self.env._("nothing"),
                            price=item.fixed_price,
                        )
                    )
        good = self.browse()
        for change in self:
            if problems.get(change.id):
                text = "; ".join(problems[change.id][:10])
                change.message_post(body=self.env._("Reconciliation found differences: %s", text))
                change._notify_requester(self.env._("Prices differ in the channels"), text)
            else:
                good |= change
        good._approval_write({"state": "reconciled", "reconciled_at": fields.Datetime.now()})
        for change in good:
            change.message_post(
                body=self.env._("Reconciled: the channels hold the prices of the pricelists.")
            )
        return good

    def action_reconcile(self):
        """Reconcile published changes now (needs write access to them)."""
        self.check_access("write")
        published = self.filtered(lambda c: c.state == "published")
        if not published:
            raise UserError(self.env._("Only published changes can be reconciled."))
        published._reconcile()
        return True

    def _note_rejections(self, messages):
        """Channels rejected these price messages of this change: say which and why in the
        chatter and in an activity for the requester."""
        self.ensure_one()
        versions = self.env["price.version"].browse(messages.mapped("res_id"))
        name_of = {v.id: v.display_name for v in versions}
        text = "; ".join(
            self.env._(
                "%(channel)s rejected %(version)s: %(reason)s",
                channel=m.connector_id.name,
                version=name_of.get(m.res_id, m.source_version),
                reason=m.ack_reason,
            )
            for m in messages[:10]
        )
        self.message_post(body=text)
        self._notify_requester(self.env._("A channel rejected prices"), text)

    def _notify_requester(self, summary, note):
        for change in self:
            user = change.requested_by_id or change.create_uid
            if not user:
                continue
            existing = change.activity_ids.filtered(
                lambda a, s=summary, u=user: a.summary == s and a.user_id == u
            )
            if not existing:
                change.activity_schedule(
                    "mail.mail_activity_data_todo", summary=summary, note=note, user_id=user.id
                )

    # ------------------------------------------------------------------ buttons

    def action_open_versions(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "price_governance.price_version_action"
        )
        action["domain"] = [("change_id", "=", self.id)]
        action["context"] = {}
        return action

    def action_open_messages(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "integration_core.integration_message_action"
        )
        action["domain"] = [
            ("res_model", "=", "price.version"),
            ("res_id", "in", self.version_ids.ids),
        ]
        action["context"] = {}
        return action

    def action_open_import(self):
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Import price lines"),
            "res_model": "price.change.import.wizard",
            "view_mode": "form",
            "target": "new",
        }

    # ------------------------------------------------------------------ demo

    @api.model
    def _demo_populate(self):
        """Demo story (demo/price_governance_demo.xml): changes in several states."""
        ref = self.env.ref
        demo = ref("base.user_demo", raise_if_not_found=False)
        admin = ref("base.user_admin")
        webshop = ref("price_governance.demo_pricelist_webshop")
        wholesale = ref("price_governance.demo_pricelist_wholesale")
        products = [
            ref(f"product.product_product_{n}", raise_if_not_found=False) for n in (7, 8, 9, 10)
        ]
        products = [p for p in products if p]
        if not demo or len(products) < 4:
            return False
        demo.sudo().write({USER_GROUPS: [(4, ref("price_governance.group_price_user").id)]})
        box, desk, bin_, extra = products
        now = fields.Datetime.now()
        day = timedelta(days=1)

        def change(description, lines, start, end=False):
            return self.with_user(demo).create(
                {
                    "description": description,
                    "effective_from": start,
                    "effective_to": end,
                    "line_ids": [
                        (
                            0,
                            0,
                            {
                                "product_id": p.id,
                                "pricelist_id": pl.id,
                                "fixed_price": price,
                                "min_quantity": qty,
                            },
                        )
                        for p, pl, price, qty in lines
                    ],
                }
            )

        spring = change(
            self.env._("Spring price increase"),
            [(desk, webshop, 1899.0, 0), (bin_, webshop, 49.0, 0), (bin_, webshop, 45.0, 10)],
            now - 10 * day,
        )
        weekend = change(
            self.env._("Weekend promotion"),
            [(box, webshop, 14.9, 0)],
            now - 20 * day,
            now - 18 * day,
        )
        summer = change(
            self.env._("Summer sale"), [(desk, webshop, 1699.0, 0)], now + 30 * day, now + 45 * day
        )
        for record in spring | weekend | summer:
            record.action_submit()
            record.with_user(admin).action_approve()
        clearance = change(
            self.env._("Clearance of old storage boxes"), [(box, wholesale, 9.0, 0)], now + 2 * day
        )
        clearance.action_submit()
        cut = change(
            self.env._("Match a competitor's 40 % cut"), [(extra, webshop, 1.0, 0)], now + 5 * day
        )
        cut.line_ids.write({"price_mode": "percent", "percent": -40.0})
        cut.action_submit()
        cut.with_user(admin)._approval_reject(self.env._("Margin too thin: we keep our price."))
        draft = change(
            self.env._("New wholesale prices"),
            [(desk, wholesale, 0.0, 0), (bin_, wholesale, 0.0, 0)],
            now + 7 * day,
        )
        draft.line_ids.write({"price_mode": "percent", "percent": -8.0})
        self.env["price.version"]._cron_effect()
        return True
