"""Budget behaviour, run against both backends: memory and a real Redis."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from redis.asyncio import BlockingConnectionPool, Redis

from lockgate.clock import FakeClock
from lockgate.gate.budget import (
    MAX_USD,
    BaseBudgetBackend,
    BudgetExceeded,
    BudgetLimit,
    BudgetStatus,
    MemoryBudgetBackend,
    ThresholdHook,
    Window,
    to_units,
)
from lockgate.gate.budget.redis import RedisBudgetBackend

Factory = Callable[..., BaseBudgetBackend]
USER = BudgetLimit("user:u1:daily", Decimal("5.00"), "daily")
PROVIDER = BudgetLimit("provider:openai", Decimal("100"), "monthly")
LEASE = 60.0
ZERO = Decimal(0)


def usd(value: str) -> Decimal:
    return Decimal(value)


@pytest.fixture(params=["memory", "redis"])
async def make_backend(request: pytest.FixtureRequest, clock: FakeClock) -> AsyncIterator[Factory]:
    """Builds backends of one kind; Redis ones share the suite's (flushed) server."""
    url: str | None = request.getfixturevalue("redis_url") if request.param == "redis" else None
    clients: list[Redis] = []

    def make(*, on_threshold: ThresholdHook | None = None) -> BaseBudgetBackend:
        if url is None:
            return MemoryBudgetBackend(clock, on_threshold=on_threshold)
        client = Redis.from_pool(BlockingConnectionPool.from_url(url, max_connections=20))
        clients.append(client)
        return RedisBudgetBackend(client, clock, on_threshold=on_threshold)

    yield make
    for client in clients:
        await client.aclose()


@pytest.fixture
def backend(make_backend: Factory) -> BaseBudgetBackend:
    return make_backend()


async def test_reserve_within_limit_counts_as_reserved(backend: BaseBudgetBackend) -> None:
    await backend.reserve([USER], usd("1.25"), lease_seconds=LEASE)
    status = await backend.status(USER)
    assert (status.spent_usd, status.reserved_usd, status.ratio) == (ZERO, usd("1.25"), 0.25)


async def test_reserve_of_exactly_the_room_left_is_admitted(backend: BaseBudgetBackend) -> None:
    await backend.reserve([USER], usd("4.99"), lease_seconds=LEASE)
    await backend.reserve([USER], usd("0.01"), lease_seconds=LEASE)
    assert (await backend.status(USER)).reserved_usd == usd("5.00")


async def test_exceeding_reports_spent_reserved_and_reset(backend: BaseBudgetBackend) -> None:
    settled = await backend.reserve([USER], usd("2"), lease_seconds=LEASE)
    await backend.settle(settled, usd("1.50"))
    await backend.reserve([USER], usd("3.00"), lease_seconds=LEASE)
    with pytest.raises(BudgetExceeded) as caught:
        await backend.reserve([USER], usd("0.60"), lease_seconds=LEASE)
    err = caught.value
    assert (err.scope, err.limit_usd, err.spent_usd, err.reserved_usd, err.resets_at) == (
        "user:u1:daily",
        usd("5.00"),
        usd("1.50"),
        usd("3.00"),
        datetime(2030, 1, 2, tzinfo=UTC),
    )


async def test_multi_limit_refusal_reserves_nothing_anywhere(backend: BaseBudgetBackend) -> None:
    await backend.record([USER], usd("4.80"))
    with pytest.raises(BudgetExceeded):
        await backend.reserve([PROVIDER, USER], usd("0.50"), lease_seconds=LEASE)
    provider, user = await backend.status(PROVIDER), await backend.status(USER)
    assert (provider.reserved_usd, user.reserved_usd) == (ZERO, ZERO)


async def test_refusal_names_the_first_limit_without_room(backend: BaseBudgetBackend) -> None:
    key = BudgetLimit("key:k1:daily", Decimal("1"), "daily")
    await backend.record([USER, key], usd("5"))
    with pytest.raises(BudgetExceeded) as caught:
        await backend.reserve([PROVIDER, key, USER], usd("0.01"), lease_seconds=LEASE)
    assert caught.value.scope == "key:k1:daily"


async def test_settling_less_releases_the_leftover(backend: BaseBudgetBackend) -> None:
    held = await backend.reserve([PROVIDER, USER], usd("2.00"), lease_seconds=LEASE)
    await backend.settle(held, usd("0.35"))
    statuses = [await backend.status(limit) for limit in (PROVIDER, USER)]
    assert [(s.spent_usd, s.reserved_usd) for s in statuses] == [(usd("0.35"), ZERO)] * 2


async def test_settling_more_records_the_actual_cost(backend: BaseBudgetBackend) -> None:
    held = await backend.reserve([USER], usd("1.00"), lease_seconds=LEASE)
    await backend.settle(held, usd("1.07"))
    status = await backend.status(USER)
    assert (status.spent_usd, status.reserved_usd) == (usd("1.07"), ZERO)


