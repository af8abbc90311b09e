"""Whether Odoo is running tests or loading demo data: times when code that commits on its
own (a queue between batches, a transaction of its own) must stay in the caller's transaction.

18.0 sets the thread's `testing` flag in tests and while it loads demo data, and has
`Registry.in_test_mode()`. 19.0 has neither: its test runner sets
`odoo.modules.module.current_test`, a test case puts the registry in test mode by replacing its
`cursor` (handing out cursors over the test's own), and demo data is loaded, like everything
at install or upgrade, while the registry is not ready yet.
"""

import contextlib
import threading

from odoo.modules import module as odoo_module


def registry_in_test_mode(registry):
    """True while a test holds the registry: its new cursors are the test's transaction."""
    in_test_mode = getattr(registry, "in_test_mode", None)
    if in_test_mode is not None:  # 18.0
        return in_test_mode()
    return "cursor" in vars(registry)  # 19.0: patched on the instance by the test case


def testing(env=None):
    """True in a test (either series) and, given `env`, while its registry loads modules
    (install or upgrade: demo data, hooks), when committing would break the loading."""
    if getattr(threading.current_thread(), "testing", False) or odoo_module.current_test:
        return True
    if env is None:
        return False
    return registry_in_test_mode(env.registry) or not env.registry.ready


def outside_clients(case):
    """Context in which an HttpCase's server answers clients other than the case's own opener
    (a real Prometheus, a schema loader with its own session). 19.0 serves, during a test, only
    requests that carry the case's test-cursor cookie (HttpCase.allow_requests); 18.0 serves
    any."""
    allow_requests = getattr(case, "allow_requests", None)
    if allow_requests is None:  # 18.0
        return contextlib.nullcontext()
    return allow_requests(all_requests=True)
