"""How precisely a connector is told a quantity: exactly, as an availability band, or as an
in-stock flag. Plain arithmetic, no ORM.

A band covers the quantities from its threshold up to the next band's: with the bands
``[(0, "Out of stock"), (1, "Low stock"), (10, "In stock")]``, 0 is out of stock, 1 to 9
(and 9.5) low, 10 and more in stock.

>>> bands = [(0.0, "Out of stock"), (1.0, "Low stock"), (10.0, "In stock")]
>>> coarse("bands", 7, bands)
(1.0, {'availability': 'Low stock'})
>>> coarse("bands", 250, bands)
(10.0, {'availability': 'In stock'})
>>> coarse("in_stock", 0, bands)
(0.0, {'in_stock': False})
>>> coarse("in_stock", 0.5, [])
(1.0, {'in_stock': True})
"""

EXACT = "exact"
BANDS = "bands"
IN_STOCK = "in_stock"
GRANULARITIES = [
    (EXACT, "Exact quantities"),
    (BANDS, "Availability bands"),
    (IN_STOCK, "In stock or not"),
]
# The data domains whose payloads carry quantities, and the schema (name, version) of what a
# connector that must not see them receives instead: its fields say no quantity.
COARSE_SCHEMAS = {"stock": ("stock_availability", 1)}
# The bands a new banded granularity starts with (threshold, label): 0 / 1-9 / 10+.
DEFAULT_BANDS = [(0.0, "Out of stock"), (1.0, "Low stock"), (10.0, "In stock")]


def band_of(quantity, bands):
    """(threshold, label) of the band `quantity` falls in: the highest threshold at or below
    it; the lowest band for a quantity under every threshold. `bands`: (threshold, label)
    pairs, in any order, at least one."""
    ordered = sorted(bands)
    found = ordered[0]
    for band in ordered:
        if quantity >= band[0]:
            found = band
    return found


def coarse(granularity, quantity, bands):
    """(value compared with what was last published, payload fields) of `quantity` told at
    `granularity` (BANDS or IN_STOCK). The value is the band's threshold, or 1.0 / 0.0 in
    stock or not: a new quantity in the same band publishes nothing new."""
    if granularity == BANDS:
        threshold, label = band_of(quantity, bands)
        return float(threshold), {"availability": label}
    if granularity == IN_STOCK:
        in_stock = quantity > 0
        return (1.0 if in_stock else 0.0), {"in_stock": in_stock}
    raise ValueError(f"not a coarse granularity: {granularity!r}")


def numbers_in(value, path="$"):
    """Paths of the numbers anywhere in a JSON-able value (bools are not numbers): what a
    payload for a connector that must not see quantities may not hold.

    >>> numbers_in({"sku": "A", "in_stock": True, "warehouses": [{"on_hand": 3}]})
    ['$.warehouses[0].on_hand']
    """
    if isinstance(value, bool):
        return []
    if isinstance(value, int | float):
        return [path]
    if isinstance(value, dict):
        return [p for key, item in value.items() for p in numbers_in(item, f"{path}.{key}")]
    if isinstance(value, list | tuple):
        return [p for i, item in enumerate(value) for p in numbers_in(item, f"{path}[{i}]")]
    return []
