# Copyright 2026 Governed Commerce Sync
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Which approved promotions a cart gets, from snapshot contents alone (no ORM).

A cart is a list of ``{"sku": str, "qty": number, "price": number}`` (price per unit,
untaxed). A snapshot is ``{"program_id", "version", "content"}`` with the content stored by
``promotion.snapshot``. Non-combinable programs do not stack: only the best one applies;
combinable ones apply on top.
"""

# Bounds of a cart line: amounts stay finite and exact enough for money.
MAX_QTY = 1_000_000
MAX_PRICE = 1_000_000_000


class CartError(ValueError):
    """The cart is not a list of lines with a sku, a positive quantity and a price."""


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


def _matching(lines, skus):
    if skus is None:
        return lines
    wanted = set(skus)
    return [line for line in lines if line["sku"] in wanted]


def _rule_matches(rule, lines, codes):
    if rule.get("mode") == "with_code" and rule.get("code") not in codes:
        return False
    matching = _matching(lines, rule.get("skus"))
    qty = sum(line["qty"] for line in matching)
    amount = sum(line["qty"] * line["price"] for line in matching)
    return (
        bool(matching)
        and qty >= (rule.get("minimum_qty") or 0)
        and amount >= (rule.get("minimum_amount") or 0.0)
    )


def reward_value(reward, lines):
    """(discount amount, free skus) a reward gives on the cart."""
    if reward.get("reward_type") == "product":
        skus = reward.get("reward_skus") or []
        in_cart = [line for line in lines if line["sku"] in skus]
        if not in_cart:
            return 0.0, skus[:1]
        qty = min(reward.get("reward_product_qty") or 1, in_cart[0]["qty"])
        return round(qty * in_cart[0]["price"], 2), [in_cart[0]["sku"]]
    applicability = reward.get("discount_applicability") or "order"
    if applicability == "specific":
        base_lines = _matching(lines, reward.get("discount_skus") or [])
    elif applicability == "cheapest":
        cheapest = min(lines, key=lambda line: line["price"], default=None)
        base_lines = [dict(cheapest, qty=1.0)] if cheapest else []
    else:
        base_lines = lines
    base = sum(line["qty"] * line["price"] for line in base_lines)
    mode = reward.get("discount_mode")
    if mode == "percent":
        value = base * (reward.get("discount") or 0.0) / 100.0
    elif mode == "per_order":
        value = min(reward.get("discount") or 0.0, base)
    else:  # per point: depends on a loyalty balance the cart does not carry
        value = 0.0
    cap = reward.get("discount_max_amount") or 0.0
    if cap > 0:
        value = min(value, cap)
    return round(value, 2), []


def evaluate(cart_lines, snapshots, codes=()):
    """The promotions the cart gets: {"programs": [...], "discount_total": float}."""
    codes = set(codes)
    candidates = []
    for snapshot in snapshots:
        content = snapshot["content"] or {}
        rules = content.get("rules") or []
        if not rules or not any(_rule_matches(rule, cart_lines, codes) for rule in rules):
            continue
        best = None
        for reward in content.get("rewards") or []:
            value, free = reward_value(reward, cart_lines)
            if best is None or value > best[0]:
                best = (value, free, reward)
        if best is None or (best[0] <= 0 and not best[1]):
            continue
        candidates.append(
            {
                "program_id": snapshot["program_id"],
                "version": snapshot["version"],
                "name": content.get("name"),
                "combinable": bool(content.get("combinable")),
                "discount": best[0],
                "reward_type": best[2].get("reward_type"),
                "free_skus": best[1],
            }
        )
    exclusive = [c for c in candidates if not c["combinable"]]
    chosen = [c for c in candidates if c["combinable"]]
    if exclusive:
        chosen.append(max(exclusive, key=lambda c: (c["discount"], -c["program_id"])))
    chosen.sort(key=lambda c: c["program_id"])
    return {
        "programs": chosen,
        "discount_total": round(sum(c["discount"] for c in chosen), 2),
    }
