# Copyright 2026 Governed Commerce Sync
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError, ValidationError

from odoo.addons.base.models.ir_model import MODULE_UNINSTALL_FLAG
from odoo.addons.integration_core.models.integration_inbound_event import InboundRefusal
from odoo.addons.integration_core.tools.workflow import workflow_scope

from ..tools import eligibility
from ..tools.local_time import local_parts, utc_from_local

RELEASE_STATES = [
    ("draft", "Draft"),
    ("to_approve", "To Approve"),
    ("approved", "Approved"),
    ("scheduled", "Scheduled"),
    ("active", "Active"),
    ("expired", "Expired"),
    ("cancelled", "Cancelled"),
]
# States whose content was approved: editing the content there needs a new version.
APPROVED_STATES = ("approved", "scheduled", "active")
# States that count for conflicts: programs that are or may become live.
CONFLICT_STATES = ("to_approve", "approved", "scheduled", "active")
# Fields of the program that are part of the approved content (the snapshot).
GOVERNED_PROGRAM_FIELDS = {
    "name",
    "program_type",
    "trigger",
    "applies_on",
    "date_from",
    "date_to",
    "release_at",
    "expire_at",
    "combinable",
    "rule_ids",
    "reward_ids",
    "pricelist_ids",
    "limit_usage",
    "max_usage",
    "trigger_product_ids",
    "company_id",
}
# Program types that stack with everything by nature (payment means, not discounts).
COMBINABLE_TYPES = ("gift_card", "ewallet", "loyalty")
PROMOTION_GROUP = "promotion_sync.group_promotion_manager"
# Program types whose points or coupons are owed to customers while outstanding.
LIABILITY_TYPES = ("coupons", "next_order_coupons", "gift_card", "ewallet", "loyalty")
# Accounting of a program: configuration of finance, not approved content (it changes nothing
# customers get), so an accountant sets it at any state without a new version.
SETTLEMENT_ACCOUNT_FIELDS = ("discount_account_id", "liability_account_id")
ACCOUNTANT_GROUP = "account.group_account_manager"


