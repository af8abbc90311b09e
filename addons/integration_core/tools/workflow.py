# Copyright 2026 Governed Commerce Sync
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Who is writing: the workflow's own code, or a client.

Governed records (price changes, versions, promotions, snapshots, approval decisions, the
pricelist items of governed pricelists) refuse writes of their workflow fields unless the
workflow's own code is running. That privilege must not be a context key: any RPC caller can
send any context. It is a context variable of this thread (or greenlet), set only by Python
code through ``workflow_scope()``; no client can reach it.

    >>> in_workflow("price.version")
    False
    >>> with workflow_scope("price.version"):
    ...     in_workflow("price.version"), in_workflow("price.change")
    (True, False)
    >>> with workflow_scope("price.version"), workflow_scope("price.change"):
    ...     in_workflow("price.version") and in_workflow("price.change")
    True
    >>> in_workflow("price.version")
    False
"""

import contextvars
import functools
from contextlib import contextmanager

_SCOPE = contextvars.ContextVar("integration_workflow_scope", default=frozenset())


@contextmanager
def workflow_scope(*model_names):
    """Run the block as the workflow of these models (nested scopes add up)."""
    token = _SCOPE.set(_SCOPE.get() | frozenset(model_names))
    try:
        yield
    finally:
        _SCOPE.reset(token)


def in_workflow(model_name):
    """True while the workflow code of this model runs in this thread."""
    return model_name in _SCOPE.get()


def workflow_method(*model_names):
    """Decorate a private method that is workflow code of these models."""

    def decorate(method):
        @functools.wraps(method)
        def wrapper(*args, **kwargs):
            with workflow_scope(*model_names):
                return method(*args, **kwargs)

        return wrapper

    return decorate
