# Copyright 2026 Governed Commerce Sync
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo import api, models

from ..tools.workflow import in_workflow


class IntegrationApprovalContentMixin(models.AbstractModel):
    """Child records that are part of a governed record's approved content (price change
    lines, a program's rules and rewards): creating, changing or deleting one outside the
    workflow tells the parent, whose approval mixin decides (back to draft, refused, ...).

    The using model names its parent field in ``_approval_parent_field`` and may list
    ``_approval_technical_fields`` that Odoo itself writes without changing the content."""

    _name = "integration.approval.content.mixin"
    _description = "Part of a governed record's approved content"

    _approval_parent_field = None
    _approval_technical_fields = frozenset()
    # Fields only the parent's workflow writes (noted at submission, ...).
    _approval_workflow_fields = frozenset()

    def _approval_parents(self):
        return self[self._approval_parent_field]

    def _approval_trusted(self):
        parent_model = self._fields[self._approval_parent_field].comodel_name
        return (
            in_workflow(self._name)
            or in_workflow(parent_model)
            or (self.env.su and self.env.context.get("install_mode"))
        )

    @api.model_create_multi
    def create(self, vals_list):
        parent_model = self.env[self._fields[self._approval_parent_field].comodel_name]
        self = parent_model._approval_without_defaults(set(self._approval_workflow_fields)).env[
            self._name
        ]  # noqa: PLW0642 - a client's context never chooses the workflow's fields
        if self._approval_trusted():
            return super().create(vals_list)
        self._approval_check_workflow_fields({k for vals in vals_list for k in vals})
        parents = parent_model.browse(
            {
                vals[self._approval_parent_field]
                for vals in vals_list
                if vals.get(self._approval_parent_field)
            }
        )
        parents._approval_before_content_change()
        records = super().create(vals_list)
        records._approval_parents()._approval_content_changed()
        return records

    def write(self, vals):
        if self._approval_trusted():
            return super().write(vals)
        self._approval_check_workflow_fields(set(vals))
        content = set(vals) - set(self._approval_technical_fields)
        parents = self._approval_parents()
        if self._approval_parent_field in vals:
            parents |= parents.browse(vals[self._approval_parent_field])
        if content:
            parents._approval_before_content_change()
        result = super().write(vals)
        if content:
            parents.exists()._approval_content_changed()
        return result

    def unlink(self):
        if self._approval_trusted():
            return super().unlink()
        parents = self._approval_parents()
        parents._approval_before_content_change()
        result = super().unlink()
        parents.exists()._approval_content_changed()
        return result

    def _approval_check_workflow_fields(self, names):
        forced = set(self._approval_workflow_fields) & names
        if forced:
            parent = self.env[self._fields[self._approval_parent_field].comodel_name]
            raise parent._approval_access_error(
                sorted(self._fields[name].string for name in forced), self._description
            )
