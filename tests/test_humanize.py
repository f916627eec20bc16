from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

import pytest

from lockgate.humanize import moment, usd


@pytest.mark.parametrize(
    ("amount", "text"),
    [
        ("105.20000000", "$105.20"),
        ("0E-8", "$0.00"),
        ("0.05", "$0.05"),
        ("0.005", "$0.0050"),
        ("0.00001234", "$0.000012"),
        ("1234567.891", "$1,234,567.89"),
        ("-0.5", "-$0.50"),
    ],
)
def test_usd_reads_like_money(amount: str, text: str) -> None:
    assert usd(Decimal(amount)) == text


def test_moment_is_one_utc_minute() -> None:
    at = datetime(2026, 12, 7, 1, 30, tzinfo=timezone(timedelta(hours=1)))
    assert moment(at) == "2026-12-07 00:30 UTC"
    assert moment(datetime(2026, 12, 7, tzinfo=UTC)) == "2026-12-07 00:00 UTC"
