"""USD budgets that are never overspent, whatever the concurrency: reserve, settle, refund.

**Why reserve → settle → refund.** The cost of a model call is only known after it ran. Checking
"is there room?" before the call and adding the cost after it lets every concurrent request pass
the same check and overspend together. So a request first *reserves* an upper bound (prompt
tokens plus ``max_tokens`` at list price), then *settles* the actual cost (the reservation is
released and the truth is added to spent, however far above the reservation: the money was
spent, the window is then over its limit and refuses the next reserve; the gate flags such a
settle, see `lockgate.gate.overrun`) or is *refunded* when the call failed. Settle and refund are
idempotent: a retried settle is a no-op.

**Atomicity.** A reservation is admitted only if, for *every* limit it names (provider, user
daily, user monthly, API key, ...), ``spent + reserved + amount <= limit``, and it is then added
to all of them in the same step; otherwise nothing is reserved anywhere and `BudgetExceeded`
names the first limit without room. In memory that step has no ``await`` inside, so the event
loop cannot interleave another one (the memory backend serves one process, one thread); in Redis
it is one Lua script (`lockgate.gate.budget.redis`), and Redis runs scripts one at a time, so any
number of replicas under any concurrency never admit more than a limit holds.

**Leases.** A replica that dies between reserve and settle would hold its reservation forever.
Each reservation therefore expires ``lease_seconds`` after it was made; every operation first
purges expired reservations of the windows it touches, so the money is free again. A settle
that arrives after expiry still records its spend: truth wins. Time comes from the injected
clock, never from the Redis server; replicas need NTP-synchronised clocks (a skew of seconds
only moves lease expiry by as much).

**Integer money.** Amounts are kept as integer units of 1e-8 USD. ``Decimal`` converts to them
exactly (costs finer than 1e-8 round *up*, limits round *down*: both err against spending), and
sums such as 0.1 + 0.2 stay exact. Redis Lua numbers are doubles, exact only below 2**53 units,
so a limit or an amount may not exceed `MAX_USD` (about 90 million USD); larger values are
rejected when constructed.

**Windows.** A limit counts per day or per calendar month in its own time zone. The window's key
holds the local start of the period (``user:42:daily:2030-01-01``, ``provider:openai:2030-01``),
so windows roll over by themselves and old ones expire `WINDOW_GRACE` after they end.

**Fail closed.** When the backend cannot be reached, operations raise `BudgetUnavailable`, never
`BudgetExceeded` and never a silent pass: a request that cannot be counted is not served.

Thresholds: ``on_threshold(status, 0.9)`` is called once per window when a reserve, settle or
record makes ``(spent + reserved) / limit`` reach 0.9, and once more at 1.0.

    backend = MemoryBudgetBackend(clock, on_threshold=alert)
    limits = [BudgetLimit("provider:openai", Decimal("100"), "monthly"),
              BudgetLimit("user:42:daily", Decimal("2"), "daily", tz="Europe/Paris")]
    held = await backend.reserve(limits, Decimal("0.031"), lease_seconds=300)
    try:
        cost = await call_provider()
    except ProviderError:
        await backend.refund(held)
        raise
    await backend.settle(held, cost)
"""

from __future__ import annotations

import functools
import math
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal
from typing import Literal, NamedTuple, Protocol, get_args
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from lockgate.gate._redis import to_ms
from lockgate.observability.logging import get_logger

Period = Literal["daily", "monthly"]
ThresholdHook = Callable[["BudgetStatus", float], Awaitable[None] | None]

MAX_UNITS = 2**53 - 1
MAX_USD = Decimal(MAX_UNITS).scaleb(-8)
"""90071992.54740991 USD: the largest limit or amount kept exact by Redis Lua's doubles."""
DEFAULT_THRESHOLDS = (0.9, 1.0)
WINDOW_GRACE = timedelta(days=2)
"""How long a window's data outlives the window (late settles still land in it)."""
SETTLED_MEMORY = timedelta(minutes=5)
"""How long Redis remembers a settled or refunded id, making a repeat (a retry after a lost
reply, which comes at once) a no-op. Short on purpose: at 2,000 calls/s a marker per call costs
Redis ~50 MB over 5 minutes (it cost gigabytes when it was 40 days). The memory backend needs no
marker: a reservation whose lease is gone before it expired was already finished."""
FALLBACK_TTL = timedelta(days=33)

_UNIT = 100_000_000  # units per USD
_NEVER = 2**63  # a time in ms, or an amount in units, that is never reached

log = get_logger("lockgate.gate.budget")


