"""Circuit breakers: cut a failing provider off fast, then probe it back in.

One breaker per name (a provider, or ``provider:model``), in pybreaker's three states::

    CLOSED ──(failure ratio over the window, or N failures in a row)──▶ OPEN
    OPEN ──(cooldown over; applied lazily by the next call that looks)──▶ HALF_OPEN
    HALF_OPEN ──(success_threshold probe successes)──▶ CLOSED   (cooldown back to its base)
    HALF_OPEN ──(one probe failure)──▶ OPEN                      (cooldown doubled, capped)

Every call asks for a :class:`Permit` first and hands it back with a verdict::

    permit = await breaker.allow("openai")       # raises CircuitOpen: try the next candidate
    try:
        reply = await call_provider()
    except ProviderError:
        await breaker.record(permit, success=False)   # 5xx, timeout, connection error
        raise
    else:
        await breaker.record(permit, success=True)
    # a 429, a 4xx or a cancellation ends with ``await breaker.release(permit)`` instead

Verdicts only count for the state that issued the permit: every transition bumps an ``epoch``, so
a call that started before a trip cannot close or re-trip the breaker afterwards. Errors::

    CircuitOpen           the breaker refuses the call (name, retry_after seconds)
    BreakerUnavailable    the shared store (Redis) could not be reached

Policy when Redis is unreachable: the gate treats the breaker as CLOSED (availability over
precision for health; budgets are the ones that fail closed). :class:`FailOpenBreaker` implements
it: it logs once per outage and hands out permits that bypass the shared state. The package holds
the interface (`policy`) and the in-process backend (`memory`); ``breaker.redis`` shares one
state across replicas.
"""

from __future__ import annotations

import functools
import inspect
import math
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Protocol

from lockgate.gate._ids import new_id
from lockgate.observability.logging import get_logger

log = get_logger("lockgate.gate.breaker")


class BreakerState(StrEnum):
    CLOSED = "closed"
    HALF_OPEN = "half_open"
    OPEN = "open"

    @property
    def gauge(self) -> int:
        """The value exported as a metric: 0 closed, 1 half-open, 2 open."""
        return _GAUGE[self]


_GAUGE = {BreakerState.CLOSED: 0, BreakerState.HALF_OPEN: 1, BreakerState.OPEN: 2}

TransitionListener = Callable[[str, BreakerState, BreakerState], Awaitable[None] | None]
"""``(name, old, new)``, called exactly once per transition (by the replica that made it)."""
_Transitions = Sequence[tuple[BreakerState, BreakerState]]
_NONE: _Transitions = ()


@dataclass(frozen=True)
class BreakerConfig:
    """When to trip and how to recover. Every replica must run with the same config."""

    failure_ratio: float = 0.5
    min_calls: int = 10
    window_seconds: float = 60.0
    bucket_seconds: float = 5.0
    consecutive_failures: int = 5
    cooldown_seconds: float = 10.0
    max_cooldown_seconds: float = 300.0
    half_open_probes: int = 3
    success_threshold: int = 2
    probe_lease_seconds: float = 60.0
    """A probe not settled by then frees its slot (its replica may have died)."""

    def __post_init__(self) -> None:
        if not 0 < self.failure_ratio <= 1:
            raise ValueError("failure_ratio must be in (0, 1]")
        if min(self.min_calls, self.consecutive_failures) < 1:
            raise ValueError("min_calls and consecutive_failures must be at least 1")
        if min(self.half_open_probes, self.success_threshold) < 1:
            raise ValueError("half_open_probes and success_threshold must be at least 1")
        if not 0 < self.bucket_seconds <= self.window_seconds:
            raise ValueError("bucket_seconds must be in (0, window_seconds]")
        if not 0 < self.cooldown_seconds <= self.max_cooldown_seconds:
            raise ValueError("cooldown_seconds must be in (0, max_cooldown_seconds]")
        if self.probe_lease_seconds <= 0:
            raise ValueError("probe_lease_seconds must be positive")

    # Derived once (the config is frozen): every settle reads them.
    @functools.cached_property
    def bucket_ms(self) -> int:
        return max(1, int(self.bucket_seconds * 1000))

    @functools.cached_property
    def buckets(self) -> int:
        return math.ceil(self.window_seconds / self.bucket_seconds)

    @functools.cached_property
    def cooldown_ms(self) -> int:
        return int(self.cooldown_seconds * 1000)

    @functools.cached_property
    def max_cooldown_ms(self) -> int:
        return int(self.max_cooldown_seconds * 1000)

    @functools.cached_property
    def probe_lease_ms(self) -> int:
        return int(self.probe_lease_seconds * 1000)


