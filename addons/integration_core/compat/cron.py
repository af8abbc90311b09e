"""A scheduled action's progress, reported the way the running series reads it.

Both series run a job again at once when its progress says something remains. 18.0 reads
`ir.cron._notify_progress(done=, remaining=)`; 19.0 deprecates it for
`ir.cron._commit_progress(processed, remaining=)`, which also commits (callers here have
committed their work already, so that changes nothing) and so cannot run inside a test's
transaction, where the deprecated call, still there, reports without committing.

Time-based automation rules (base_automation) run from a scheduled action on both series;
18.0 also runs them on demand (`base.automation._check()`), which 19.0 refuses outside the
scheduled action, whose run commits after each rule.
"""

from .testing import testing


def report_progress(env, *, done, remaining):
    """Report that this run of the current scheduled action did `done` items and that
    `remaining` are left (> 0: run again at once). Nothing outside a scheduled action."""
    if not env.context.get("ir_cron_progress_id"):
        return
    cron = env["ir.cron"]
    if hasattr(type(cron), "_commit_progress") and not testing(env):  # 19.0
        cron._commit_progress(done, remaining=remaining)
    else:
        cron._notify_progress(done=done, remaining=remaining)


def run_time_based_automations(env):
    """Run the time-based automation rules now, in the caller's transaction (no commit): what
    their scheduled action does, for tests and callers that must not commit."""
    from odoo.addons.base_automation.models.base_automation import (  # noqa: PLC0415
        TIME_TRIGGERS,
    )

    Automation = env["base.automation"]
    if not hasattr(type(Automation), "_search_time_based_automation_records"):  # 18.0
        Automation._check()
        return
    # 19.0: its _cron_process_time_based_actions, without the commits.
    Automation = Automation.with_context(__action_done={}, active_test=True)
    for automation in Automation.search([("trigger", "in", TIME_TRIGGERS)]):
        now = env.cr.now()
        for record in automation._search_time_based_automation_records(until=now):
            automation._process(record)
        env.flush_all()
        automation.write({"last_run": now})
