"""Validated input types: every date, time and number a client sends is one of these.

Why one module: pydantic's defaults are lenient in ways that reach our arithmetic. A naive
datetime compared with our aware clock raises ``TypeError``; ``9999-12-31T23:59:59-12:00`` or
``0001-01-01`` minus a few days raises ``OverflowError``; ``"0"`` is read as 1970-01-01; ``true``
is a number; ``1e-999999`` dollars is stored as 0. The first were 500s, the rest silently wrong.
The types here turn each into a 422 with a clear message::

    class KeyCreate(BaseModel):
        expires_at: Instant | None = None      # ISO 8601 with a zone, years 2000..9000, in UTC
        rpm: StrictInt | None = Field(None, ge=1)  # a JSON integer, never true/1.5/"5"

- :data:`Day` — a calendar date written ``YYYY-MM-DD`` (nothing else: no timestamps).
- :data:`Instant` — an ISO 8601 date-time with an explicit offset (``Z`` or ``±hh:mm``),
  normalised to UTC.
- Both are bounded to years :data:`MIN_YEAR`..:data:`MAX_YEAR`, so adding or subtracting any
  span we use (a day, a year) can never leave Python's date range.
- :data:`StrictInt` / :data:`StrictNumber` — JSON numbers, strictly: ``true`` is not 1. Every
  one gets bounds (``Field(ge=, le=)``) that keep the arithmetic done on it in range.
- :data:`Usd` — money as stored: 0..90M, at most 8 decimals.

Query parameters arrive as text, so ints there keep FastAPI's own parsing (``Query(ge=, le=)``);
booleans cannot be confused with numbers in a query string.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from typing import Annotated, Any

from pydantic import AfterValidator, AwareDatetime, BeforeValidator, Field

MIN_YEAR = 2000
MAX_YEAR = 9000

_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")
_INSTANT = re.compile(
    r"\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?([Zz]|[+-]\d{2}:?\d{2})"
)


def _day_text(value: Any) -> Any:
    """Only ``YYYY-MM-DD`` (or a date already parsed by us): ``0`` must not become 1970."""
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return value
    if isinstance(value, str) and _DAY.fullmatch(value):
        return value
    raise ValueError("must be a date written YYYY-MM-DD, e.g. 2030-01-31")


def _instant_text(value: Any) -> Any:
    """Only ISO 8601 text with an explicit zone: no bare numbers, no naive local times."""
    if isinstance(value, dt.datetime):
        if value.tzinfo is None:
            raise ValueError("must include a time zone, e.g. 2030-01-31T12:00:00Z")
        return value
    if isinstance(value, str) and _INSTANT.fullmatch(value):
        return value
    if isinstance(value, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}[Tt ][\d:.]+", value):
        raise ValueError("must include a time zone, e.g. 2030-01-31T12:00:00Z")
    raise ValueError("must be an ISO 8601 date-time with a time zone, e.g. 2030-01-31T12:00:00Z")


def _year_check(year: int) -> None:
    if not MIN_YEAR <= year <= MAX_YEAR:
        raise ValueError(f"must be between the years {MIN_YEAR} and {MAX_YEAR}")


def _day_in_range(value: dt.date) -> dt.date:
    _year_check(value.year)
    return value


def _instant_in_range(value: dt.datetime) -> dt.datetime:
    _year_check(value.year)  # checked in its own zone first: converting 9999-12-31-12:00 overflows
    utc = value.astimezone(dt.UTC)
    _year_check(utc.year)
    return utc


Day = Annotated[
    dt.date,
    BeforeValidator(_day_text),
    AfterValidator(_day_in_range),
    Field(description=f"A date, YYYY-MM-DD, years {MIN_YEAR}..{MAX_YEAR}"),
]
Instant = Annotated[
    AwareDatetime,
    BeforeValidator(_instant_text),
    AfterValidator(_instant_in_range),
    Field(
        description=(
            f"ISO 8601 with a time zone (e.g. 2030-01-31T12:00:00Z), years {MIN_YEAR}..{MAX_YEAR}"
        )
    ),
]


def _json_number(value: Any) -> Any:
    """JSON Schema's numbers: ``true`` and ``"5"`` are not numbers (pydantic's lax mode took
    both); ``5.0`` is the integer 5, as JSON Schema says."""
    if isinstance(value, bool | str | bytes):
        raise ValueError("must be a number, not a string or true/false")
    return value


def _json_number_or_text(value: Any) -> Any:
    """Money may be a JSON number or a decimal string (``"0.05"``, exact); never true/false."""
    if isinstance(value, bool):
        raise ValueError("must be a number or a decimal string, not true/false")
    return value


StrictInt = Annotated[int, BeforeValidator(_json_number)]
"""A JSON integer (``5`` or ``5.0``): ``true``, ``1.5`` and ``"5"`` are refused. Bound it with
``Field(ge=, le=)``."""
StrictNumber = Annotated[float, BeforeValidator(_json_number)]
"""A JSON number (an integer is one; ``false`` is not). Bound it with ``Field(ge=, le=)``."""


MAX_USD = 90_000_000
Usd = Annotated[
    Decimal,
    BeforeValidator(_json_number_or_text),
    Field(ge=0, le=MAX_USD, decimal_places=8, description="US dollars, at most 8 decimals"),
]
"""An amount of money as stored (``Numeric(18, 8)``): ``1e-999999`` would be stored as 0 and
answered back as sent, so more than 8 decimals is refused rather than silently rounded."""
