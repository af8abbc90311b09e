"""Date-times as senders write them: RFC 3339, the JSON Schema "date-time" format.

One parser serves the schema's format check and every handler, so whatever validation lets
through is exactly what a handler can read. A date-time has a date, a "T", a time and an
offset ("Z" or +hh:mm); seconds may carry a fraction (beyond microseconds it is cut off).
A leap second (:60) is refused: Python and Odoo cannot hold it.

>>> parse("2026-11-25T10:00:00Z")
datetime.datetime(2026, 11, 25, 10, 0, tzinfo=datetime.timezone.utc)
>>> to_naive_utc("2026-11-25T12:30:00.5+02:00")
datetime.datetime(2026, 11, 25, 10, 30, 0, 500000)
>>> to_naive_utc(None) is None
True
>>> [is_datetime(text) for text in ("2026-11-25t10:00:00z", "2026-11-25T10:00:00.123456789-03:30")]
[True, True]
>>> [is_datetime(text) for text in (
...     "2026-11-25 10:00:00Z",        # no T
...     "2026-11-25T10:00:00",         # no offset
...     "2026-11-25",                  # a date only
...     "2026-02-30T00:00:00Z",        # no such day
...     "2026-11-25T10:00:60Z",        # leap second
...     "2026-11-25T10:00:00+24:00",   # no such offset
...     "0001-01-01T00:00:00+01:00",   # before year 1 in UTC
...     "٢٠٢٦-11-25T10:00:00Z",        # digits must be ASCII
...     "yesterday",
... )]
[False, False, False, False, False, False, False, False, False]
>>> is_datetime(42)  # formats apply to strings only; the type is the schema's business
True
>>> parse("soon")
Traceback (most recent call last):
...
ValueError: 'soon' is not an RFC 3339 date-time such as 2026-11-25T10:00:00Z
"""

import re
from datetime import UTC, datetime, timedelta, timezone

_RFC3339 = re.compile(
    r"([0-9]{4})-([0-9]{2})-([0-9]{2})[Tt]([0-9]{2}):([0-9]{2}):([0-9]{2})(?:\.([0-9]+))?"
    r"(?:([Zz])|([+-])([0-9]{2}):([0-9]{2}))"
)


def parse(text):
    """The aware datetime an RFC 3339 date-time names; ValueError saying why if it is not one."""
    match = _RFC3339.fullmatch(text) if isinstance(text, str) else None
    if not match:
        raise ValueError(f"{str(text)[:60]!r} is not an RFC 3339 date-time such as {_EXAMPLE}")
    year, month, day, hour, minute, second, fraction, zulu, sign, off_h, off_m = match.groups()
    try:
        if zulu:
            zone = UTC
        else:
            if int(off_h) > 23 or int(off_m) > 59:
                raise ValueError("offset out of range")
            offset = timedelta(hours=int(off_h), minutes=int(off_m))
            zone = timezone(-offset if sign == "-" else offset)
        microsecond = int((fraction or "0")[:6].ljust(6, "0"))
        moment = datetime(
            int(year), int(month), int(day), int(hour), int(minute), int(second), microsecond, zone
        )
        moment.astimezone(UTC)  # a moment outside years 1-9999 in UTC is no use to anyone
    except (ValueError, OverflowError) as exc:
        raise ValueError(f"{text[:60]!r} is not a valid date-time ({exc})") from exc
    return moment


def to_naive_utc(text):
    """Odoo's naive UTC datetime for an RFC 3339 date-time, or None for None."""
    if text is None:
        return None
    return parse(text).astimezone(UTC).replace(tzinfo=None)


def is_datetime(value):
    """The JSON Schema "date-time" format check: True for any non-string."""
    if not isinstance(value, str):
        return True
    try:
        parse(value)
    except ValueError:
        return False
    return True


_EXAMPLE = "2026-11-25T10:00:00Z"
