"""Whether a quantity in one unit of measure converts into another.

18.0 groups units in categories (`category_id`); 19.0 has none and relates each unit to a
reference unit (`relative_uom_id`, `_has_common_reference`). Either way, `_compute_quantity`
converts between units of the same kind: 18.0 raises between categories, 19.0 converts any
two units, meaningful or not."""


def convertible(from_uom, to_uom):
    """True when quantities in `from_uom` convert into `to_uom` (both one record)."""
    if from_uom == to_uom:
        return True
    if "category_id" in from_uom._fields:  # 18.0
        return from_uom.category_id == to_uom.category_id
    return from_uom._has_common_reference(to_uom)