def to_units(amount: Decimal, *, rounding: str = ROUND_CEILING) -> int:
    """USD as integer 1e-8 units, exactly; a finer fraction rounds up (costs) unless told."""
    if not isinstance(amount, Decimal) or not amount.is_finite() or amount < 0:
        raise ValueError(f"amount must be a finite, non-negative Decimal, got {amount!r}")
    numerator, denominator = amount.as_integer_ratio()  # exact, and faster than quantizing
    if rounding == ROUND_CEILING:
        units = -(-numerator * _UNIT // denominator)
    elif rounding == ROUND_FLOOR:
        units = numerator * _UNIT // denominator
    else:
        units = int(amount.scaleb(8).to_integral_value(rounding=rounding))
    if units > MAX_UNITS:
        raise ValueError(f"{amount} USD is above the supported maximum of {MAX_USD} USD")
    return units


def spend_units(actual: Decimal) -> int:
    """A settled cost as units: exact up to `MAX_USD`, saturating above it.

    A settle records what the upstream reported, however far above the reservation (the money
    was spent). A report beyond `MAX_USD` (no limit can be that high) still leaves every window
    it lands in over its limit, so the budget refuses the next call; raising instead would lose
    the spend and the settle altogether.
    """
    return to_units(min(actual, MAX_USD))


def from_units(units: int) -> Decimal:
    return Decimal(units).scaleb(-8)


@functools.lru_cache(maxsize=256)
def _zone(tz: str) -> ZoneInfo:
    try:
        return ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"unknown time zone {tz!r}") from exc


@functools.lru_cache(maxsize=256)
def _limit_units(limit_usd: Decimal) -> int:
    return to_units(limit_usd, rounding=ROUND_FLOOR)


@functools.lru_cache(maxsize=64)
def _lease(seconds: float) -> timedelta:
    return timedelta(seconds=seconds)


@dataclass(frozen=True)
class BudgetLimit:
    """At most ``limit_usd`` per day or calendar month, counted in the time zone ``tz``."""

    scope: str
    limit_usd: Decimal
    period: Period
    tz: str = "UTC"

    def __post_init__(self) -> None:
        if not self.scope:
            raise ValueError("a budget scope must not be empty")
        if self.period not in _PERIODS:
            raise ValueError(f"period must be 'daily' or 'monthly', got {self.period!r}")
        if not isinstance(self.limit_usd, Decimal) or not self.limit_usd.is_finite():
            to_units(self.limit_usd)  # raises the error that names the value
        # Cached: the gateway builds a key's limits on every request.
        self.__dict__["limit_units"] = _limit_units(self.limit_usd)
        _zone(self.tz)

    @functools.cached_property
    def limit_units(self) -> int:
        return _limit_units(self.limit_usd)


_PERIODS = get_args(Period)


@dataclass(frozen=True)
class Reservation:
    """Money held in every window of ``scopes`` until settled, refunded or ``expires_at``."""

    id: str
    amount: Decimal
    scopes: tuple[str, ...]
    expires_at: datetime
    limits: tuple[BudgetLimit, ...] = ()
    """The limits behind ``scopes`` (same order), so settle can report thresholds."""
    windows: tuple[Window, ...] = field(default=(), repr=False, compare=False)
    """The windows behind ``scopes`` (same order), so settle need not parse the keys again."""


@dataclass(frozen=True)
class BudgetStatus:
    scope: str
    limit_usd: Decimal
    spent_usd: Decimal
    reserved_usd: Decimal
    ratio: float
    """(spent + reserved) / limit; a zero limit is always full (1.0, or inf once used)."""
    resets_at: datetime
    period: Period


class BudgetExceeded(Exception):
    """The named limit has no room for the amount: nothing was reserved anywhere."""

    def __init__(
        self,
        scope: str,
        limit_usd: Decimal,
        spent_usd: Decimal,
        reserved_usd: Decimal,
        resets_at: datetime,
        requested_usd: Decimal,
    ) -> None:
        self.scope = scope
        self.limit_usd = limit_usd
        self.spent_usd = spent_usd
        self.reserved_usd = reserved_usd
        self.resets_at = resets_at
        self.requested_usd = requested_usd
        super().__init__(
            f"budget {scope} exceeded: {requested_usd} USD requested, {spent_usd} spent and "
            f"{reserved_usd} reserved of {limit_usd}; resets at {resets_at.isoformat()}"
        )


class BudgetUnavailable(Exception):
    """The budget store could not be reached; callers fail closed and refuse the request."""


class BudgetBackend(Protocol):
    async def reserve(
        self, limits: Sequence[BudgetLimit], amount: Decimal, *, lease_seconds: float
    ) -> Reservation: ...
    async def settle(self, reservation: Reservation, actual: Decimal) -> None: ...
    async def refund(self, reservation: Reservation) -> None: ...
    async def status(self, limit: BudgetLimit) -> BudgetStatus: ...
    async def record(self, limits: Sequence[BudgetLimit], amount: Decimal) -> None: ...


@functools.lru_cache(maxsize=1024)
def _threshold_units(limit: int, thresholds: tuple[float, ...]) -> tuple[int, ...]:
    return tuple(
        int((Decimal(repr(t)) * limit).to_integral_value(ROUND_CEILING)) for t in thresholds
    )


@functools.lru_cache(maxsize=4096)
def _window(limit: BudgetLimit, start: date) -> Window:
    """Windows are immutable; reusing them keeps their cached key and reset time."""
    return Window(limit, start)


