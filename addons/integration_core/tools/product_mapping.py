"""Product identity in payloads, free of the ORM: which fields name a product, which carry a
quantity or a unit price, and the walk that translates them into what one connector calls
them. integration.product.mapping resolves SKUs and units with a few queries per batch and
hands the results to `translate`.

Conventions of the canonical payloads (every schema follows them):

- a key ``sku`` or ending in ``_sku`` holds one SKU, a key ``skus`` or ending in ``_skus`` a
  list of SKUs, at any depth;
- a dict with a ``sku`` is a *product node*; when it names a unit (``uom``), that is the
  unit of the quantities (QUANTITY_KEYS) and unit prices (PRICE_KEYS) in it and below it,
  translated with it. A node without ``uom`` has no unit to translate: its figures go as
  they are.

>>> unit = Unit("BX", lambda q: q / 12, lambda p: p * 12)
>>> out = translate(
...     {"sku": "A", "uom": "Units", "quantity": 24, "substitute_sku": "B",
...      "warehouses": [{"warehouse": "WH", "on_hand": 36}], "rules": [{"skus": ["A", "C"]}]},
...     {"A": "EXT-A", "B": "EXT-B"}, {("A", "Units"): unit})
>>> out.payload
{'sku': 'EXT-A', 'uom': 'BX', 'quantity': 2.0, 'substitute_sku': 'EXT-B', \
'warehouses': [{'warehouse': 'WH', 'on_hand': 3.0}], 'rules': [{'skus': ['EXT-A', 'C']}]}
>>> sorted(out.missing_skus), out.missing_units
(['C'], [])
"""

from dataclasses import dataclass, field

QUANTITY_KEYS = frozenset(
    {"quantity", "min_quantity", "qty", "available_to_promise", "on_hand", "reserved"}
    | {"quality_hold"}
)
PRICE_KEYS = frozenset({"price"})
SKU_PREFIX = "odoo-product-"


def internal_sku(default_code, barcode, product_id):
    """The SKU our canonical payloads give a product: its internal reference, else its
    barcode, else a stable id.

    >>> internal_sku("DESK", "400", 7), internal_sku(False, "400", 7), internal_sku("", None, 7)
    ('DESK', '400', 'odoo-product-7')
    """
    return default_code or barcode or f"{SKU_PREFIX}{product_id}"


def id_of_sku(sku):
    """The product id an ``odoo-product-<id>`` SKU stands for, else None.

    >>> id_of_sku("odoo-product-12"), id_of_sku("odoo-product-x"), id_of_sku("DESK")
    (12, None, None)
    """
    rest = sku.removeprefix(SKU_PREFIX)
    return int(rest) if rest != sku and rest.isdigit() else None


def is_sku_key(key):
    return key == "sku" or key.endswith("_sku")


def is_skus_key(key):
    return key == "skus" or key.endswith("_skus")


@dataclass(frozen=True)
class Unit:
    """How one product node's unit reads for the other side: the unit's code there, and the
    conversions of a quantity and of a unit price into it."""

    code: str
    quantity: object
    price: object


@dataclass
class Translated:
    """A translated payload, with the SKUs that had no translation and the product nodes
    (sku, uom) whose unit had none."""

    payload: object
    missing_skus: set = field(default_factory=set)
    missing_units: list = field(default_factory=list)


def skus_in(payload):
    """Every SKU the payload names, at any depth.

    >>> sorted(skus_in({"sku": "A", "rewards": [{"reward_skus": ["B"], "x_sku": None}]}))
    ['A', 'B']
    """
    found = set()
    _collect(payload, found, [])
    return found


def product_nodes(payload):
    """[(sku, uom)] of the product nodes of the payload that name a unit, at any depth.

    >>> product_nodes({"prices": [{"sku": "A", "uom": "BX"}, {"sku": "B"}]})
    [('A', 'BX')]
    """
    nodes = []
    _collect(payload, set(), nodes)
    return nodes


def _collect(value, skus, nodes):
    if isinstance(value, dict):
        if (node := _node(value)) is not None:
            nodes.append(node)
        for key, item in value.items():
            if is_sku_key(key) and isinstance(item, str):
                skus.add(item)
            elif is_skus_key(key) and isinstance(item, list):
                skus.update(s for s in item if isinstance(s, str))
            else:
                _collect(item, skus, nodes)
    elif isinstance(value, list):
        for item in value:
            _collect(item, skus, nodes)


def translate(payload, skus, units):
    """`payload` (left unchanged) translated: each SKU through `skus` ({sku: other sku};
    None: SKUs stay), each product node's ``uom``, quantities and unit prices through
    `units` ({(sku, uom): Unit}).

    >>> half = Unit("PR", lambda q: q / 2, lambda p: p * 2)
    >>> translate({"sku": "A", "uom": "U", "price": 3,
    ...            "breaks": [{"min_quantity": 4, "price": 2}]}, None, {("A", "U"): half}).payload
    {'sku': 'A', 'uom': 'PR', 'price': 6, 'breaks': [{'min_quantity': 2.0, 'price': 4}]}
    >>> out = translate({"sku": "A", "uom": "U", "quantity": True}, {}, {})
    >>> out.payload, out.missing_skus, out.missing_units
    ({'sku': 'A', 'uom': 'U', 'quantity': True}, {'A'}, [('A', 'U')])
    >>> translate({"sku": "A", "quantity": 4}, None, {("A", "U"): half}).payload
    {'sku': 'A', 'quantity': 4}
    """
    result = Translated(None)
    result.payload = _translate(payload, skus, units, None, result)
    return result


def _translate(value, skus, units, unit, result):
    if isinstance(value, list):
        return [_translate(item, skus, units, unit, result) for item in value]
    if not isinstance(value, dict):
        return value
    if isinstance(value.get("sku"), str):  # a product node: its own unit, or none
        node = _node(value)
        unit = units.get(node) if node else None
        if node and unit is None:
            result.missing_units.append(node)
    out = {
        key: _translate_item(key, item, skus, units, unit, result) for key, item in value.items()
    }
    if unit is not None and "uom" in out:
        out["uom"] = unit.code
    return out


def _node(value):
    """(sku, uom) of a product node that names its unit, else None."""
    sku, uom = value.get("sku"), value.get("uom")
    return (sku, uom) if isinstance(sku, str) and isinstance(uom, str) else None


def _translate_item(key, item, skus, units, unit, result):
    if is_sku_key(key) and isinstance(item, str):
        return _sku(item, skus, result)
    if is_skus_key(key) and isinstance(item, list):
        return [_sku(s, skus, result) if isinstance(s, str) else s for s in item]
    if unit is not None and _is_number(item):
        if key in QUANTITY_KEYS:
            return unit.quantity(item)
        if key in PRICE_KEYS:
            return unit.price(item)
    return _translate(item, skus, units, unit, result)


def _sku(sku, skus, result):
    if skus is None:
        return sku
    if sku not in skus:
        result.missing_skus.add(sku)
        return sku
    return skus[sku]


def _is_number(value):
    return isinstance(value, int | float) and not isinstance(value, bool)
