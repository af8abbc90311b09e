# Copyright 2026 Governed Commerce Sync
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
import hashlib
import json

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError

from ..compat.groups import group_users
from ..tools.workflow import in_workflow, workflow_scope

# Written only by the mixin's own steps, whatever the client.
APPROVAL_FIELDS = (
    "requested_by_id",
    "requested_at",
    "approved_by_id",
    "approved_at",
    "approved_on_behalf_of_id",
    "rejected_by_id",
    "reject_reason",
    "approval_digest",
)


def content_text(content):
    """Approved content (plain data, dates included) as canonical JSON text."""
    return json.dumps(content, sort_keys=True, default=str, separators=(",", ":"))


def content_digest(content):
    """Digest of approved content: what was approved is what goes live."""
    return hashlib.sha256(content_text(content).encode()).hexdigest()


class IntegrationApprovalMixin(models.AbstractModel):
    """The approval workflow of governed records, the way OCA base_tier_validation owns one.

    A model that uses it declares its state field and states (``_approval_*`` attributes
    below) and its content (``_approval_content_fields`` and ``_approval_content()``); the
    mixin then owns every transition:

    - the state field, the approval fields and the model's ``_approval_workflow_fields`` are
      written only by the workflow's own code (``tools/workflow.py``), whatever the client:
      form, XML-RPC, JSON-RPC, import or another module;
    - ``action_submit`` records the requester and a digest of the content;
    - ``action_approve`` re-evaluates the policy (``_approval_evaluate_policy``) on the content
      being approved, refuses the requester and users outside the group the content needs
      (unless they approve on behalf of someone through a delegation), checks that the content
      is the one submitted, and records the approved content on the decision;
    - content changed after submission sends the record back to draft, with a chatter line;
      after approval, ``_approval_on_content_change_after_approval`` decides;
    - cancelling approved content needs a manager, or the requester with a reason;
    - every step is an immutable ``integration.approval.decision`` and a chatter line.

    Business hooks: ``_approval_prepare_submit``, ``_approval_on_approved``,
    ``_approval_on_rejected``, ``_approval_on_cancelled``, ``_approval_on_redraft``.
    """

    _name = "integration.approval.mixin"
    _description = "Approval with separation of duties"

    _approval_state_field = "state"
    _approval_draft_state = "draft"
    _approval_waiting_state = "to_approve"
    _approval_approved_state = "approved"
    _approval_rejected_state = "rejected"
    _approval_cancel_state = "cancelled"
    # States in which approved content applies or will: cancelling there is a manager's call.
    _approval_approved_states = ("approved",)
    # States from which a cancellation is possible at all.
    _approval_cancellable_states = ("draft", "to_approve", "approved")
    # States from which "back to draft" is possible (by hand).
    _approval_redraftable_states = ("rejected", "cancelled")
    # Fields of the record that are part of what is approved.
    _approval_content_fields = ()
    # Fields only the workflow writes, besides the state and the approval fields.
    _approval_workflow_fields = ()
    # What to do instead, when cancelling is no longer possible.
    _approval_cancel_hint = ""
    # Group that may cancel approved content and is told of approvals waiting too long.
    _approval_manager_group = "base.group_system"

    requested_by_id = fields.Many2one("res.users", "Requested by", readonly=True, copy=False)
    requested_at = fields.Datetime(readonly=True, copy=False)
    approved_by_id = fields.Many2one("res.users", "Approved by", readonly=True, copy=False)
    approved_at = fields.Datetime(readonly=True, copy=False)
    approved_on_behalf_of_id = fields.Many2one(
        "res.users",
        "Approved on behalf of",
        readonly=True,
        copy=False,
        help="The approver decided through a delegation of this user's rights.",
    )
    rejected_by_id = fields.Many2one("res.users", "Rejected by", readonly=True, copy=False)
    reject_reason = fields.Text(readonly=True, copy=False)
    approval_digest = fields.Char(
        readonly=True,
        copy=False,
        help="Fingerprint of the content as submitted: approval checks it is unchanged.",
    )
    approval_decision_ids = fields.One2many(
        "integration.approval.decision",
        "res_id",
        string="Decisions",
        domain=lambda self: [("res_model", "=", self._name)],
        readonly=True,
        copy=False,
    )
    approval_required_group_name = fields.Char(
        compute="_compute_approval_required_group_name",
        string="Needs approval by",
        help="Who may approve this, given its content (thresholds in Settings).",
    )
    can_approve = fields.Boolean(
        compute="_compute_can_approve",
        search="_search_can_approve",
        help="You may decide on it: someone else requested it and you are in the group it "
        "needs, or you hold a delegation from someone who is.",
    )

    # ------------------------------------------------------------------ hooks

    def _approval_required_group(self):
        """XML id of the group whose members may approve this record (override)."""
        return "base.group_user"

    def _approval_content(self):
        """The content being approved, as JSON-able data (override)."""
        self.ensure_one()
        return {name: self[name] for name in self._approval_content_fields}

    def _approval_check_submittable(self):
        """Raise a UserError when these records cannot be submitted (override)."""

    def _approval_prepare_submit(self):
        """Workflow step before the content is fingerprinted at submission (override)."""

    def _approval_evaluate_policy(self):
        """Evaluate the policy on the content now (thresholds); called at submission and
        again at approval, in the workflow's scope (override)."""

    def _approval_check_approvable(self):
        """Raise a UserError when something blocks approval that a manager may override with
        a reason (override, e.g. conflicts with other records)."""

    def _approval_on_override(self):
        """Record what a manager's override lets through (override)."""
        raise UserError(self.env._("Nothing here can be overridden."))

    def _approval_on_approved(self):
        """Apply an approval (override): versions, snapshots, schedules."""

    def _approval_on_rejected(self):
        """Apply a rejection (override)."""

    def _approval_on_cancelled(self):
        """Apply a cancellation (override)."""

    def _approval_on_redraft(self):
        """The record went back to draft because its content changed (override)."""

    def _approval_on_content_change_after_approval(self):
        """Content of approved records changed (override). By default: refused."""
        raise UserError(
            self.env._(
                "%(records)s was approved: its content cannot change any more. Cancel it and "
                "submit a new one.",
                records=", ".join(self.mapped("display_name")),
            )
        )

    # ------------------------------------------------------------------ computes

    def _compute_approval_required_group_name(self):
        for record in self:
            group = self.env.ref(record._approval_required_group(), raise_if_not_found=False)
            record.approval_required_group_name = group.full_name if group else False

    @api.depends_context("uid")
    def _compute_can_approve(self):
        for record in self:
            record.can_approve = record._approval_state() == self._approval_waiting_state and (
                not record._approval_decider()[0]
            )

    def _search_can_approve(self, operator, value):
        """'Waiting for my decision': the records waiting whose required group the user has
        (or holds by delegation) and that they did not request. The group depends on each
        record's content (thresholds), so it is decided per record; waiting records are few."""
        if operator not in ("=", "!=") or not isinstance(value, bool):
            raise UserError(self.env._("Search 'can approve' with = True or = False only."))
        waiting = self.with_context(active_test=False).search(
            [(self._approval_state_field, "=", self._approval_waiting_state)]
        )
        ids = waiting.filtered(lambda record: not record._approval_decider()[0]).ids
        return [("id", "in" if (operator == "=") == value else "not in", ids)]

    # ------------------------------------------------------------------ ORM

    def _approval_protected_fields(self):
        return {self._approval_state_field, *APPROVAL_FIELDS, *self._approval_workflow_fields}

    def _approval_trusted(self):
        """The workflow's own code, or module data being loaded (as the superuser)."""
        return in_workflow(self._name) or (self.env.su and self.env.context.get("install_mode"))

    @api.model_create_multi
    def create(self, vals_list):
        protected = self._approval_protected_fields()
        if not self._approval_trusted():
            for vals in vals_list:
                forced = {
                    name
                    for name in protected & set(vals)
                    if vals[name] and vals[name] != self._approval_draft_state
                }
                if forced:
                    raise self._approval_access_error(forced)
        # A client's context never chooses defaults for the workflow's fields, not even when
        # the workflow's own code creates the record on the client's behalf (imports, ...).
        return super(IntegrationApprovalMixin, self._approval_without_defaults(protected)).create(
            vals_list
        )

    def _approval_without_defaults(self, names):
        context = self.env.context
        if not any(key.startswith("default_") and key[8:] in names for key in context):
            return self
        return self.with_context(
            {
                key: value
                for key, value in context.items()
                if not (key.startswith("default_") and key[8:] in names)
            }
        )

    def write(self, vals):
        if self._approval_trusted():
            return super().write(vals)
        forced = self._approval_protected_fields() & set(vals)
        if forced:
            raise self._approval_access_error(forced)
        content = set(self._approval_content_fields) & set(vals)
        if content:
            self._approval_before_content_change()
        result = super().write(vals)
        if content:
            self._approval_content_changed()
        return result

    def _approval_access_error(self, names, description=None):
        labels = sorted(
            self._fields[name].string if name in self._fields else name for name in names
        )
        return AccessError(
            self.env._(
                "%(fields)s of %(model)s are set by the approval workflow: use its buttons "
                "(submit, approve, reject, cancel) instead of writing them.",
                fields=", ".join(labels),
                model=description or self._description,
            )
        )

    def _approval_write(self, vals):
        """Write as the workflow (sudo: the caller's rights were checked by the step)."""
        with workflow_scope(self._name):
            return self.sudo().write(vals)

    def _approval_state(self):
        self.ensure_one()
        return self[self._approval_state_field]

    def _approval_check_states(self, allowed, action, hint=""):
        wrong = self.filtered(lambda r: r[self._approval_state_field] not in allowed)
        if wrong:
            message = self.env._(
                "%(action)s is not possible for %(records)s in its current state.",
                action=action,
                records=", ".join(wrong.mapped("display_name")),
            )
            raise UserError(f"{message} {hint}".strip())

    # ------------------------------------------------------------------ content changes

    def _approval_before_content_change(self):
        """Content of these records is about to change outside the workflow: approved
        records ask the model first (refused by default), before anything is written."""
        if self._approval_trusted():
            return
        approved = self.filtered(
            lambda r: r[self._approval_state_field] in self._approval_approved_states
        )
        if approved:
            approved._approval_on_content_change_after_approval()

    def _approval_content_changed(self):
        """Content of these records changed outside the workflow: a submitted record goes back
        to draft, with a chatter line; it must be submitted again."""
        if self._approval_trusted():
            return
        waiting = self.filtered(
            lambda r: r[self._approval_state_field] == self._approval_waiting_state
        )
        waiting._approval_redraft(
            self.env._("The content changed after submission: back to draft, to submit again.")
        )

    def _approval_draft_values(self):
        return {
            self._approval_state_field: self._approval_draft_state,
            "approval_digest": False,
            "approved_by_id": False,
            "approved_at": False,
            "approved_on_behalf_of_id": False,
        }

    def _approval_redraft(self, note):
        if not self:
            return
        self._approval_write(self._approval_draft_values())
        self._approval_record("redraft", note)
        with workflow_scope(self._name):
            self._approval_on_redraft()

    # ------------------------------------------------------------------ deciders

    def _approval_decider(self, user=None):
        """(refusal, on_behalf_of): why the user may not approve this record, in words (None
        if they may), and the user whose rights they use through a delegation (if any)."""
        self.ensure_one()
        user = user or self.env.user
        if self.requested_by_id and self.requested_by_id == user:
            return (
                self.env._(
                    "You requested %(record)s: someone else must approve it (separation of "
                    "duties).",
                    record=self.display_name,
                ),
                None,
            )
        group_xmlid = self._approval_required_group()
        if user.has_group(group_xmlid):
            return None, None
        delegator = self.env["integration.approval.delegation"]._delegator_for(
            user, group_xmlid, exclude=self.requested_by_id
        )
        if delegator:
            return None, delegator
        group = self.env.ref(group_xmlid)
        return (
            self.env._(
                "%(record)s needs approval by a member of %(group)s.",
                record=self.display_name,
                group=group.full_name,
            ),
            None,
        )

    def _approval_check_approver(self):
        """{record id: delegator} for the current user, or AccessError."""
        on_behalf = {}
        for record in self:
            refusal, delegator = record._approval_decider()
            if refusal:
                raise AccessError(refusal)
            on_behalf[record.id] = delegator
        return on_behalf

    # ------------------------------------------------------------------ steps (buttons)

    def action_submit(self):
        """Draft -> waiting: the record's own checks, the policy evaluated, the requester
        and a fingerprint of the content recorded. Needs write access to the record."""
        self.check_access("write")
        self._approval_check_states((self._approval_draft_state,), self.env._("Submitting"))
        self._approval_check_submittable()
        with workflow_scope(self._name):
            self.sudo()._approval_prepare_submit()
            self.sudo()._approval_evaluate_policy()
        now = fields.Datetime.now()
        for record in self:
            record._approval_write(
                {
                    self._approval_state_field: self._approval_waiting_state,
                    "requested_by_id": self.env.uid,
                    "requested_at": now,
                    "approved_by_id": False,
                    "approved_at": False,
                    "approved_on_behalf_of_id": False,
                    "rejected_by_id": False,
                    "reject_reason": False,
                    "approval_digest": content_digest(record.sudo()._approval_content()),
                }
            )
        self._approval_record("submit")
        return True

    def action_approve(self):
        """Waiting -> approved: the policy is evaluated again on the content being approved;
        a record whose content is not the one submitted goes back to draft instead."""
        self._approval_check_states((self._approval_waiting_state,), self.env._("Approving"))
        with workflow_scope(self._name):
            self.sudo()._approval_evaluate_policy()
        on_behalf = self._approval_check_approver()
        self._approval_check_approvable()
        return self._approval_grant(on_behalf)

    def _approval_approve_automatically(self, reason):
        """An approval the policy grants by itself (e.g. prices within a guardrail): the same
        steps as a person's, with the reason recorded."""
        self._approval_check_states((self._approval_waiting_state,), self.env._("Approving"))
        with workflow_scope(self._name):
            self.sudo()._approval_evaluate_policy()
        self._approval_check_approvable()
        return self._approval_grant(dict.fromkeys(self.ids), reason)

    def _approval_grant(self, on_behalf, reason=None):
        contents = {record.id: record.sudo()._approval_content() for record in self}
        changed = self.filtered(lambda r: content_digest(contents[r.id]) != r.approval_digest)
        changed._approval_redraft(
            self.env._(
                "The content is not the one submitted (it changed underneath): back to draft, "
                "to submit again."
            )
        )
        approved = self - changed
        now = fields.Datetime.now()
        for record in approved:
            delegator = on_behalf[record.id]
            record._approval_write(
                {
                    self._approval_state_field: self._approval_approved_state,
                    "approved_by_id": self.env.uid,
                    "approved_at": now,
                    "approved_on_behalf_of_id": delegator.id if delegator else False,
                }
            )
            record._approval_record(
                "approve",
                reason,
                content=json.loads(content_text(contents[record.id])),
                on_behalf_of=delegator,
            )
        with workflow_scope(self._name):
            approved.sudo()._approval_on_approved()
        if changed:
            return self._approval_notify_changed(changed)
        return True

    def _approval_notify_changed(self, changed):
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "type": "warning",
                "sticky": True,
                "message": self.env._(
                    "Not approved: %s changed since it was submitted. It is back to draft.",
                    ", ".join(changed.mapped("display_name")),
                ),
                "next": {"type": "ir.actions.act_window_close"},
            },
        }

    def action_approval_reject(self):
        """Open the wizard that asks why (the requester reads the reason)."""
        self.ensure_one()
        self._approval_check_states((self._approval_waiting_state,), self.env._("Rejecting"))
        self._approval_check_approver()
        return self._approval_reason_wizard("reject", self.env._("Reject %s", self.display_name))

    def _approval_reason_wizard(self, decision, title):
        return {
            "type": "ir.actions.act_window",
            "name": title,
            "res_model": "integration.approval.reject.wizard",
            "view_mode": "form",
            "target": "new",
            "context": {
                "default_res_model": self._name,
                "default_res_id": self.id,
                "default_decision": decision,
            },
        }

    def _approval_reject(self, reason):
        if not reason or not reason.strip():
            raise UserError(self.env._("Say why you reject: the requester needs the reason."))
        self._approval_check_states((self._approval_waiting_state,), self.env._("Rejecting"))
        self._approval_check_approver()
        self._approval_write(
            {
                self._approval_state_field: self._approval_rejected_state,
                "rejected_by_id": self.env.uid,
                "reject_reason": reason.strip(),
            }
        )
        self._approval_record("reject", reason.strip())
        with workflow_scope(self._name):
            self.sudo()._approval_on_rejected()

    def action_cancel(self):
        """Cancel or withdraw. Before approval: whoever may edit the record. Approved content:
        a manager at once; the requester is asked for a reason (a wizard)."""
        self._approval_check_states(
            self._approval_cancellable_states, self.env._("Cancelling"), self._approval_cancel_hint
        )
        if len(self) == 1 and self._approval_cancel_needs_reason():
            return self._approval_reason_wizard(
                "cancel", self.env._("Cancel %s", self.display_name)
            )
        self._approval_cancel(None)
        return True

    def _approval_cancel_needs_reason(self):
        self.ensure_one()
        return (
            self._approval_state() in self._approval_approved_states
            and not self.env.user.has_group(self._approval_manager_group)
            and self.requested_by_id == self.env.user
        )

    def _approval_check_canceller(self, reason):
        manager = self.env.user.has_group(self._approval_manager_group)
        for record in self:
            if record._approval_state() not in record._approval_approved_states:
                record.check_access("write")
                continue
            if manager:
                continue
            if record.requested_by_id == self.env.user and reason and reason.strip():
                continue
            raise AccessError(
                self.env._(
                    "%(record)s was approved: only a member of %(group)s, or its requester "
                    "giving a reason, may cancel it.",
                    record=record.display_name,
                    group=self.env.ref(self._approval_manager_group).full_name,
                )
            )

    def _approval_cancel(self, reason):
        self._approval_check_states(self._approval_cancellable_states, self.env._("Cancelling"))
        self._approval_check_canceller(reason)
        reason = reason.strip() if reason else None
        with workflow_scope(self._name):
            self.sudo()._approval_on_cancelled()
        self._approval_write({self._approval_state_field: self._approval_cancel_state})
        self._approval_record("cancel", reason)

    def _approval_override(self, reason):
        """A manager lets through, with a reason, what blocks approval (the model says what)."""
        if not reason or not reason.strip():
            raise UserError(self.env._("Say why you override: the auditors read the reason."))
        if not self.env.user.has_group(self._approval_manager_group):
            raise AccessError(
                self.env._(
                    "Only a member of %s may override what blocks an approval.",
                    self.env.ref(self._approval_manager_group).full_name,
                )
            )
        self.check_access("read")
        with workflow_scope(self._name):
            self.sudo()._approval_on_override()
        self._approval_record("override", reason.strip())

    def action_draft(self):
        """Rejected or cancelled -> draft, to prepare again. Needs write access."""
        self.check_access("write")
        self._approval_check_states(
            self._approval_redraftable_states, self.env._("Going back to draft")
        )
        self._approval_check_redraft()
        self._approval_write(self._approval_draft_values())
        return True

    def _approval_check_redraft(self):
        """Raise when these records may not go back to draft (override)."""

    # ------------------------------------------------------------------ audit

    def _approval_record(self, decision, reason=None, content=None, on_behalf_of=None):
        """One immutable decision per record and a chatter line. Logged, not mailed: a user
        without an email address can act too."""
        Decision = self.env["integration.approval.decision"]
        labels = dict(Decision._fields["decision"]._description_selection(self.env))
        with workflow_scope(Decision._name):
            Decision.sudo().create(
                [
                    {
                        "res_model": record._name,
                        "res_id": record.id,
                        "decision": decision,
                        "user_id": self.env.uid,
                        "on_behalf_of_id": on_behalf_of.id if on_behalf_of else False,
                        "reason": reason,
                        "digest": record.approval_digest,
                        "content": content,
                    }
                    for record in self
                ]
            )
        for record in self:
            if not hasattr(record, "_message_log"):
                continue
            body = self.env._(
                "%(decision)s by %(user)s.", decision=labels[decision], user=self.env.user.name
            )
            if on_behalf_of:
                body += " " + self.env._("On behalf of %s (delegation).", on_behalf_of.name)
            if reason:
                body += " " + self.env._("Reason: %s", reason)
            record.sudo()._message_log(body=body, author_id=self.env.user.partner_id.id)

    # ------------------------------------------------------------------ escalation

    def _approval_escalate(self):
        """Called by the shipped Automation Rule for records waiting too long: one activity
        per record for each member of the manager group (not the requester), never twice."""
        waiting = self.filtered(
            lambda r: r[self._approval_state_field] == self._approval_waiting_state
        )
        if not waiting:
            return
        managers = group_users(self.env.ref(self._approval_manager_group).sudo())
        summary = self.env._("Approval waiting too long")
        for record in waiting.sudo():
            already = record.activity_ids.filtered(lambda a: a.summary == summary).user_id
            for user in managers.filtered(lambda u: u.active and not u.share):
                if user == record.requested_by_id or user in already:
                    continue
                record.activity_schedule(
                    "mail.mail_activity_data_todo",
                    summary=summary,
                    note=self.env._(
                        "Submitted by %(user)s on %(date)s and still waiting for a decision.",
                        user=record.requested_by_id.name or "?",
                        date=record.requested_at,
                    ),
                    user_id=user.id,
                )
            record._approval_record("escalate")