async def test_refund_releases_without_spending(backend: BaseBudgetBackend) -> None:
    held = await backend.reserve([USER], usd("3.00"), lease_seconds=LEASE)
    await backend.refund(held)
    status = await backend.status(USER)
    assert (status.spent_usd, status.reserved_usd) == (ZERO, ZERO)


async def test_second_settle_is_a_noop(backend: BaseBudgetBackend) -> None:
    held = await backend.reserve([USER], usd("1.00"), lease_seconds=LEASE)
    await backend.settle(held, usd("0.50"))
    await backend.settle(held, usd("0.50"))
    assert (await backend.status(USER)).spent_usd == usd("0.50")


async def test_refund_after_settle_is_a_noop(backend: BaseBudgetBackend) -> None:
    held = await backend.reserve([USER], usd("1.00"), lease_seconds=LEASE)
    other = await backend.reserve([USER], usd("2.00"), lease_seconds=LEASE)
    await backend.settle(held, usd("0.50"))
    await backend.refund(held)
    await backend.refund(other)
    await backend.refund(other)
    status = await backend.status(USER)
    assert (status.spent_usd, status.reserved_usd) == (usd("0.50"), ZERO)


async def test_expired_lease_stops_counting_as_reserved(
    backend: BaseBudgetBackend, clock: FakeClock
) -> None:
    await backend.reserve([USER], usd("4.00"), lease_seconds=30)
    with pytest.raises(BudgetExceeded):
        await backend.reserve([USER], usd("2.00"), lease_seconds=30)
    clock.advance(seconds=30)
    await backend.reserve([USER], usd("2.00"), lease_seconds=30)
    assert (await backend.status(USER)).reserved_usd == usd("2.00")


async def test_settle_after_lease_expiry_still_records_spend(
    backend: BaseBudgetBackend, clock: FakeClock
) -> None:
    held = await backend.reserve([USER], usd("1.00"), lease_seconds=30)
    clock.advance(seconds=31)
    await backend.settle(held, usd("0.80"))
    status = await backend.status(USER)
    assert (status.spent_usd, status.reserved_usd) == (usd("0.80"), ZERO)


async def test_daily_window_rolls_over_at_local_midnight(
    backend: BaseBudgetBackend, clock: FakeClock
) -> None:
    new_york = BudgetLimit("user:u1:daily", Decimal("1"), "daily", tz="America/New_York")
    await backend.record([new_york], usd("1"))  # 2029-12-31 19:00 in New York
    clock.advance(hours=4, minutes=59, seconds=59)  # UTC already rolled over, New York not
    with pytest.raises(BudgetExceeded):
        await backend.reserve([new_york], usd("0.01"), lease_seconds=LEASE)
    clock.advance(seconds=1)
    await backend.reserve([new_york], usd("1"), lease_seconds=LEASE)
    status = await backend.status(new_york)
    assert (status.spent_usd, status.resets_at) == (ZERO, datetime(2030, 1, 2, 5, tzinfo=UTC))


async def test_monthly_window_rolls_over_on_the_first(
    backend: BaseBudgetBackend, clock: FakeClock
) -> None:
    clock.now = datetime(2030, 1, 31, 23, 59, 59, tzinfo=UTC)
    await backend.record([PROVIDER], usd("100"))
    clock.advance(seconds=1)
    await backend.reserve([PROVIDER], usd("100"), lease_seconds=LEASE)
    status = await backend.status(PROVIDER)
    assert (status.spent_usd, status.resets_at) == (ZERO, datetime(2030, 3, 1, tzinfo=UTC))


async def test_concurrent_reserves_admit_exactly_what_fits(backend: BaseBudgetBackend) -> None:
    async def attempt() -> bool:
        try:
            await backend.reserve([PROVIDER, USER], usd("0.07"), lease_seconds=LEASE)
        except BudgetExceeded:
            return False
        return True

    admitted = await asyncio.gather(*(attempt() for _ in range(200)))
    status = await backend.status(USER)
    assert (sum(admitted), status.reserved_usd) == (71, usd("4.97"))


async def test_sums_of_decimals_are_exact(backend: BaseBudgetBackend) -> None:
    await backend.record([USER], usd("0.1"))
    await backend.record([USER], usd("0.2"))
    for _ in range(10):
        await backend.record([USER], usd("0.00000001"))
    assert (await backend.status(USER)).spent_usd == usd("0.3000001")


async def test_amounts_finer_than_the_unit_round_up(backend: BaseBudgetBackend) -> None:
    held = await backend.reserve([USER], usd("0.000000001"), lease_seconds=LEASE)
    assert held.amount == usd("0.00000001")


async def test_untouched_budget_is_empty(backend: BaseBudgetBackend) -> None:
    status = await backend.status(USER)
    assert status == BudgetStatus(
        "user:u1:daily", usd("5.00"), ZERO, ZERO, 0.0, datetime(2030, 1, 2, tzinfo=UTC), "daily"
    )


