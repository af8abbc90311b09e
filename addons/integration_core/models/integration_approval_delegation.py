# Copyright 2026 Governed Commerce Sync
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo import api, fields, models
from odoo.exceptions import AccessError, ValidationError


class IntegrationApprovalDelegation(models.Model):
    """An approver's rights lent to a colleague for a period (holidays, absence): the
    delegate may approve what the approver could, recorded as "on behalf of"."""

    _name = "integration.approval.delegation"
    _description = "Approval Delegation"
    _inherit = ["mail.thread"]
    _order = "date_from desc, id desc"

    user_id = fields.Many2one(
        "res.users",
        "Approver",
        required=True,
        default=lambda self: self.env.user,
        tracking=True,
        help="Whose approval rights are lent.",
    )
    delegate_id = fields.Many2one(
        "res.users",
        "Delegate",
        required=True,
        tracking=True,
        help="Who may approve on the approver's behalf during the period.",
    )
    date_from = fields.Datetime("From", required=True, default=fields.Datetime.now, tracking=True)
    date_to = fields.Datetime("To", required=True, tracking=True)
    reason = fields.Char(help="Why, e.g. holidays.", tracking=True)
    active = fields.Boolean(default=True, tracking=True)

    @api.constrains("user_id", "delegate_id", "date_from", "date_to")
    def _check_delegation(self):
        for delegation in self:
            if delegation.user_id == delegation.delegate_id:
                raise ValidationError(self.env._("Nobody delegates approvals to themselves."))
            if delegation.delegate_id.share:
                raise ValidationError(self.env._("Approvals are delegated to employees only."))
            if delegation.date_to <= delegation.date_from:
                raise ValidationError(self.env._("A delegation ends after it starts."))

    def _check_owner(self, user_ids):
        """Only the approver lends their own rights (an administrator may set any)."""
        if self.env.su or self.env.user.has_group("base.group_system"):
            return
        if any(uid != self.env.uid for uid in user_ids):
            raise AccessError(self.env._("You may only delegate your own approval rights."))

    @api.model_create_multi
    def create(self, vals_list):
        self._check_owner([vals.get("user_id") or self.env.uid for vals in vals_list])
        return super().create(vals_list)

    def write(self, vals):
        self._check_owner(self.user_id.ids + ([vals["user_id"]] if vals.get("user_id") else []))
        return super().write(vals)

    def unlink(self):
        self._check_owner(self.user_id.ids)
        return super().unlink()

    @api.model
    def _delegator_for(self, user, group_xmlid, exclude=None):
        """A user in the group who lent their rights to `user` now (never `exclude`, the
        requester: separation of duties holds through delegations too)."""
        now = fields.Datetime.now()
        delegations = self.sudo().search(
            [
                ("delegate_id", "=", user.id),
                ("date_from", "<=", now),
                ("date_to", ">", now),
            ]
        )
        for delegation in delegations:
            delegator = delegation.user_id
            if delegator != exclude and delegator.active and delegator.has_group(group_xmlid):
                return delegator
        return None
