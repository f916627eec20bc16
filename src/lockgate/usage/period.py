"""The period a usage report or export covers: whole UTC days, bounded, defaults filled in."""

from __future__ import annotations

import datetime as dt

from lockgate.errors import Unprocessable

MAX_RANGE_DAYS = 366
DEFAULT_DAYS = 30


def resolve_period(
    start: dt.date | None, end: dt.date | None, today: dt.date
) -> tuple[dt.date, dt.date]:
    """``(start, end)`` inclusive: end defaults to today, start to 29 days before end."""
    end = end or today
    start = start or end - dt.timedelta(days=DEFAULT_DAYS - 1)
    if start > end:
        raise Unprocessable("start must be on or before end.")
    if (end - start).days >= MAX_RANGE_DAYS:
        raise Unprocessable(f"The range may span at most {MAX_RANGE_DAYS} days.")
    return start, end


def utc_bounds(start: dt.date, end: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """The instants ``[start 00:00, end + 1 day 00:00)`` in UTC."""
    begin = dt.datetime.combine(start, dt.time(), tzinfo=dt.UTC)
    stop = dt.datetime.combine(end + dt.timedelta(days=1), dt.time(), tzinfo=dt.UTC)
    return begin, stop
