"""Money and times as people read them, for the messages Lockgate writes itself.

Amounts are kept exactly (``Decimal``) everywhere; only a sentence meant for a person rounds::

    usd(Decimal("105.20000000"))  -> "$105.20"
    usd(Decimal("0.00001234"))    -> "$0.000012"
    usd(Decimal("0E-8"))          -> "$0.00"
    moment(datetime(2026, 12, 7, tzinfo=UTC)) -> "2026-12-07 00:00 UTC"

Machine-readable values (``X-Budget-Resets-At``, JSON fields) stay exact and ISO 8601.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal

_CENT = Decimal("0.01")


def usd(amount: Decimal) -> str:
    """Dollars with cents, or two significant digits below a cent (never ``0E-8``)."""
    if amount.is_nan() or amount.is_infinite():
        return f"${amount}"
    sign = "-" if amount < 0 else ""
    value = abs(amount)
    if value == 0:
        return "$0.00"
    if value >= _CENT:
        return f"{sign}${value.quantize(_CENT, rounding=ROUND_HALF_UP):,}"
    places = -value.adjusted() + 1  # two significant digits
    step = Decimal(1).scaleb(-places)
    return f"{sign}${value.quantize(step, rounding=ROUND_HALF_UP):f}"


def moment(at: datetime) -> str:
    """A UTC minute, unambiguous for any reader: ``2026-12-07 00:00 UTC``."""
    return at.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
