# Copyright 2026 Governed Commerce Sync
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo.tools import SQL

from odoo.addons.integration_core.tools.workflow import workflow_scope


def post_init_hook(env):
    """Programs that existed before this addon keep working: the live ones become Active
    (with a first snapshot, so eligibility knows them), archived ones Expired."""
    Program = env["loyalty.program"].with_context(active_test=False)
    ours = (
        env["ir.model.data"]
        .search([("model", "=", "loyalty.program"), ("module", "=", "promotion_sync")])
        .mapped("res_id")
    )
    existing = Program.search([("release_state", "=", "draft"), ("id", "not in", ours)])
    live = existing.filtered("active")
    with workflow_scope(Program._name):
        live._approval_write({"release_state": "active"})
        (existing - live)._approval_write({"release_state": "expired"})
        env["promotion.snapshot"]._take(live)


def uninstall_hook(env):
    """What this addon left in integration_core's tables about programs: messages queued
    about them and their approval decisions (the audit of a workflow that goes away)."""
    env["integration.message"].sudo().search([("res_model", "=", "loyalty.program")]).unlink()
    # Decisions refuse unlink() (they are an audit trail): removed with the workflow.
    env.cr.execute(
        SQL("DELETE FROM integration_approval_decision WHERE res_model = %s", "loyalty.program")
    )