class _Today(NamedTuple):
    """A zone's local date, valid for instants (epoch seconds) in ``[since, until)`` (an empty
    range when it must not be reused)."""

    since: float
    until: float
    day: date
    month: date


_today: dict[str, _Today] = {}


def _local_today(tz: str, moment: datetime, at: float) -> _Today:
    """The local date of ``moment`` (``at`` is its timestamp) in ``tz``, cached until the next
    local midnight: the hot path then costs a comparison instead of a time zone conversion.

    Only reusable when the UTC offset is the same at ``moment`` and just before that midnight
    (no daylight-saving change in between: at most one a day, so none at all), which makes the
    local date the same for every instant of the range, exactly what ``astimezone`` would give.
    """
    cached = _today.get(tz)
    if cached is not None and cached.since <= at < cached.until:
        return cached
    zone = _zone(tz)
    local = moment.astimezone(zone)
    day = local.date()
    until = datetime.combine(day + timedelta(days=1), time(), tzinfo=zone).timestamp()
    before = datetime.fromtimestamp(until - 0.001, zone)
    if before.utcoffset() != local.utcoffset() or not at < until:
        return _Today(at, at, day, day.replace(day=1))  # a day of a clock change: no reuse
    today = _today[tz] = _Today(at, until, day, day.replace(day=1))
    return today


@dataclass(frozen=True)
class Window:
    """One period of one limit: ``key`` names it in the backend, ``resets_at`` ends it."""

    limit: BudgetLimit
    start: date

    @classmethod
    def at(cls, limit: BudgetLimit, moment: datetime) -> Window:
        if moment.tzinfo is None:
            raise ValueError("the budget clock must return timezone-aware datetimes")
        return _window_at(limit, moment, moment.timestamp())

    @classmethod
    def from_key(cls, limit: BudgetLimit, key: str) -> Window | None:
        """The window a reservation's scope key names, if it belongs to ``limit``."""
        scope, _, start = key.rpartition(":")
        if scope != limit.scope:
            return None
        try:
            day = date.fromisoformat(start if limit.period == "daily" else f"{start}-01")
        except ValueError:
            return None
        return cls(limit, day)

    @functools.cached_property
    def key(self) -> str:
        start = f"{self.start:%Y-%m-%d}" if self.limit.period == "daily" else f"{self.start:%Y-%m}"
        return f"{self.limit.scope}:{start}"

    @functools.cached_property
    def resets_at(self) -> datetime:
        if self.limit.period == "daily":
            end = self.start + timedelta(days=1)
        else:
            end = date(self.start.year + self.start.month // 12, self.start.month % 12 + 1, 1)
        return datetime.combine(end, time(), tzinfo=ZoneInfo(self.limit.tz)).astimezone(UTC)

    @functools.cached_property
    def drop_ms(self) -> int:
        """When the window's data may go (epoch ms): `WINDOW_GRACE` after it ends."""
        return to_ms(self.drop_at())

    def drop_at(self) -> datetime:
        return self.resets_at + WINDOW_GRACE

    def ttl_seconds(self, now: datetime) -> int:
        return max(1, math.ceil((self.drop_at() - now).total_seconds()))

    def threshold_units(self, thresholds: Sequence[float]) -> tuple[int, ...]:
        return _threshold_units(self.limit.limit_units, tuple(thresholds))

    def status(self, spent: int, reserved: int) -> BudgetStatus:
        limit, used = self.limit.limit_units, spent + reserved
        ratio = used / limit if limit else (math.inf if used else 1.0)
        return BudgetStatus(
            scope=self.limit.scope,
            limit_usd=self.limit.limit_usd,
            spent_usd=from_units(spent),
            reserved_usd=from_units(reserved),
            ratio=ratio,
            resets_at=self.resets_at,
            period=self.limit.period,
        )

    def exceeded(self, spent: int, reserved: int, requested: int) -> BudgetExceeded:
        return BudgetExceeded(
            self.limit.scope,
            self.limit.limit_usd,
            from_units(spent),
            from_units(reserved),
            self.resets_at,
            from_units(requested),
        )


def _window_at(limit: BudgetLimit, moment: datetime, at: float) -> Window:
    """`Window.at` for an aware ``moment`` whose timestamp is ``at``.

    The limit keeps its current window, and the instants it holds for, in its ``__dict__`` (a
    cache, not state: equality and hashing only look at the fields).
    """
    cached: tuple[float, float, Window] | None = limit.__dict__.get("_current")
    if cached is not None and cached[0] <= at < cached[1]:
        return cached[2]
    today = _local_today(limit.tz, moment, at)
    window = _window(limit, today.day if limit.period == "daily" else today.month)
    if today.since <= at < today.until:
        limit.__dict__["_current"] = (today.since, today.until, window)
    return window


class Tally(NamedTuple):
    """A window's state after a change, and the thresholds it just crossed for the first time."""

    window: Window | None
    spent: int
    reserved: int
    crossed: tuple[float, ...] = ()
