# Copyright 2026 Governed Commerce Sync
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Times as a shop means them: a date and a time of day in its time zone, stored in UTC.

>>> from datetime import date, datetime
>>> utc_from_local(date(2026, 12, 4), 18.0, "Europe/Brussels")
datetime.datetime(2026, 12, 4, 17, 0)
>>> utc_from_local(date(2026, 7, 4), 18.5, "Europe/Brussels")
datetime.datetime(2026, 7, 4, 16, 30)
>>> local_parts(datetime(2026, 12, 4, 17, 0), "Europe/Brussels")
(datetime.date(2026, 12, 4), 18.0)
>>> local_parts(None, "UTC")
(False, 0.0)
>>> utc_from_local(False, 9.0, "UTC")
False
"""

from datetime import UTC, datetime, time
from zoneinfo import ZoneInfo


def utc_from_local(day, hours, zone):
    """Naive UTC datetime of `day` at `hours` (e.g. 18.5 for 18:30) in `zone`; False when
    there is no day."""
    if not day:
        return False
    minutes = round((hours or 0.0) * 60)
    minutes = min(max(minutes, 0), 24 * 60 - 1)
    local = datetime.combine(day, time(minutes // 60, minutes % 60), tzinfo=ZoneInfo(zone))
    return local.astimezone(UTC).replace(tzinfo=None)


def local_parts(moment, zone):
    """(date, hours as a float) of a naive UTC datetime in `zone`; (False, 0.0) for none."""
    if not moment:
        return False, 0.0
    local = moment.replace(tzinfo=UTC).astimezone(ZoneInfo(zone))
    return local.date(), local.hour + local.minute / 60.0
