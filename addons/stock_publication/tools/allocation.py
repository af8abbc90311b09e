# Copyright 2026 Governed Commerce Sync
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Allocation maths: how much of the free quantity a channel may sell.

Plain Python, no ORM, so it can be read and tested on its own. The models feed it the free
quantity of a product in the channel's warehouses (on hand minus reserved, quality-hold
locations left out) and the channel's policy; it answers the quantity to publish.

Order of the rules, each explained where it is applied:

1. a discontinued product publishes 0 (its substitute is announced beside it);
2. an excluded product is not published at all (``None``);
3. a fixed override publishes its quantity as is;
4. otherwise: negative free stock counts as 0, the safety buffer is taken off, the share
   (%) is applied, the result is rounded *down* to the unit's step (we never promise a part
   of a unit we do not have), capped by the maximum exposed quantity, then by the
   incident "reduce exposure" percentage, and finally a quantity at or below the
   out-of-stock threshold publishes 0.
"""

import math
from dataclasses import dataclass

EXCLUDED = None


@dataclass(frozen=True)
class Policy:
    """An allocation policy. ``max_quantity`` 0 means no maximum; ``exposure_percent`` is the
    incident cap applied on top (100 = normal)."""

    share_percent: float = 100.0
    safety_buffer: float = 0.0
    max_quantity: float = 0.0
    out_of_stock_threshold: float = 0.0
    exposure_percent: float = 100.0
    rounding: float = 1.0

    def __post_init__(self):
        if not 0 <= self.share_percent <= 100:
            raise ValueError(f"share_percent must be between 0 and 100, not {self.share_percent}")
        if not 0 <= self.exposure_percent <= 100:
            raise ValueError(
                f"exposure_percent must be between 0 and 100, not {self.exposure_percent}"
            )
        for name in ("safety_buffer", "max_quantity", "out_of_stock_threshold"):
            if getattr(self, name) < 0:
                raise ValueError(f"{name} must not be negative, not {getattr(self, name)}")
        if self.rounding <= 0:
            raise ValueError(f"rounding must be positive, not {self.rounding}")


@dataclass(frozen=True)
class Override:
    """A per-product override: ``mode`` is "fixed" (publish ``fixed_quantity`` as is),
    "policy" (use ``policy`` instead of the channel's, the channel's incident cap still
    applies) or "exclude" (never publish this product on the channel)."""

    mode: str
    fixed_quantity: float = 0.0
    policy: Policy | None = None

    def __post_init__(self):
        if self.mode not in ("fixed", "policy", "exclude"):
            raise ValueError(f"unknown override mode {self.mode!r}")
        if self.mode == "fixed" and self.fixed_quantity < 0:
            raise ValueError("a fixed quantity must not be negative")
        if self.mode == "policy" and self.policy is None:
            raise ValueError("a policy override needs a policy")


def round_down(quantity, step):
    """Round ``quantity`` down to a multiple of ``step``, tolerating float noise
    (2.9999999 with step 1 is 3, not 2)."""
    units = quantity / step
    nearest = round(units)
    if abs(units - nearest) < 1e-9:
        units = nearest
    return max(0.0, math.floor(units) * step)


def allocate(free_quantity, policy, override=None, discontinued=False):
    """Quantity to publish for one product on one channel, or ``None`` (excluded)."""
    if override is not None and override.mode == "exclude":
        return EXCLUDED
    if discontinued:
        return 0.0
    if override is not None and override.mode == "fixed":
        return float(override.fixed_quantity)
    own = override.policy if override is not None and override.mode == "policy" else policy
    quantity = max(0.0, float(free_quantity or 0.0))
    quantity = max(0.0, quantity - own.safety_buffer)
    quantity = quantity * own.share_percent / 100.0
    quantity = round_down(quantity, own.rounding)
    if own.max_quantity:
        quantity = min(quantity, own.max_quantity)
    # The incident cap belongs to the channel: it applies to products with their own policy too.
    if policy.exposure_percent < 100:
        quantity = round_down(quantity * policy.exposure_percent / 100.0, own.rounding)
    if quantity <= own.out_of_stock_threshold:
        return 0.0
    return quantity


def backorder(demand, free_quantity, incoming):
    """Backorder commitment of products sold beyond stock: ``(quantity, promised date)``.

    ``demand`` is what confirmed deliveries still need beyond what is reserved for them,
    ``free_quantity`` what the warehouses hold unreserved (outside quality hold), ``incoming``
    a list of ``(date, quantity)`` of expected receipts. The quantity is the demand that free
    stock cannot cover; the promised date is the first incoming date by which the receipts
    cover it (``None`` when they never do, or when nothing is owed).

    >>> backorder(5, 2, [("2026-12-03", 1), ("2026-12-01", 2), ("2026-12-09", 10)])
    (3.0, '2026-12-03')
    >>> backorder(5, 9, [("2026-12-01", 2)])
    (0.0, None)
    >>> backorder(5, 0, [("2026-12-01", 2)])
    (5.0, None)
    """
    owed = max(0.0, float(demand or 0.0) - max(0.0, float(free_quantity or 0.0)))
    if owed <= 0:
        return 0.0, None
    covered = 0.0
    for date, quantity in sorted(incoming):
        covered += quantity
        if covered >= owed - 1e-9:
            return owed, date
    return owed, None
