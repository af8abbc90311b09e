"""Helpers for statements that carry many values."""


def array_literal(values):
    """A PostgreSQL array literal of integers, floats or plain tokens (None is NULL), for
    one text parameter cast to an array type (``%s::int[]``).

    psycopg2 adapts a Python list value by value into an ``ARRAY[...]`` expression, which the
    server then parses and plans element by element: ten thousand ids cost more there than
    the statement's own work. The literal is read by the array type's input function in one
    go. Only for values whose text needs no quoting: numbers, and tokens of letters and digits
    (hex digests); anything else raises ValueError.

    >>> array_literal([1, None, 3])
    '{1,NULL,3}'
    >>> array_literal([0.5, 2.0, 1e-07])
    '{0.5,2.0,1e-07}'
    >>> array_literal(["ab12", None])
    '{ab12,NULL}'
    >>> array_literal([])
    '{}'
    >>> array_literal(["a,b"])
    Traceback (most recent call last):
    ValueError: array_literal cannot write 'a,b' without quoting
    >>> array_literal([True])
    Traceback (most recent call last):
    ValueError: array_literal takes numbers and tokens, not booleans
    """
    values = list(values)
    kinds = set(map(type, values))
    if kinds <= {int}:  # ids, the common case: written at C speed
        return "{" + ",".join(map(str, values)) + "}"
    if kinds <= {float}:
        return "{" + ",".join(map(repr, values)) + "}"
    parts = []
    for value in values:
        if value is None:
            parts.append("NULL")
        elif isinstance(value, bool):
            raise ValueError("array_literal takes numbers and tokens, not booleans")
        elif isinstance(value, (int, float)):
            parts.append(repr(value))
        elif isinstance(value, str) and value.isalnum() and value.isascii() and value != "NULL":
            parts.append(value)
        else:
            raise ValueError(f"array_literal cannot write {value!r} without quoting")
    return "{" + ",".join(parts) + "}"
