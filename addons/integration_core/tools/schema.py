"""JSON Schema validation of canonical payloads (Draft 2020-12), validators cached.

Two implementations of the same specification: ``jsonschema_rs`` (compiled, some 60 times
faster) says whether a payload is valid, which is all a bulk enqueue of valid payloads needs;
``jsonschema`` (the reference implementation) words the errors of an invalid one, and has the
last word when the two disagree.

Formats are asserted, not just annotated: a "date-time" must be one that tools/dates.py reads
(RFC 3339), the parser every handler uses, whatever optional packages are installed.
"""

import json
from functools import lru_cache

import jsonschema_rs
from jsonschema import Draft202012Validator, FormatChecker

from . import dates

FORMAT_CHECKER = FormatChecker()
FORMAT_CHECKER.checks("date-time")(dates.is_datetime)
# jsonschema's messages quote the offending value: a sender's megabyte stays out of answers.
MAX_MESSAGE = 300


@lru_cache(maxsize=128)
def _validator(schema_text):
    schema = json.loads(schema_text)
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema, format_checker=FORMAT_CHECKER)


@lru_cache(maxsize=4096)
def _is_datetime(value):
    """dates.is_datetime, remembered: a bulk enqueue stamps its payloads with a few moments,
    checked once each (the compiled validator asks about strings only)."""
    return dates.is_datetime(value)


@lru_cache(maxsize=128)
def _fast_validator(schema_text):
    return jsonschema_rs.Draft202012Validator(
        json.loads(schema_text),
        validate_formats=True,
        formats={"date-time": _is_datetime},
    )


def validation_errors(schema_text, payload, limit=5):
    """Readable errors ('at /lines/0/price: -1 is less than the minimum of 0'), [] if valid."""
    validator = _validator(schema_text)  # the schema itself is checked here, once
    try:
        if _fast_validator(schema_text).is_valid(payload):  # the common case
            return []
    except (ValueError, TypeError):  # a value the compiled validator cannot take (NaN...)
        pass
    if validator.is_valid(payload):
        return []
    errors = []
    for error in sorted(validator.iter_errors(payload), key=_path_order):
        where = "/" + "/".join(str(p) for p in error.absolute_path)
        message = f"at {where[:100]}: {error.message}"
        errors.append(message if len(message) <= MAX_MESSAGE else message[:MAX_MESSAGE] + "…")
        if len(errors) >= limit:
            break
    return errors


def _path_order(error):
    # Indexes before keys: sorting never compares an int with a str.
    return [(isinstance(part, str), part) for part in error.path]


def check_schema(schema_text):
    """Raise if the text is not a valid JSON Schema."""
    _validator(schema_text)
