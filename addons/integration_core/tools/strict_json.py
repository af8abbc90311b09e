"""Strict JSON for bodies that come from outside.

Python's json module accepts what other parsers and PostgreSQL refuse, or read differently:
NaN and Infinity, numbers that turn into infinity (1e400) or into integers no other system
holds, NUL characters and lone surrogates (PostgreSQL's jsonb refuses both), duplicate keys
(which one wins depends on the parser: a proxy may check one value and Odoo use the other),
and nesting deep enough to exhaust the parser's recursion. ``loads`` refuses all of them with
a ``StrictJSONError`` that says why in words, so a body either means one thing everywhere
or is refused as a whole.

>>> loads(b'{"sku": "A-1", "quantity": 7, "price": 9.5, "tags": ["x"], "note": null}')
{'sku': 'A-1', 'quantity': 7, 'price': 9.5, 'tags': ['x'], 'note': None}
>>> loads('{"emoji": "\\\\ud83d\\\\ude00"}'.encode())  # a surrogate pair is one character
{'emoji': '😀'}
>>> def why(body):
...     try:
...         loads(body)
...     except StrictJSONError as exc:
...         return str(exc)
>>> why(b'{"a": NaN}')
'NaN is not a JSON number'
>>> why(b'[-Infinity]')
'-Infinity is not a JSON number'
>>> why(b'[1e400]')
'the number 1e400 does not fit a 64-bit float'
>>> why(b'[9223372036854775808]')
'the integer 9223372036854775808 does not fit 64 bits'
>>> why(b'[-9223372036854775808]') is None
True
>>> why(b'{"a": "x\\\\u0000y"}')
'a string holds a NUL character'
>>> why(b'{"\\\\ud800": 1}')
'a string holds a lone surrogate (\\\\ud800)'
>>> why(b'{"a": 1, "a": 2}')
"the key 'a' appears twice in one object"
>>> why(b'[' * 10000 + b']' * 10000)
'the JSON is nested deeper than 64 levels'
>>> why(b'[[["[[[[[[["]]]'), why(b'{"a": "]]]]}}}}"}')  # brackets in strings do not count
(None, None)
>>> why('{"a": "é"}'.encode("latin-1"))
'the body is not UTF-8'
>>> why(b'{"a": 1')
"the body is not JSON: Expecting ',' delimiter at line 1, column 8"
"""

import json
import math
import re

MAX_DEPTH = 64
INT_RANGE = (-(2**63), 2**63 - 1)

# In text where every escape (backslash and the next character) is removed, a string is a
# quote, anything but a quote, a quote: scanning for it never backtracks.
_ESCAPE = re.compile(r"\\.", re.DOTALL)
_STRING = re.compile(r'"[^"]*"?')
_NOT_BRACKET = re.compile(r"[^\[\]{}]+")
# NUL and lone surrogates reach a parsed string only through \u escapes (strict UTF-8 has no
# surrogates, strict JSON no raw control characters): without such an escape, no walk.
_SUSPECT_ESCAPE = re.compile(r"\\u(?:0000|[dD][89a-fA-F])")
_FORBIDDEN = re.compile("[\x00\ud800-\udfff]")


class StrictJSONError(ValueError):
    """The body is not strict JSON; the message says why."""


def loads(body, max_depth=MAX_DEPTH):
    """The value a UTF-8 JSON body (bytes) stands for, or StrictJSONError saying why not."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise StrictJSONError("the body is not UTF-8") from exc
    check_depth(text, max_depth)
    try:
        value = json.loads(
            text,
            parse_constant=_refuse_constant,
            parse_float=_float,
            parse_int=_int,
            object_pairs_hook=_object,
        )
    except StrictJSONError:
        raise
    except json.JSONDecodeError as exc:
        raise StrictJSONError(
            f"the body is not JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}"
        ) from exc
    if _SUSPECT_ESCAPE.search(text):
        check_strings(value)
    return value


def check_depth(text, max_depth=MAX_DEPTH):
    """Refuse text nested deeper than max_depth, before a recursive parser sees it.

    >>> check_depth('[[1], {"a": "[[[["}]', max_depth=2)
    >>> for text in ("[[[1]]]", "[" * 10000):
    ...     try:
    ...         check_depth(text, max_depth=2)
    ...     except StrictJSONError as exc:
    ...         print(exc)
    the JSON is nested deeper than 2 levels
    the JSON is nested deeper than 2 levels
    """
    brackets = _NOT_BRACKET.sub("", _STRING.sub("", _ESCAPE.sub("", text)))
    if brackets.count("[") + brackets.count("{") <= max_depth:
        return
    depth = 0
    for bracket in brackets:
        depth += 1 if bracket in "[{" else -1
        if depth > max_depth:
            raise StrictJSONError(f"the JSON is nested deeper than {max_depth} levels")


def check_strings(value):
    """Refuse NUL characters and lone surrogates in any string or key, at any depth."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            stack.extend(item)
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
        elif isinstance(item, str) and (found := _FORBIDDEN.search(item)):
            if found.group() == "\x00":
                raise StrictJSONError("a string holds a NUL character")
            raise StrictJSONError(f"a string holds a lone surrogate (\\u{ord(found.group()):04x})")


def _refuse_constant(name):
    raise StrictJSONError(f"{name} is not a JSON number")


def _float(text):
    number = float(text)
    if not math.isfinite(number):
        raise StrictJSONError(f"the number {text[:40]} does not fit a 64-bit float")
    return number


def _int(text):
    # Checked on the text first: int() of thousands of digits is slow, or refused.
    if len(text.lstrip("-")) > 19 or not INT_RANGE[0] <= int(text) <= INT_RANGE[1]:
        raise StrictJSONError(f"the integer {text[:40]} does not fit 64 bits")
    return int(text)


def _object(pairs):
    result = dict(pairs)
    if len(result) != len(pairs):
        seen = set()
        duplicate = next(key for key, _value in pairs if key in seen or seen.add(key))
        raise StrictJSONError(f"the key {duplicate[:40]!r} appears twice in one object")
    return result