class LoyaltyProgram(models.Model):
    _name = "loyalty.program"
    _inherit = [
        "loyalty.program",
        "integration.approval.mixin",
        "mail.thread",
        "mail.activity.mixin",
    ]

    release_state = fields.Selection(
        RELEASE_STATES,
        string="Release",
        default="draft",
        required=True,
        copy=False,
        tracking=True,
        index=True,
        readonly=True,
        help="Only Active programs apply in sales, eCommerce and Point of Sale. Draft: being "
        "prepared. To Approve: waiting for a Promotion Manager. Approved: ready, released by "
        "hand. Scheduled: goes live at its release time. Expired / Cancelled: no longer applies.",
    )
    release_at = fields.Datetime(
        "Release at",
        tracking=True,
        help="When the approved program goes live (in the company's time zone shown beside). "
        "Empty: released by hand with Release now.",
    )
    expire_at = fields.Datetime(
        "Expire at",
        tracking=True,
        help="When the program stops applying and channels are told it expired. Empty: no end.",
    )
    release_tz = fields.Char(
        "Time zone",
        compute="_compute_release_tz",
        help="Time zone of the company, in which release and expiry times are meant.",
    )
    # Release and expiry as the shop means them: a date and a time in the company's zone,
    # whatever the zone of the browser of whoever edits them (stored in UTC as release_at).
    release_date = fields.Date(
        compute="_compute_release_local", inverse="_inverse_release_local", string="Release on"
    )
    release_time = fields.Float(
        compute="_compute_release_local",
        inverse="_inverse_release_local",
        string="at",
        help="Time of day in the company's time zone (e.g. 18:00).",
    )
    expire_date = fields.Date(
        compute="_compute_release_local", inverse="_inverse_release_local", string="Expire on"
    )
    expire_time = fields.Float(
        compute="_compute_release_local",
        inverse="_inverse_release_local",
        string="at ",
        help="Time of day in the company's time zone.",
    )
    combinable = fields.Boolean(
        compute="_compute_combinable",
        store=True,
        readonly=False,
        tracking=True,
        help="Combinable programs may apply together with others on the same products. "
        "Non-combinable promotions overlapping on products and dates are listed as conflicts "
        "before approval.",
    )
    publish_connector_ids = fields.Many2many(
        "integration.connector",
        "loyalty_program_publish_connector_rel",
        "program_id",
        "connector_id",
        string="Publish to",
        help="Channels told about this program. Empty: every connector allowed the Promotion "
        "data domain.",
    )
    snapshot_ids = fields.One2many("promotion.snapshot", "program_id", readonly=True)
    snapshot_count = fields.Integer(compute="_compute_snapshot_count")
    current_snapshot_id = fields.Many2one(
        "promotion.snapshot",
        "Snapshot in force",
        readonly=True,
        copy=False,
        help="The last approved version: what channels know and what eligibility answers from.",
    )
    current_version = fields.Integer(related="current_snapshot_id.version", string="Version")
    published_live = fields.Boolean(
        readonly=True,
        copy=False,
        help="Channels were told this program is live (and not yet that it ended).",
    )
    pending_change = fields.Boolean(
        readonly=True,
        copy=False,
        help="An approved program was edited: the new version waits for approval.",
    )
    conflict_program_ids = fields.Many2many(
        "loyalty.program",
        compute="_compute_conflict_program_ids",
        string="Conflicts",
        context={"active_test": False},  # programs not live yet are archived for Odoo
        help="Non-combinable programs that overlap this one on products and dates: customers "
        "could get both discounts.",
    )
    conflict_count = fields.Integer(compute="_compute_conflict_program_ids")
    conflict_override_ids = fields.Many2many(
        "loyalty.program",
        "loyalty_program_conflict_override_rel",
        "program_id",
        "other_id",
        string="Conflicts overridden",
        readonly=True,
        copy=False,
        context={"active_test": False},
        help="Conflicts a Promotion Manager let through, with a reason (approval history).",
    )
    external_ref = fields.Char(
        "External reference",
        copy=False,
        readonly=True,
        index=True,
        help="Id of the campaign in the promotion engine it came from.",
    )
    external_version = fields.Integer(copy=False, readonly=True)
    source_connector_id = fields.Many2one(
        "integration.connector", "Proposed by", copy=False, readonly=True
    )
    discount_account_id = fields.Many2one(
        "account.account",
        "Discounts granted account",
        check_company=True,
        tracking=True,
        help="Where settlement moves this program's discounts from the revenue they reduced "
        "(an expense or contra-revenue account). Empty: the company's account (Settings). Set "
        "by accountants.",
    )
    liability_account_id = fields.Many2one(
        "account.account",
        "Liability account",
        check_company=True,
        tracking=True,
        help="Coupons, gift cards, eWallets and loyalty points: what the outstanding points "
        "are worth, owed to customers until used or expired. Empty: the company's account "
        "(Settings). Set by accountants.",
    )

    @api.constrains("release_at", "expire_at")
    def _check_release_window(self):
        for program in self:
            if program.release_at and program.expire_at and program.expire_at <= program.release_at:
                raise ValidationError(
                    self.env._(
                        "%(program)s would expire before it is released: set the expiry after "
                        "the release time.",
                        program=program.display_name,
                    )
                )

    # ------------------------------------------------------------------ computes

    @api.depends("company_id")
    def _compute_release_tz(self):
        for program in self:
            company = program.company_id or self.env.company
            program.release_tz = company.partner_id.tz or "UTC"

    @api.depends("release_at", "expire_at", "release_tz")
    def _compute_release_local(self):
        for program in self:
            zone = program.release_tz or "UTC"
            program.release_date, program.release_time = local_parts(program.release_at, zone)
            program.expire_date, program.expire_time = local_parts(program.expire_at, zone)

    def _inverse_release_local(self):
        for program in self:
            zone = program.release_tz or "UTC"
            vals = {
                "release_at": utc_from_local(program.release_date, program.release_time, zone),
                "expire_at": utc_from_local(program.expire_date, program.expire_time, zone),
            }
            vals = {name: value for name, value in vals.items() if program[name] != value}
            if vals:
                program.write(vals)

    @api.depends("program_type")
    def _compute_combinable(self):
        for program in self:
            program.combinable = program.program_type in COMBINABLE_TYPES

    @api.depends("snapshot_ids")
    def _compute_snapshot_count(self):
        counts = dict(
            self.env["promotion.snapshot"]._read_group(
                [("program_id", "in", self.ids)], ["program_id"], ["__count"]
            )
        )
        for program in self:
            program.snapshot_count = counts.get(program, 0)

    def _window(self):
        """(start, end) datetimes of the program, None for open ends."""
        self.ensure_one()
        start = self.release_at or (
            fields.Datetime.to_datetime(self.date_from) if self.date_from else None
        )
        end = self.expire_at or (
            fields.Datetime.to_datetime(self.date_to).replace(hour=23, minute=59, second=59)
            if self.date_to
            else None
        )
        return start, end

    def _product_scope(self):
        """Product ids the program's rules apply to, or None when they apply to every product."""
        self.ensure_one()
        products = self.env["product.product"]
        for rule in self.rule_ids:
            if not rule._get_valid_product_domain():
                return None
            products |= rule._get_valid_products()
        if not self.rule_ids:
            return None
        return set(products.ids)

    @api.depends(
        "combinable",
        "release_at",
        "expire_at",
        "date_from",
        "date_to",
        "rule_ids",
        "rule_ids.product_ids",
        "release_state",
        "company_id",
    )
    def _compute_conflict_program_ids(self):
        # Programs not live yet are archived for Odoo: search them too.
        candidates = self.with_context(active_test=False).search(
            [("release_state", "in", CONFLICT_STATES), ("combinable", "=", False)]
        )
        # Candidates are read once, whatever the number of programs computed.
        scopes = {c.id: c._product_scope() for c in candidates}
        windows = {c.id: c._window() for c in candidates}
        for program in self:
            conflicts = self.browse()
            if not program.combinable and program.release_state not in ("expired", "cancelled"):
                scope = program._product_scope()
                start, end = program._window()
                for other in candidates:
                    if other.id == program._origin.id or other.company_id != program.company_id:
                        continue
                    o_start, o_end = windows[other.id]
                    if (end and o_start and o_start > end) or (o_end and start and start > o_end):
                        continue
                    o_scope = scopes[other.id]
                    if scope is not None and o_scope is not None and not scope & o_scope:
                        continue
                    conflicts |= other
            program.conflict_program_ids = conflicts
            program.conflict_count = len(conflicts)

    # ------------------------------------------------------------------ approval configuration

    _approval_state_field = "release_state"
    _approval_rejected_state = "draft"  # a rejection goes back to the requester
    _approval_approved_states = APPROVED_STATES
    _approval_cancellable_states = ("draft", "to_approve", *APPROVED_STATES)
    _approval_redraftable_states = ("cancelled", "expired")
    _approval_content_fields = tuple(GOVERNED_PROGRAM_FIELDS)
    _approval_workflow_fields = (
        "current_snapshot_id",
        "published_live",
        "pending_change",
        "external_ref",
        "external_version",
        "source_connector_id",
        "conflict_override_ids",
    )
    _approval_manager_group = PROMOTION_GROUP

    def _approval_required_group(self):
        return PROMOTION_GROUP

    def _approval_content(self):
        return self.env["promotion.snapshot"]._content(self)

    def _approval_unresolved_conflicts(self):
        """Conflicts that block approval: with programs already approved (scheduled, live),
        not overridden. Of two programs waiting side by side, the first approved goes; the
        other is then blocked by it. Computed afresh: another program's state may have
        changed in this transaction."""
        self.ensure_one()
        self.invalidate_recordset(["conflict_program_ids", "conflict_count"])
        conflicts = self.conflict_program_ids - self.conflict_override_ids
        return conflicts.filtered(lambda p: p.release_state in APPROVED_STATES)

    def _approval_check_approvable(self):
        """Non-combinable programs overlapping this one block approval, unless a Promotion
        Manager overrode them with a reason."""
        for program in self:
            conflicts = program._approval_unresolved_conflicts()
            if conflicts:
                raise UserError(
                    self.env._(
                        "%(program)s overlaps %(others)s on the same products and dates, and "
                        "they do not combine: customers could get both discounts. Change the "
                        "products or dates, or have a Promotion Manager override the conflict "
                        "with a reason.",
                        program=program.display_name,
                        others=", ".join(conflicts.mapped("display_name")),
                    )
                )

    def _approval_on_override(self):
        for program in self:
            program.conflict_override_ids |= program._approval_unresolved_conflicts()

    def action_override_conflicts(self):
        """Open the wizard in which a Promotion Manager overrides the conflicts, with a reason
        (the override itself checks the group)."""
        self.ensure_one()
        if not self._approval_unresolved_conflicts():
            raise UserError(self.env._("%s has no conflict to override.", self.display_name))
        return self._approval_reason_wizard(
            "override", self.env._("Override the conflicts of %s", self.display_name)
        )

    def _approval_on_approved(self):
        """A snapshot of what was approved becomes the version in force; the program is
        placed on its timeline. A change of a program channels know as live is "changed"."""
        changes = self.filtered(lambda p: p.pending_change and p.published_live)
        self.env["promotion.snapshot"]._take(self)
        self._approval_write({"pending_change": False})
        self._apply_release_schedule(changed=changes)

    def _approval_on_rejected(self):
        # Back to the requester. A rejected change of a live program keeps it off in Odoo (its
        # edited rules are not approved) while channels keep the version in force; the kill
        # switch tells them to stop.
        self._approval_write({"pending_change": False})

    def _approval_on_cancelled(self):
        """The kill switch: the program stops at once, wherever it is live."""
        was_published = self.filtered("published_live")
        self._approval_write({"pending_change": False, "published_live": False})
        self._propagate_active(False)
        was_published._publish("cancelled")

    def _approval_on_content_change_after_approval(self):
        """An approved program was edited: back to draft with a pending change. The version in
        force keeps applying in channels until the new one is approved; Odoo's own flows stop
        applying the program, as the edited rules are not approved."""
        self._approval_write({"pending_change": True})
        self._approval_redraft(
            self.env._(
                "The approved content changed: back to draft, to submit as a new version. The "
                "version in force stays with the channels until then."
            )
        )

    def _approval_on_redraft(self):
        self._propagate_active(False)

    # ------------------------------------------------------------------ ORM

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            self.browse()._check_settlement_account_rights(vals)
            if vals.get("release_state", "draft") != "active":
                # Not approved: hidden from sales, eCommerce and PoS (Odoo's own switch).
                vals["active"] = False
        return super().create(vals_list)

    def write(self, vals):
        self._check_settlement_account_rights(vals)
        if vals and set(vals) <= set(SETTLEMENT_ACCOUNT_FIELDS) and not self.env.su:
            # Accountants set the accounts of programs they may not edit otherwise.
            self.check_access("read")
            return super(LoyaltyProgram, self.sudo()).write(vals)
        if self._approval_trusted():
            return super().write(vals)
        if vals.get("active") and any(p.release_state != "active" for p in self):
            raise UserError(
                self.env._(
                    "Only approved programs go live: submit the program for approval instead "
                    "of unarchiving it."
                )
            )
        if "active" in vals and not vals["active"]:
            return self._archive_as_kill_switch(vals)
        return super().write(vals)

    def _archive_as_kill_switch(self, vals):
        """Archiving a live program is the kill switch: the workflow cancels it and turns
        Odoo's switch off with it (as superuser: 19.0 archives the rewards' discount products
        too, which a promotion user may not write), once the caller may cancel it."""
        self.check_access("write")
        live = self.filtered(lambda p: p.release_state in APPROVED_STATES)
        rest = {name: value for name, value in vals.items() if name != "active"}
        result = super().write(rest) if rest else True
        live._approval_cancel(None)
        others = (self - live).filtered("active")
        if others:
            super(LoyaltyProgram, others).write({"active": False})
        return result

    def unlink(self):
        approved = self.filtered(lambda p: p.snapshot_ids or p.release_state != "draft")
        if approved and not (self.env.su and self.env.context.get(MODULE_UNINSTALL_FLAG)):
            raise UserError(
                self.env._(
                    "%s went through approval: its approved versions are the audit trail. "
                    "Cancel or archive it instead of deleting it.",
                    ", ".join(approved.mapped("display_name")),
                )
            )
        return super().unlink()

    def _check_settlement_account_rights(self, vals):
        """The accounts of a program decide what finance posts: an accountant's to set or
        clear (a form creating a program sends them empty: that sets nothing)."""
        changed = [
            name
            for name in SETTLEMENT_ACCOUNT_FIELDS
            if name in vals and (vals[name] or any(self.mapped(name)))
        ]
        if changed and not (self.env.su or self.env.user.has_group(ACCOUNTANT_GROUP)):
            raise AccessError(
                self.env._(
                    "Only accountants (Accounting / Administrator) set the settlement accounts "
                    "of a promotion."
                )
            )

    def _propagate_active(self, active):
        """Odoo's own switch follows the release. Only the program's: its rules and rewards
        stay visible (a draft must show what will be approved), and every sales, eCommerce
        and Point of Sale flow selects programs by their own active flag first."""
        programs = self.with_context(active_test=False)
        changing = programs.filtered(lambda p: p.active != active)
        # 19.0 archives a program's rules, rewards and communication plans with it (18.0 does
        # not): bring back those that were active, so the switch means the same on both.
        children = [
            changing[field].filtered("active")
            for field in ("rule_ids", "reward_ids", "communication_plan_ids")
        ]
        changing._approval_write({"active": active})
        with workflow_scope(self._name):
            for records in children:
                records.filtered(lambda r: not r.active).sudo().write({"active": True})

    # ------------------------------------------------------------------ buttons

    def action_release_now(self):
        """Release approved programs now (a Promotion Manager's call)."""
        self._approval_check_states(("approved", "scheduled"), self.env._("Releasing"))
        if not self.env.user.has_group(PROMOTION_GROUP):
            raise AccessError(
                self.env._("Only a Promotion Manager may release or stop promotions.")
            )
        programs = self.sudo()
        programs._approval_write({"release_at": fields.Datetime.now()})
        programs._go_live()
        return True

    def action_view_snapshots(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "promotion_sync.promotion_snapshot_action"
        )
        action["domain"] = [("program_id", "=", self.id)]
        action["context"] = {"default_program_id": self.id}
        return action

    # ------------------------------------------------------------------ release schedule

    def _apply_release_schedule(self, changed=None):
        """Place approved programs on their timeline: expired, live or scheduled."""
        now = fields.Datetime.now()
        changed = changed or self.browse()
        expired = self.filtered(lambda p: p.expire_at and p.expire_at <= now)
        expired._expire()
        rest = self - expired
        scheduled = rest.filtered(lambda p: p.release_at and p.release_at > now)
        scheduled._approval_write({"release_state": "scheduled"})
        # Released before (or released at a time that passed): live at once.
        live = (rest - scheduled).filtered(lambda p: p.release_at or p in changed)
        live._go_live(changed=changed)
        self._trigger_release_schedule()

    def _go_live(self, changed=None):
        changed = changed or self.browse()
        self._approval_write({"release_state": "active", "published_live": True})
        self._propagate_active(True)
        (self & changed)._publish("changed")
        (self - changed)._publish("active")

    def _expire(self):
        was_published = self.filtered("published_live")
        self._approval_write(
            {"release_state": "expired", "pending_change": False, "published_live": False}
        )
        self._propagate_active(False)
        was_published._publish("expired")

    @api.model
    def _cron_release_schedule(self, limit=200):
        """Scheduled Action: release scheduled programs whose time came, expire live ones
        whose end passed, and queue their publication. Bounded batches, committed between."""
        Message = self.env["integration.message"]
        now = fields.Datetime.now()
        done = 0
        Program = self.with_context(active_test=False)
        while True:
            to_expire = Program.search(
                [("release_state", "in", ("active", "scheduled")), ("expire_at", "<=", now)],
                limit=limit,
            )
            to_release = Program.search(
                [
                    ("release_state", "=", "scheduled"),
                    ("release_at", "<=", now),
                    ("id", "not in", to_expire.ids),
                ],
                limit=limit,
            )
            if not to_expire and not to_release:
                break
            to_expire._expire()
            to_release._go_live()
            done += len(to_expire) + len(to_release)
            Message._queue_commit()
            if len(to_expire) < limit and len(to_release) < limit:
                break
        self._trigger_release_schedule()
        return done

    @api.model
    def _trigger_release_schedule(self):
        """Wake the release Scheduled Action at the next release or expiry time, so programs
        start and end on their minute (not at the next periodic run)."""
        now = fields.Datetime.now()
        Program = self.sudo().with_context(active_test=False)
        times = [
            Program.search(domain, order=f"{name}, id", limit=1)[name]
            for name, domain in (
                ("release_at", [("release_state", "=", "scheduled"), ("release_at", ">", now)]),
                (
                    "expire_at",
                    [("release_state", "in", ("scheduled", "active")), ("expire_at", ">", now)],
                ),
            )
        ]
        times = [at for at in times if at]
        cron = self.env.ref("promotion_sync.ir_cron_promotion_release_schedule", False)
        if cron and times:
            cron.sudo()._trigger(at=min(times))

    # ------------------------------------------------------------------ publication

    def _publication_connectors(self, subscribers=None):
        """Connectors told about this program: its own list, else every connector allowed
        the promotion domain in its company; never the system that owns promotions."""
        self.ensure_one()
        if subscribers is None:
            subscribers = self._promotion_subscribers()
        company = self.company_id or self.env.company
        connectors = self.publish_connector_ids or subscribers.filtered(
            lambda c: c.company_id == company
        )
        return connectors._filter_receivers("promotion")

    @api.model
    def _promotion_subscribers(self):
        """Receivers of promotions in every company; each program keeps its company's."""
        companies = self.env["res.company"].sudo().search([])
        return self.env["integration.connector"]._receivers_of("promotion", companies)

    def _publish(self, status):
        """Queue the canonical promotion payload of each program's snapshot in force: one
        enqueue call per set of connectors, whatever the number of programs."""
        subscribers = self._promotion_subscribers()
        groups = {}
        for program in self.filtered("current_snapshot_id"):
            connectors = program._publication_connectors(subscribers)
            if connectors:
                key = tuple(connectors.ids)
                groups.setdefault(key, (connectors, self.browse()))
                groups[key] = (connectors, groups[key][1] | program)
        snapshots = self.current_snapshot_id
        carried = snapshots._carried_product_ids()
        for connectors, programs in groups.values():
            programs._integration_publish(
                "promotion",
                f"promotion.{status}",
                [p.current_snapshot_id._payload(status) for p in programs],
                connectors=connectors,
                schema="promotion",
                priority="high" if status in ("cancelled", "expired") else "normal",
                coalescing_keys=[f"promotion:{p.id}" for p in programs],
                idempotency_keys=[
                    f"promotion:{p.id}:v{p.current_snapshot_id.version}:{status}" for p in programs
                ],
                versions=[str(p.current_snapshot_id.version) for p in programs],
                # A connector is told of the promotions whose every product is in its scope.
                scopes=[{"product.product": carried[p.current_snapshot_id.id]} for p in programs],
            )

    # ------------------------------------------------------------------ eligibility

    @api.model
    def _eligibility_answer(self, connector, cart):
        """(200, what the cart gets) for the calling system's connector, within its company;
        a cart that is not one is a 400 invalid_cart."""
        try:
            return 200, self.with_company(connector.company_id)._promotion_eligibility(cart)
        except eligibility.CartError as exc:
            raise InboundRefusal(400, "invalid_cart", str(exc)) from exc

    @api.model
    def _promotion_eligibility(self, cart):
        """What a cart gets. When an external engine owns promotions (the system of record of
        the Promotion data domain), it is asked; while it cannot be asked or does not answer
        in time, the fallback policy answers. Else Odoo's approved snapshots answer. The
        answer's `source` says which."""
        lines, codes = eligibility.parse_cart(cart)
        engine = self.env.ref("integration_core.domain_promotion").sudo().owner_connector_id
        if not engine:
            return self._eligibility_from_snapshots(lines, codes, eligibility.SOURCE_SNAPSHOT)
        answer, reason = engine._promotion_engine_eligibility(cart)
        if answer is not None:
            return {**answer, "source": eligibility.SOURCE_ENGINE}
        policy = (
            self.env["ir.config_parameter"]
            .sudo()
            .get_param("promotion_sync.eligibility_fallback", eligibility.DEFAULT_FALLBACK)
        )
        source = eligibility.FALLBACK_SOURCES.get(
            policy, eligibility.FALLBACK_SOURCES[eligibility.DEFAULT_FALLBACK]
        )
        if source == eligibility.FALLBACK_SOURCES["last_snapshot"]:
            answer = self._eligibility_from_snapshots(lines, codes, source)
        else:  # deny (no discount) or allow (the caller keeps its own): Odoo lists none
            answer = {"programs": [], "discount_total": 0.0, "source": source}
        answer.update(engine_unavailable=engine.display_name, fallback_reason=reason)
        return answer

    @api.model
    def _eligibility_snapshots(self):
        """The approved snapshots in force now in the current companies: of live programs,
        and of programs whose edit waits for approval (channels keep that version)."""
        now = fields.Datetime.now()
        programs = (
            self.sudo()
            .with_context(active_test=False)
            .search(
                [
                    ("company_id", "in", [False, *self.env.companies.ids]),
                    ("current_snapshot_id", "!=", False),
                    "|",
                    ("release_state", "=", "active"),
                    "&",
                    ("release_state", "in", ("draft", "to_approve")),
                    ("pending_change", "=", True),
                ]
            )
        )
        return programs.current_snapshot_id.filtered(
            lambda s: (
                not (s.starts_at and s.starts_at > now) and not (s.ends_at and s.ends_at < now)
            )
        )

    @api.model
    def _eligibility_from_snapshots(self, lines, codes, source):
        """What the cart gets from the approved snapshots, computed by Odoo's loyalty code
        (sale.order._promotion_cart_rewards), with `source` named in the answer."""
        given = (
            self.env["sale.order"]
            .sudo()
            ._promotion_cart_rewards(lines, codes, self._eligibility_snapshots())
        )
        programs = [
            {
                "program_id": item["snapshot"].program_id.id,
                "version": item["snapshot"].version,
                "name": item["snapshot"].name,
                "combinable": item["snapshot"].combinable,
                "discount": item["discount"],
                "reward_type": item["reward_type"],
                "free_skus": sorted({free["sku"] for free in item["free_products"]}),
                "free_products": item["free_products"],
            }
            for item in sorted(given, key=lambda item: item["snapshot"].program_id.id)
        ]
        return {
            "programs": programs,
            "discount_total": round(sum(p["discount"] for p in programs), 2),
            "source": source,
        }

    # ------------------------------------------------------------------ demo

    @api.model
    def _demo_release_campaign(self):
        """Demo: move the demo campaign through its release states (submitted by Marc Demo,
        approved by the administrator)."""
        requester = self.env.ref("base.user_demo", raise_if_not_found=False) or self.env.user
        approver = self.env.ref("base.user_admin")

        def ref(name, user):
            # sudo() keeps the user for the approval audit, with the rights of the installer.
            return self.env.ref(f"promotion_sync.{name}").with_user(user).sudo()

        names = [
            "demo_program_autumn_clearance",  # window passed: expired at once
            "demo_program_black_friday_desks",  # window open: active
            "demo_program_cyber_monday_cabinets",  # window ahead: scheduled
            "demo_program_flash_sale",  # active, then stopped
            "demo_program_new_year",  # no release time: approved, waits for Release now
        ]
        for name in [*names, "demo_program_large_desk_bundle"]:  # the last waits for approval
            ref(name, requester).action_submit()
        for name in names:
            ref(name, approver).action_approve()
        ref("demo_program_flash_sale", approver).action_cancel()
        # Spring preview stays a draft.

    # ------------------------------------------------------------------ settlement

    def _settlement_accounts(self):
        """(discount account, liability account) this program settles to: its own, else its
        company's. The liability account only for programs that owe points or coupons."""
        self.ensure_one()
        company = self.company_id or self.env.company
        discount = self.discount_account_id or company.promotion_discount_account_id
        liability = self.env["account.account"]
        if self.program_type in LIABILITY_TYPES:
            liability = self.liability_account_id or company.promotion_liability_account_id
        return discount, liability

    def _settlement_point_value(self):
        """What one point of this program is worth, in its currency: the first reward that
        says so (see loyalty.reward._settlement_point_value); 0 when none does."""
        self.ensure_one()
        for reward in self.reward_ids.sorted("id"):
            value = reward._settlement_point_value()
            if value:
                return value
        return 0.0