class IntegrationApprovalDecision(models.Model):
    """One approval step on a governed record: immutable audit of who decided what, when,
    and, for approvals, the content approved."""

    _name = "integration.approval.decision"
    _description = "Approval Decision"
    _order = "id desc"

    res_model = fields.Char(required=True, index=True, readonly=True)
    res_id = fields.Many2oneReference(
        required=True, index=True, model_field="res_model", readonly=True
    )
    decision = fields.Selection(
        [
            ("submit", "Submitted for approval"),
            ("approve", "Approved"),
            ("reject", "Rejected"),
            ("cancel", "Cancelled"),
            ("redraft", "Back to draft (content changed)"),
            ("escalate", "Escalated (waiting too long)"),
            ("override", "Conflict overridden"),
        ],
        required=True,
        readonly=True,
    )
    user_id = fields.Many2one("res.users", required=True, readonly=True)
    on_behalf_of_id = fields.Many2one(
        "res.users", "On behalf of", readonly=True, help="Decided through a delegation."
    )
    reason = fields.Text(readonly=True)
    digest = fields.Char(readonly=True, help="Fingerprint of the content as submitted.")
    content = fields.Json(readonly=True, help="The content approved, as it was approved.")
    create_date = fields.Datetime("Decided at", readonly=True)

    @api.model_create_multi
    def create(self, vals_list):
        if not in_workflow(self._name):
            raise AccessError(
                self.env._("Approval decisions are recorded by the approval workflow only.")
            )
        return super().create(vals_list)

    def write(self, vals):
        raise UserError(
            self.env._("Approval decisions cannot be changed: they are the audit trail.")
        )

    def unlink(self):
        raise UserError(
            self.env._("Approval decisions cannot be deleted: they are the audit trail.")
        )


class IntegrationApprovalRejectWizard(models.TransientModel):
    _name = "integration.approval.reject.wizard"
    _description = "Reject or cancel with a reason"

    res_model = fields.Char(required=True)
    res_id = fields.Integer(required=True)
    decision = fields.Selection(
        [("reject", "Reject"), ("cancel", "Cancel"), ("override", "Override")],
        required=True,
        default="reject",
    )
    reason = fields.Text(required=True, help="Why: the requester and the auditors read this.")

    def _record(self):
        self.ensure_one()
        Model = self.env.get(self.res_model)
        if Model is None or not isinstance(Model, IntegrationApprovalMixin):
            raise UserError(self.env._("%s has no approval workflow.", self.res_model))
        record = Model.browse(self.res_id).exists()
        if not record:
            raise UserError(self.env._("The record to decide on no longer exists."))
        record.check_access("read")
        return record

    def action_reject(self):
        """Reject or cancel the record with the reason given (the record checks the rights)."""
        record = self._record()
        if self.decision == "cancel":
            record._approval_cancel(self.reason)
        elif self.decision == "override":
            record._approval_override(self.reason)
        else:
            record._approval_reject(self.reason)
        return {"type": "ir.actions.act_window_close"}