async def test_thresholds_fire_once_each(make_backend: Factory) -> None:
    fired: list[tuple[str, float, float]] = []

    async def alert(status: BudgetStatus, threshold: float) -> None:
        fired.append((status.scope, threshold, status.ratio))

    backend = make_backend(on_threshold=alert)
    await backend.reserve([USER], usd("4.00"), lease_seconds=LEASE)
    last = await backend.reserve([USER], usd("0.50"), lease_seconds=LEASE)  # 90%
    await backend.settle(last, usd("0.50"))
    final = await backend.reserve([USER], usd("0.50"), lease_seconds=LEASE)  # 100%
    await backend.refund(final)
    await backend.reserve([USER], usd("0.50"), lease_seconds=LEASE)
    assert fired == [("user:u1:daily", 0.9, 0.9), ("user:u1:daily", 1.0, 1.0)]


async def test_settle_that_crosses_a_threshold_fires_it(make_backend: Factory) -> None:
    fired: list[float] = []
    backend = make_backend(on_threshold=lambda status, threshold: fired.append(threshold))
    held = await backend.reserve([USER], usd("1.00"), lease_seconds=LEASE)
    await backend.settle(held, usd("4.60"))
    assert fired == [0.9]


async def test_failing_threshold_hook_keeps_the_reservation(make_backend: Factory) -> None:
    def broken(status: BudgetStatus, threshold: float) -> None:
        raise RuntimeError("pager down")

    backend = make_backend(on_threshold=broken)
    await backend.reserve([USER], usd("5.00"), lease_seconds=LEASE)
    assert (await backend.status(USER)).reserved_usd == usd("5.00")


async def test_naming_a_window_twice_is_rejected(backend: BaseBudgetBackend) -> None:
    with pytest.raises(ValueError, match="named twice"):
        await backend.reserve([USER, USER], usd("1"), lease_seconds=LEASE)


async def test_non_positive_lease_is_rejected(backend: BaseBudgetBackend) -> None:
    with pytest.raises(ValueError, match="lease_seconds"):
        await backend.reserve([USER], usd("1"), lease_seconds=0)


def test_limit_above_the_exact_range_is_rejected() -> None:
    with pytest.raises(ValueError, match="maximum"):
        BudgetLimit("provider:openai", MAX_USD + Decimal("0.00000001"), "monthly")


@pytest.mark.parametrize(
    ("limit", "period", "tz"),
    [("-1", "daily", "UTC"), ("NaN", "daily", "UTC"), ("1", "weekly", "UTC"), ("1", "daily", "X")],
)
def test_invalid_limits_are_rejected(limit: str, period: str, tz: str) -> None:
    with pytest.raises(ValueError):  # noqa: PT011 - each case has its own message
        BudgetLimit("user:u1:daily", Decimal(limit), period, tz)  # type: ignore[arg-type]


def test_units_are_exact_to_eight_places() -> None:
    assert to_units(Decimal("90071992.54740991")) == 2**53 - 1


def test_daily_reset_follows_daylight_saving_time() -> None:
    limit = BudgetLimit("user:u1:daily", Decimal("1"), "daily", tz="America/New_York")
    windows = [Window.at(limit, datetime(2030, 3, day, 12, tzinfo=UTC)) for day in (9, 10)]
    assert [w.resets_at for w in windows] == [
        datetime(2030, 3, 10, 5, tzinfo=UTC),
        datetime(2030, 3, 11, 4, tzinfo=UTC),
    ]


def test_monthly_window_of_december_resets_in_january() -> None:
    window = Window.at(PROVIDER, datetime(2030, 12, 15, tzinfo=UTC))
    assert (window.key, window.resets_at) == (
        "provider:openai:2030-12",
        datetime(2031, 1, 1, tzinfo=UTC),
    )


@pytest.mark.parametrize(
    "tz",
    ["UTC", "America/New_York", "America/Santiago", "Europe/Paris", "Australia/Lord_Howe"],
)
def test_windows_follow_the_local_date_across_a_year_of_clock_changes(tz: str) -> None:
    """The local date is cached until the next local midnight: it must always be the date that
    ``astimezone`` gives, around every midnight and every daylight-saving change (Santiago
    changes at midnight, Lord Howe by half an hour), visited forwards and backwards."""
    zone = ZoneInfo(tz)
    daily = BudgetLimit("user:u1:daily", Decimal("1"), "daily", tz=tz)
    monthly = BudgetLimit("user:u1:monthly", Decimal("1"), "monthly", tz=tz)
    moments = [datetime(2030, 1, 1, tzinfo=UTC) + timedelta(minutes=17 * i) for i in range(31_000)]
    for day in range(366):
        midnight = datetime.combine(date(2030, 1, 1) + timedelta(days=day), time(), tzinfo=zone)
        for delta in (-1, 0, 1):  # microseconds around the boundary
            moments.append((midnight + timedelta(microseconds=delta)).astimezone(UTC))
    moments.sort()
    for moment in [*moments, *reversed(moments)]:
        local = moment.astimezone(zone).date()
        assert Window.at(daily, moment).start == local, moment
        assert Window.at(monthly, moment).start == local.replace(day=1), moment
