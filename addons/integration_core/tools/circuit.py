"""Circuit breaker arithmetic for a connector, kept apart from the ORM.

closed: deliveries flow. After `threshold` consecutive failures that say the remote is unwell
(network, timeout, 5xx), the circuit opens for `cooldown` seconds: nothing is sent. Once the
cool-down is over one trial delivery is let through (half-open): success closes the circuit,
failure opens it again for another cool-down.
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


def after_batch(circuit, succeeded, categories, now, threshold, cooldown_seconds):
    """The circuit after a delivery batch: any success closes it, then each failure's
    category counts, in order."""
    if succeeded:
        circuit = after_success(circuit)
    for category in categories:
        circuit = after_failure(circuit, category, now, threshold, cooldown_seconds)
    return circuit


def after_failure(circuit, category, now, threshold, cooldown_seconds):
    if category not in TRIPPING_CATEGORIES:
        return circuit
    failures = circuit.consecutive_failures + 1
    if circuit.state == "open" or failures >= threshold:
        return CircuitState("open", failures, now + timedelta(seconds=cooldown_seconds))
    return CircuitState("closed", failures, None)
