"""JSON Schema validation of canonical payloads (Draft 2020-12), validators cached."""

import json
from functools import lru_cache

from jsonschema import Draft202012Validator


@lru_cache(maxsize=128)
def _validator(schema_text):
    schema = json.loads(schema_text)
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema)


def validation_errors(schema_text, payload, limit=5):
    """Readable errors ('at /lines/0/price: -1 is less than the minimum of 0'), [] if valid."""
    validator = _validator(schema_text)
    if validator.is_valid(payload):  # the common case, much cheaper than collecting errors
        return []
    errors = []
    for error in sorted(validator.iter_errors(payload), key=lambda e: list(e.path)):
        where = "/" + "/".join(str(p) for p in error.absolute_path)
        errors.append(f"at {where}: {error.message}")
        if len(errors) >= limit:
            break
    return errors


def check_schema(schema_text):
    """Raise if the text is not a valid JSON Schema."""
    _validator(schema_text)
