# Copyright 2026 Governed Commerce Sync
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError


class IntegrationApprovalMixin(models.AbstractModel):
    """Approval with separation of duties, shared by price changes and promotions.

    The inheriting model keeps its own ``state`` field (its own words for its own workflow)
    and calls these steps from its buttons:

    - ``_approval_submit()``: records who asked and when;
    - ``_approval_check_approver()``: refuses the requester, and users missing the group that
      ``_approval_required_group()`` names for this record (thresholds decide that);
    - ``_approval_record("approve" | "reject" | "submit" | "cancel", reason)``: one immutable
      ``integration.approval.decision`` per step, with who, when and why, and a chatter note.

    Rejecting needs a reason: ``action_approval_reject()`` opens a wizard that asks for it and
    calls ``_approval_on_reject(reason)`` on the record.
    """

    _name = "integration.approval.mixin"
    _description = "Approval with separation of duties"

    requested_by_id = fields.Many2one("res.users", "Requested by", readonly=True, copy=False)
    requested_at = fields.Datetime(readonly=True, copy=False)
    approved_by_id = fields.Many2one("res.users", "Approved by", readonly=True, copy=False)
    approved_at = fields.Datetime(readonly=True, copy=False)
    rejected_by_id = fields.Many2one("res.users", "Rejected by", readonly=True, copy=False)
    reject_reason = fields.Text(readonly=True, copy=False)
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
        help="You may decide on it: someone else requested it and you are in the group it needs.",
    )

    # -- hooks for the inheriting model

    def _approval_required_group(self):
        """XML id of the group whose members may approve this record (override)."""
        return "base.group_user"

    def _approval_waiting_domain(self):
        """Domain of the records waiting for a decision (override with the model's state)."""
        return [("requested_by_id", "!=", False), ("approved_by_id", "=", False)]

    def _approval_on_reject(self, reason):
        """Apply a rejection (override: set the model's own rejected state)."""
        raise NotImplementedError

    # -- computes

    def _compute_approval_required_group_name(self):
        for record in self:
            group = self.env.ref(record._approval_required_group(), raise_if_not_found=False)
            record.approval_required_group_name = group.full_name if group else False

    @api.depends_context("uid")
    def _compute_can_approve(self):
        for record in self:
            record.can_approve = not record._approval_refusal()

    def _search_can_approve(self, operator, value):
        """'Waiting for my decision': the records waiting whose required group the user has
        and that they did not request. The group depends on each record's content
        (thresholds), so it is decided per record; waiting records are few."""
        if operator not in ("=", "!=") or not isinstance(value, bool):
            raise UserError(self.env._("Search 'can approve' with = True or = False only."))
        waiting = self.with_context(active_test=False).search(self._approval_waiting_domain())
        ids = waiting.filtered(lambda record: not record._approval_refusal()).ids
        return [("id", "in" if (operator == "=") == value else "not in", ids)]

    # -- steps

    def _approval_refusal(self):
        """Why the current user may not approve this record, in words; None if they may."""
        self.ensure_one()
        user = self.env.user
        if self.requested_by_id and self.requested_by_id == user:
            return self.env._(
                "You requested %(record)s: someone else must approve it (separation of duties).",
                record=self.display_name,
            )
        group_xmlid = self._approval_required_group()
        if not user.has_group(group_xmlid):
            group = self.env.ref(group_xmlid)
            return self.env._(
                "%(record)s needs approval by a member of %(group)s.",
                record=self.display_name,
                group=group.full_name,
            )
        return None

    def _approval_check_approver(self):
        for record in self:
            refusal = record._approval_refusal()
            if refusal:
                raise AccessError(refusal)

    def _approval_submit(self):
        self.write(
            {
                "requested_by_id": self.env.uid,
                "requested_at": fields.Datetime.now(),
                "approved_by_id": False,
                "approved_at": False,
                "rejected_by_id": False,
                "reject_reason": False,
            }
        )
        self._approval_record("submit")

    def _approval_approve(self):
        self._approval_check_approver()
        self.write({"approved_by_id": self.env.uid, "approved_at": fields.Datetime.now()})
        self._approval_record("approve")

    def _approval_reject(self, reason):
        if not reason or not reason.strip():
            raise UserError(self.env._("Say why you reject: the requester needs the reason."))
        self._approval_check_approver()
        self.write({"rejected_by_id": self.env.uid, "reject_reason": reason.strip()})
        self._approval_record("reject", reason.strip())
        self._approval_on_reject(reason.strip())

    def _approval_record(self, decision, reason=None):
        Decision = self.env["integration.approval.decision"].sudo()
        labels = dict(Decision._fields["decision"]._description_selection(self.env))
        Decision.create(
            [
                {
                    "res_model": record._name,
                    "res_id": record.id,
                    "decision": decision,
                    "user_id": self.env.uid,
                    "reason": reason,
                }
                for record in self
            ]
        )
        for record in self:
            if hasattr(record, "message_post"):
                body = self.env._(
                    "%(decision)s by %(user)s.", decision=labels[decision], user=self.env.user.name
                )
                if reason:
                    body += " " + self.env._("Reason: %s", reason)
                record.message_post(body=body)

    def action_approval_reject(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Reject %s", self.display_name),
            "res_model": "integration.approval.reject.wizard",
            "view_mode": "form",
            "target": "new",
            "context": {"default_res_model": self._name, "default_res_id": self.id},
        }


class IntegrationApprovalDecision(models.Model):
    """One approval step on a governed record: immutable audit of who decided what, when."""

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
        ],
        required=True,
        readonly=True,
    )
    user_id = fields.Many2one("res.users", required=True, readonly=True)
    reason = fields.Text(readonly=True)
    create_date = fields.Datetime("Decided at", readonly=True)

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
    _description = "Reject with a reason"

    res_model = fields.Char(required=True)
    res_id = fields.Integer(required=True)
    reason = fields.Text(required=True, help="Why: the requester reads this.")

    def action_reject(self):
        self.ensure_one()
        record = self.env[self.res_model].browse(self.res_id)
        record._approval_reject(self.reason)
        return {"type": "ir.actions.act_window_close"}
