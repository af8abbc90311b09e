"""Suite-wide pytest hooks.

A skipped test is not a passing test: Odoo skips browser tests silently when Chromium or
websocket-client is missing, and a service test may skip when its server is down. Any skip
fails the run, with the reasons listed, unless SUITE_ALLOW_SKIPS=1 is set for a local run.
"""

import logging
import os


def pytest_sessionfinish(session, exitstatus):
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    if reporter is None or os.environ.get("SUITE_ALLOW_SKIPS") == "1":
        return
    skipped = reporter.stats.get("skipped", [])
    if skipped and session.exitstatus == 0:
        session.exitstatus = 1
        reporter.write_line(
            f"FAILED: {len(skipped)} test(s) were skipped; a skip is not a pass "
            "(set SUITE_ALLOW_SKIPS=1 to allow skips in a local run).",
            red=True,
            bold=True,
        )


class _DropTestFrameworkImportError:
    """pytest-odoo imports odoo.tests before it turns test mode on, which makes Odoo log a
    scary 'Importing test framework' error with a stack trace. It is expected here."""

    def filter(self, record):
        return not record.getMessage().startswith("Importing test framework")


logging.getLogger("odoo.tests.common").addFilter(_DropTestFrameworkImportError())
