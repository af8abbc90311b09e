# Copyright 2026 Governed Commerce Sync
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""The eligibility check's plain parts (no ORM): what a cart is, which sources answer, what an
engine's answer must look like, and which programs Odoo's loyalty code is run with.

A cart is ``{"lines": [{"sku": str, "qty": number, "price": number}], "codes": [str]}``
(price per unit, untaxed). What a cart gets is computed by Odoo's own loyalty code (see
``sale.order._promotion_cart_rewards``), never here.
"""

import contextvars
from contextlib import contextmanager

# Bounds of a cart line: amounts stay finite and exact enough for money.
MAX_QTY = 1_000_000
MAX_PRICE = 1_000_000_000

# Who answered: the external engine that owns promotions, Odoo's approved snapshots (Odoo
# owns promotions), or the fallback policy while the engine is unavailable.
SOURCE_ENGINE = "engine"
SOURCE_SNAPSHOT = "snapshot"
FALLBACK_SOURCES = {
    "last_snapshot": "last_known_snapshot",
    "no_discount": "no_discount",
    "allow": "allow",
}
DEFAULT_FALLBACK = "no_discount"

_ONLY_PROGRAMS = contextvars.ContextVar("promotion_sync_only_programs", default=None)


class CartError(ValueError):
    """The cart is not a list of lines with a sku, a positive quantity and a price."""


class EngineAnswerError(ValueError):
    """The engine answered 2xx with something that is not an eligibility answer."""


def _number(value, low, high, strict_low=False):
    """True for a real number (not a bool) within [low, high] (low excluded if strict).

    >>> _number(2, 0, 10), _number(0, 0, 10, strict_low=True), _number(float("inf"), 0, 10)
    (True, False, False)
    >>> _number(True, 0, 10), _number(1e400, 0, 1e9)
    (False, False)
    """
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return False
    return (value > low if strict_low else value >= low) and value <= high


def parse_cart(cart):
    """(lines, codes) of a cart; CartError saying what is wrong."""
    if not isinstance(cart, dict) or not isinstance(cart.get("lines"), list) or not cart["lines"]:
        raise CartError("The cart needs a non-empty list 'lines'.")
    lines = []
    for index, line in enumerate(cart["lines"]):
        if not isinstance(line, dict):
            raise CartError(f"Line {index} is not an object.")
        sku, qty, price = line.get("sku"), line.get("qty"), line.get("price")
        if not isinstance(sku, str) or not sku:
            raise CartError(f"Line {index}: 'sku' must be a non-empty string.")
        if not _number(qty, 0, MAX_QTY, strict_low=True):
            raise CartError(f"Line {index}: 'qty' must be a number over 0, at most {MAX_QTY}.")
        if not _number(price, 0, MAX_PRICE):
            raise CartError(f"Line {index}: 'price' must be a number from 0 to {MAX_PRICE}.")
        lines.append({"sku": sku, "qty": float(qty), "price": float(price)})
    codes = cart.get("codes") or []
    if not isinstance(codes, list) or not all(isinstance(c, str) for c in codes):
        raise CartError("'codes' must be a list of strings.")
    return lines, set(codes)


def may_apply(content, skus, codes):
    """True when one of the snapshot content's rules could match a cart of these SKUs and
    codes (a cheap filter before Odoo's loyalty code decides).

    >>> rule = {"mode": "with_code", "code": "X", "skus": ["A"]}
    >>> may_apply({"rules": [rule]}, {"A"}, {"X"}), may_apply({"rules": [rule]}, {"A"}, set())
    (True, False)
    >>> may_apply({"rules": [{"mode": "auto", "skus": None}]}, {"B"}, set())
    True
    """
    for rule in (content or {}).get("rules") or []:
        if rule.get("mode") == "with_code" and rule.get("code") not in codes:
            continue
        if rule.get("skus") is None or set(rule["skus"]) & skus:
            return True
    return False


def check_engine_answer(data):
    """The engine's answer in our shape: {"programs": [{"program_id", "version", "name",
    "combinable", "discount", "reward_type", "free_skus", "free_products"}],
    "discount_total"}; EngineAnswerError when it is not one.

    >>> check_engine_answer({"programs": [{"program_id": "E1", "discount": 5}],
    ...                      "discount_total": 5})["programs"][0]["free_skus"]
    []
    >>> try:
    ...     check_engine_answer({"programs": "all", "discount_total": 5})
    ... except EngineAnswerError as exc:
    ...     print(exc)
    'programs' must be a list of objects.
    """
    if not isinstance(data, dict):
        raise EngineAnswerError("The answer is not a JSON object.")
    programs = data.get("programs")
    if not isinstance(programs, list) or not all(isinstance(p, dict) for p in programs):
        raise EngineAnswerError("'programs' must be a list of objects.")
    total = data.get("discount_total")
    if not _number(total, 0, MAX_PRICE * MAX_QTY):
        raise EngineAnswerError("'discount_total' must be a number from 0.")
    return {
        "programs": [_engine_program(program) for program in programs],
        "discount_total": float(total),
    }


def _engine_program(program):
    program_id, discount = program.get("program_id"), program.get("discount")
    if isinstance(program_id, bool) or not isinstance(program_id, (int, str)) or program_id == "":
        raise EngineAnswerError("Each program needs a 'program_id' (integer or string).")
    if not _number(discount, 0, MAX_PRICE * MAX_QTY):
        raise EngineAnswerError("Each program needs a 'discount' from 0.")
    free_skus = program.get("free_skus") or []
    if not isinstance(free_skus, list) or not all(isinstance(s, str) for s in free_skus):
        raise EngineAnswerError("'free_skus' must be a list of strings.")
    return {
        "program_id": program_id,
        "version": program.get("version"),
        "name": program.get("name") if isinstance(program.get("name"), str) else None,
        "combinable": bool(program.get("combinable")),
        "discount": float(discount),
        "reward_type": program.get("reward_type")
        if isinstance(program.get("reward_type"), str)
        else None,
        "free_skus": free_skus,
        "free_products": [
            {"sku": item["sku"], "qty": float(item["qty"])}
            for item in program.get("free_products") or []
            if isinstance(item, dict)
            and isinstance(item.get("sku"), str)
            and _number(item.get("qty"), 0, MAX_QTY)
        ],
    }


@contextmanager
def only_programs(program_ids):
    """Run the block with Odoo's loyalty code seeing these programs only (the eligibility
    check's copies of approved snapshots). A context variable set by Python code, never a
    context key: no client can narrow or widen what an order sees."""
    token = _ONLY_PROGRAMS.set(frozenset(program_ids))
    try:
        yield
    finally:
        _ONLY_PROGRAMS.reset(token)


def restricted_programs():
    """The program ids the running eligibility check sees, or None outside one."""
    return _ONLY_PROGRAMS.get()
