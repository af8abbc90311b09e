"""Circuit breaker arithmetic for a connector, kept apart from the ORM.

closed: deliveries flow. After `threshold` consecutive failures that say the remote is unwell
(network, timeout, 5xx), the circuit opens for `cooldown` seconds: nothing is sent. Once the
cool-down is over one trial delivery is let through (half-open), by one worker of all those
of every node (take_trial): success closes the circuit, failure opens it again for another
cool-down. Outcomes count in the order they were sent: a success resets the count.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

# Failure categories that count against the remote's health (a 4xx is the payload's fault).
TRIPPING_CATEGORIES = frozenset({"network", "timeout", "remote_error"})


@dataclass
class CircuitState:
    state: str  # closed | open
    consecutive_failures: int
    open_until: datetime | None


def is_blocked(circuit, now):
    """True while an open circuit's cool-down runs."""
    return circuit.state == "open" and circuit.open_until is not None and circuit.open_until > now


def is_trial(circuit, now):
    """True when the circuit is open but its cool-down is over: one delivery may probe."""
    return circuit.state == "open" and not is_blocked(circuit, now)


def needs_trial(circuit):
    """True when the next delivery must be a lone trial: the circuit is open (its cool-down
    over, or opened by another worker since these messages were claimed)."""
    return circuit.state == "open"


def blocked_domain(now):
    """is_blocked() as a search domain on connectors (circuit_state, circuit_open_until)."""
    return ["&", ("circuit_state", "=", "open"), ("circuit_open_until", ">", now)]


def after_success(circuit):
    return CircuitState("closed", 0, None)


def after_outcomes(circuit, categories, now, threshold, cooldown_seconds):
    """The circuit after outcomes applied in the order they were sent: `categories` holds
    None for a success, else the failure's category. A success closes the circuit and
    resets the count, so only failures in a row open it.

    >>> now = datetime(2026, 1, 1)
    >>> closed = CircuitState("closed", 0, None)
    >>> after_outcomes(closed, [None, "network"] * 10, now, 3, 60).state
    'closed'
    >>> after_outcomes(closed, [None, "network", "timeout", "remote_error"], now, 3, 60).state
    'open'
    >>> after_outcomes(closed, ["network", "rejected", "network"], now, 3, 60)
    CircuitState(state='closed', consecutive_failures=2, open_until=None)
    """
    for category in categories:
        if category is None:
            circuit = after_success(circuit)
        else:
            circuit = after_failure(circuit, category, now, threshold, cooldown_seconds)
    return circuit


def after_failure(circuit, category, now, threshold, cooldown_seconds):
    if category not in TRIPPING_CATEGORIES:
        return circuit
    failures = circuit.consecutive_failures + 1
    if circuit.state == "open" or failures >= threshold:
        return CircuitState("open", failures, now + timedelta(seconds=cooldown_seconds))
    return CircuitState("closed", failures, None)


def take_trial(connector_id, now, until):
    """The statement by which one worker, and one only, wins the trial of an open circuit
    whose cool-down is over: it pushes the cool-down to `until` (the others stay blocked
    while the trial runs) and returns the connector's id to the winner, nothing to the rest.
    Run it on its own committed transaction (READ COMMITTED)."""
    return (
        """
        UPDATE integration_connector SET circuit_open_until = %(until)s
         WHERE id = %(id)s AND circuit_state = 'open'
           AND (circuit_open_until IS NULL OR circuit_open_until <= %(now)s)
     RETURNING id
        """,
        {"id": connector_id, "now": now, "until": until},
    )
