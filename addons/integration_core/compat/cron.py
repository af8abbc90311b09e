"""A scheduled action's progress, reported the way the running series reads it.

Both series run a job again at once when its progress says something remains. 18.0 reads
`ir.cron._notify_progress(done=, remaining=)`; 19.0 deprecates it for
`ir.cron._commit_progress(processed, remaining=)`, which also commits (callers here have
committed their work already, so that changes nothing) and so cannot run inside a test's
transaction, where the deprecated call, still there, reports without committing.
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