class CircuitOpen(Exception):
    """The breaker refuses calls to ``name`` for about ``retry_after`` seconds."""

    def __init__(self, name: str, retry_after: float) -> None:
        self.name = name
        self.retry_after = max(0.0, retry_after)
        super().__init__(f"circuit {name!r} is open; retry in {self.retry_after:.1f}s")


class BreakerUnavailable(Exception):
    """The breaker's shared store is unreachable (see :class:`FailOpenBreaker` for the policy)."""


@dataclass(slots=True, eq=False)
class Permit:
    """One admitted call. Settle it once with ``record`` or ``release``; later settles no-op."""

    name: str
    epoch: int
    probe: bool = False
    degraded: bool = False
    """Issued by :class:`FailOpenBreaker` while the shared state was unreachable."""
    id: str = field(default_factory=new_id)
    settled: bool = False

    def mark_settled(self) -> bool:
        """True the first time only: the caller that gets True reports the verdict."""
        first, self.settled = not self.settled, True
        return first


@dataclass(frozen=True, slots=True)
class BreakerSnapshot:
    """``failures``/``calls`` cover the rolling window; ``trips`` counts every opening ever."""

    name: str
    state: BreakerState
    failures: int
    calls: int
    consecutive_failures: int
    opened_until: datetime | None
    trips: int


class Breaker(Protocol):
    async def allow(self, name: str) -> Permit:
        """A permit for one call, or :class:`CircuitOpen`. Half-open admits only
        ``half_open_probes`` outstanding probes at a time."""
        ...

    async def record(self, permit: Permit, success: bool) -> None:
        """The call's health verdict: ``success=False`` for 5xx, timeouts, connection errors."""
        ...

    async def release(self, permit: Permit) -> None:
        """End a call without a verdict: cancelled, a 4xx, or a 429. A 429 means the provider is
        out of headroom for us, not unhealthy: the rate limiter handles it, the breaker must not."""
        ...

    async def state(self, name: str) -> BreakerSnapshot: ...


async def notify(listener: TransitionListener | None, name: str, transitions: _Transitions) -> None:
    """Tell the listener about transitions this process made; a failing listener is logged."""
    for old, new in transitions:
        log.info("breaker transition", breaker=name, old=str(old), new=str(new))
        if listener is None:
            continue
        try:
            result = listener(name, old, new)
            if inspect.isawaitable(result):
                await result
        except Exception:
            log.exception("breaker listener failed", breaker=name, old=str(old), new=str(new))


def from_ms(ms: int) -> datetime:
    return datetime.fromtimestamp(ms / 1000, UTC)


class FailOpenBreaker:
    """The gate's policy for an unreachable store: act CLOSED, log once per outage.

    Only the call path fails open; ``state()`` still raises :class:`BreakerUnavailable`, so
    health pages and gauges show "unknown" rather than a made-up "closed". Example::

        breaker = FailOpenBreaker(RedisBreaker(redis, config))
    """

    def __init__(self, inner: Breaker) -> None:
        self.inner = inner
        self._down = False

    async def allow(self, name: str) -> Permit:
        try:
            permit = await self.inner.allow(name)
        except BreakerUnavailable as exc:
            return self.degraded(exc, name)
        self.recovered()
        return permit

    def degraded(self, exc: BreakerUnavailable, name: str) -> Permit:
        """The permit handed out while the shared state is unreachable (the outage logged)."""
        self.outage(exc, name)
        return Permit(name, epoch=-1, degraded=True)

    async def record(self, permit: Permit, success: bool) -> None:
        if permit.degraded:
            permit.mark_settled()
            return
        try:
            await self.inner.record(permit, success)
        except BreakerUnavailable as exc:
            self.outage(exc, permit.name)

    async def release(self, permit: Permit) -> None:
        if permit.degraded:
            permit.mark_settled()
            return
        try:
            await self.inner.release(permit)
        except BreakerUnavailable as exc:
            self.outage(exc, permit.name)

    async def state(self, name: str) -> BreakerSnapshot:
        return await self.inner.state(name)

    def outage(self, exc: BreakerUnavailable, name: str) -> None:
        """The shared state is unreachable: logged once per outage."""
        if not self._down:
            self._down = True
            log.warning("breaker store unreachable; acting closed", breaker=name, error=str(exc))

    def recovered(self) -> None:
        """The shared state answered again (logged if it was down)."""
        if self._down:
            self._down = False
            log.info("breaker store reachable again")
