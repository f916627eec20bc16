"""The gate: everything between "this call should happen" and the provider.

For one candidate (a model on a provider) :meth:`Gate.admit` checks, in order — cheapest and
least committal first:

1. the **circuit breaker** (open → skip; probes limited when half-open),
2. **provider headroom** (our rpm/tpm and what the upstream last said),
3. the **budgets** — provider, team, user and key, daily and monthly — reserving the call's
   upper-bound cost in one atomic step (fail closed: an unreachable store refuses the call),
4. **backpressure** (a concurrency slot, or a bounded wait; full → shed at once).

A refusal specific to the candidate (open breaker, no headroom, provider budget spent, queue full)
is a :class:`Skip`: the router tries the next candidate. A refusal about the *caller* (their
budget is spent, budgets unreachable) is an :class:`~lockgate.errors.AppError` for the client.
The returned :class:`Ticket` settles everything once the call is over.

The policy above is stated once, here; the mechanics of one admit and one settle belong to a
`GateStore` (:mod:`lockgate.gate.store`): the parts one by one (memory), or one Redis script each
(:mod:`lockgate.gate.store_redis`, what ``build_gate`` makes with a Redis: one round trip instead
of four and three). Both raise the same refusals, leave the same state behind and apply the same
outage policy, so the gate cannot tell them apart.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Literal, cast

from redis.asyncio import Redis

from lockgate.clock import Clock
from lockgate.gate._ids import new_id
from lockgate.gate.backpressure import (
    BackpressureManager,
    Lease,
    Overloaded,
)
from lockgate.gate.breaker import Breaker, CircuitOpen, Permit
from lockgate.gate.budget import (
    BaseBudgetBackend,
    BudgetExceeded,
    BudgetLimit,
    BudgetUnavailable,
    Reservation,
)
from lockgate.gate.config import GateConfig
from lockgate.gate.errors import BudgetExhausted, BudgetStoreUnavailable
from lockgate.gate.headroom import Headroom, HeadroomUnavailable, NoHeadroom
from lockgate.gate.last_errors import LastError, LastErrors
from lockgate.gate.overrides import HeadroomOverrides, provider_limits, user_limits
from lockgate.gate.overrun import Overrun
from lockgate.gate.ratelimit.pending import PendingHit
from lockgate.gate.runtime import LimitsBook, RuntimeLimits
from lockgate.gate.store import Call, GateStore, Held, Parts, StepwiseStore
from lockgate.gate.store_redis import RedisGateStore
from lockgate.humanize import moment, usd
from lockgate.lru import BoundedLRU
from lockgate.observability.logging import get_logger
from lockgate.observability.metrics import Metrics, ReservationResult, ScopeKind
from lockgate.providers.base import RateLimitInfo
from lockgate.providers.errors import ProviderError

log = get_logger("lockgate.gate")
SkipReason = Literal["circuit_open", "no_headroom", "budget_exceeded", "overloaded"]


class Skip(Exception):
    """This candidate cannot take the call now; try the next one."""

    def __init__(
        self,
        provider: str,
        reason: SkipReason,
        retry_after: float,
        detail: str = "",
        budget_error: BudgetExceeded | None = None,
    ) -> None:
        self.provider = provider
        self.reason: SkipReason = reason
        self.retry_after = retry_after
        self.detail = detail
        self.budget_error = budget_error
        super().__init__(f"{provider}: {reason} {detail}".strip())


@dataclass(slots=True)
class Ticket:
    """An admitted call. Exactly one of :meth:`succeeded`/:meth:`failed`/:meth:`abandoned`."""

    gate: Gate
    provider: str
    permit: Permit
    reservation: Reservation
    lease: Lease | None
    done: bool = False
    id: str = field(default_factory=new_id)
    model: str = ""
    """The model called (metrics label and log field of an overrun)."""
    max_tokens: int | None = None
    """The output limit sent upstream, which the reservation was made for (None: no limit)."""

    async def succeeded(
        self, cost: Decimal, *, output_tokens: int | None = None, estimated: bool = False
    ) -> None:
        """``cost`` is what the upstream reported, settled as it is even above the reservation
        (the money was spent); ``output_tokens`` as reported, to flag an upstream above
        ``max_tokens``. ``estimated``: the upstream reported nothing and ``cost`` is our
        estimate from the text (settled too, but not an upstream's overrun)."""
        await self._finish(cost, True, output_tokens, estimated)

    async def failed(
        self,
        cost: Decimal,
        *,
        unhealthy: bool,
        output_tokens: int | None = None,
        estimated: bool = False,
    ) -> None:
        """The call failed; ``unhealthy`` (5xx, timeout, connection) counts against the breaker;
        a 429 or a bad request does not."""
        await self._finish(cost, False if unhealthy else None, output_tokens, estimated)

    async def abandoned(
        self, cost: Decimal, *, output_tokens: int | None = None, estimated: bool = False
    ) -> None:
        """Ended without a verdict (cancelled by the user, server shutdown)."""
        await self._finish(cost, None, output_tokens, estimated)

    async def _finish(
        self, cost: Decimal, healthy: bool | None, output_tokens: int | None, estimated: bool
    ) -> None:
        if self.done:
            return
        self.done = True
        gate = self.gate
        overrun = None
        if not estimated:
            overrun = Overrun.of(
                self.provider,
                self.model,
                reserved=self.reservation.amount,
                cost=cost,
                max_tokens=self.max_tokens,
                output_tokens=output_tokens,
            )
        if overrun is not None:
            overrun.flag(gate.metrics)
        held = Held(self.provider, self.permit, self.reservation, self.lease, self.id)
        settled = await gate.store.settle(held, cost, healthy)
        if settled and gate.metrics is not None:
            for kind in scope_kinds(self.reservation.limits):
                gate.metrics.budget_settled(kind, cost)


class Gate:
    def __init__(
        self,
        config: GateConfig,
        *,
        budgets: BaseBudgetBackend,
        breaker: Breaker,
        headroom: Headroom,
        backpressure: BackpressureManager,
        clock: Clock,
        on_skip: Callable[[Skip], Awaitable[None] | None] | None = None,
        metrics: Metrics | None = None,
        book: LimitsBook | None = None,
    ) -> None:
        """``book`` holds the budgets and limits set at run time and the teams (an empty one
        by default: the YAML alone)."""
        self.config = config
        self.budgets = budgets
        self.breaker = breaker
        self.headroom = headroom
        self.backpressure = backpressure
        self.clock = clock
        self._on_skip = on_skip
        self.metrics = metrics
        self._last_errors = LastErrors(clock)
        self._limits: BoundedLRU[_LimitsKey, list[BudgetLimit]] = BoundedLRU()
        self.store: GateStore = select_store(Parts(budgets, breaker, headroom, backpressure, clock))
        """Where admit and settle happen: one Redis script each, or the parts one by one."""
        self._headroom = HeadroomOverrides(headroom.limits)
        self.book = book or LimitsBook()
        self.book.subscribe(self._apply)

    def _apply(self, runtime: RuntimeLimits) -> None:
        """New run-time limits: forget the budget limits built from the old ones and give each
        overridden provider its rpm/tpm."""
        self._limits = BoundedLRU()
        self._headroom.apply(runtime)

    @property
    def redis_gate(self) -> RedisGateStore | None:
        """The one-round-trip store, if in use. Setting ``None`` makes the gate ask the parts
        one by one (the tests run every contract on that path too)."""
        return self.store if isinstance(self.store, RedisGateStore) else None

    @redis_gate.setter
    def redis_gate(self, store: RedisGateStore | None) -> None:
        self.store = store if store is not None else StepwiseStore(self.store.parts)

    def share_last_errors(self, redis: Redis) -> None:
        """Keep each provider's last error in Redis too, so every replica reports it."""
        self._last_errors.share(redis)

    async def note_error(self, provider: str, failure: ProviderError) -> None:
        """Log a provider call's failure with its detail and keep it as the provider's last."""
        await self._last_errors.note(provider, failure)

    async def last_error(self, provider: str) -> LastError | None:
        return await self._last_errors.get(provider)

    async def aclose(self) -> None:
        """Flush the queued settles first (they free lane slots and need Redis), then stop."""
        store = self.redis_gate
        if store is not None:
            await store.aclose()
        await self.backpressure.aclose()
        await self.headroom.aclose()

    def defer_settles(self) -> bool:
        """Settle off the request path when the store is the one-round-trip Redis store
        (`lockgate.gate.settle_queue`: batched, idempotent, flushed by :meth:`aclose`).
        Returns whether it does now; the memory store settles in place (no I/O to save)."""
        store = self.redis_gate
        if store is None:
            return False
        store.defer_settles()
        return True

    async def settled(self) -> None:
        """Wait until every settle this process queued has landed (before reading spend)."""
        store = self.redis_gate
        if store is not None:
            await store.drain()

    def budget_limits(
        self, provider: str, user_id: uuid.UUID | None, key_id: uuid.UUID | None = None
    ) -> list[BudgetLimit]:
        """The budgets a call to ``provider`` for ``user_id`` (through the API key ``key_id``)
        must fit in: the provider's, the caller's team's and the user's (cached until the
        run-time limits change)."""
        key = (provider, user_id, key_id)
        cached = self._limits.get(key)
        if cached is None:
            cached = self._limits.put(key, self._build_limits(provider, user_id, key_id))
        return cached

    def _build_limits(
        self, provider: str, user_id: uuid.UUID | None, key_id: uuid.UUID | None
    ) -> list[BudgetLimit]:
        runtime, config = self.book.current, self.config
        tz = config.budgets.timezone
        limits = provider_limits(config, runtime, provider).budget_limits(
            f"provider:{provider}", tz
        )
        team = runtime.team_of(user_id, key_id)
        if team is not None:
            limits += runtime.team(team).budget_limits(f"team:{team}", tz)
        if user_id is not None:
            limits += user_limits(config, runtime, user_id).budget_limits(f"user:{user_id}", tz)
        return limits

    def team_of(
        self, user_id: uuid.UUID | None, key_id: uuid.UUID | None = None
    ) -> uuid.UUID | None:
        """The team a call by ``user_id`` (through ``key_id``) pays into, if any."""
        return self.book.current.team_of(user_id, key_id)

    async def admit(
        self,
        provider: str,
        *,
        user_id: uuid.UUID | None,
        upper_bound: Decimal,
        tokens: int,
        extra_limits: Sequence[BudgetLimit] = (),
        breaker: str | None = None,
        model: str = "",
        max_tokens: int | None = None,
        key_id: uuid.UUID | None = None,
        hit: PendingHit | None = None,
    ) -> Ticket:
        """Admit one call to ``provider`` or raise :class:`Skip` / a client-facing AppError.

        ``breaker`` names a finer circuit (``provider:model``); by default the provider's.
        ``model`` and ``max_tokens`` (the output limit sent upstream) let the settle flag an
        upstream that reports more than was reserved (`lockgate.gate.overrun`). ``key_id``: the
        API key calling, whose own team (if it has one) pays instead of its owner's. ``hit``:
        the request's global HTTP limit, not counted yet: counted first, in the same step
        (`RateLimited` when it has no room; `lockgate.gate.ratelimit.pending`).
        """
        limits = self._all_limits(provider, user_id, key_id, extra_limits)
        call = Call(
            provider,
            breaker or provider,
            tokens,
            limits,
            upper_bound,
            self.config.budgets.lease_seconds,
            hit if hit is not None and not hit.done else None,
        )
        try:
            admission = await self.store.admit(call)
        except CircuitOpen as exc:
            raise await self._skip(Skip(provider, "circuit_open", exc.retry_after)) from None
        except NoHeadroom as exc:
            raise await self._skip(
                Skip(provider, "no_headroom", exc.retry_after, detail=exc.kind)
            ) from None
        except BudgetExceeded as exc:
            raise await self._budget_refusal(provider, exc) from None
        except BudgetUnavailable:
            raise self._budgets_unavailable(provider, limits) from None
        except Overloaded as exc:  # any reservation was made, then refunded
            if limits:
                self._count_reservation(limits, "reserved")
            raise await self._overloaded(provider, exc) from None
        if limits and admission.reservation is not None:
            self._count_reservation(limits, "reserved")
        reservation = admission.reservation or self._nothing_held(upper_bound)
        ticket = Ticket(self, provider, admission.permit, reservation, admission.lease)
        ticket.model, ticket.max_tokens = model, max_tokens
        return ticket

    def _all_limits(
        self,
        provider: str,
        user_id: uuid.UUID | None,
        key_id: uuid.UUID | None,
        extra_limits: Sequence[BudgetLimit],
    ) -> list[BudgetLimit]:
        own = self.budget_limits(provider, user_id, key_id)
        return [*own, *extra_limits] if extra_limits else own

    def _nothing_held(self, upper_bound: Decimal) -> Reservation:
        return Reservation(id="", amount=upper_bound, scopes=(), expires_at=self.clock())

    def _budgets_unavailable(
        self, provider: str, limits: Sequence[BudgetLimit]
    ) -> BudgetStoreUnavailable:
        log.error("budget_unavailable", provider=provider)
        self._count_reservation(limits, "unavailable")
        return BudgetStoreUnavailable()

    async def _budget_refusal(self, provider: str, exc: BudgetExceeded) -> Exception:
        """What a refused reservation becomes: a provider's budget skips the candidate; the
        caller's (user, API key) is the client's error."""
        if self.metrics is not None:
            self.metrics.budget_reservation(scope_kind(exc.scope), "rejected")
        now = self.clock()
        if exc.scope.startswith("provider:"):
            retry = max(1.0, (exc.resets_at - now).total_seconds())
            return await self._skip(
                Skip(provider, "budget_exceeded", retry, detail=exc.scope, budget_error=exc)
            )
        period = "daily" if exc.scope.endswith(":daily") else "monthly"
        whose = _WHOSE.get(exc.scope.partition(":")[0], "Your")
        in_flight = f", {usd(exc.reserved_usd)} in flight" if exc.reserved_usd > 0 else ""
        return BudgetExhausted(
            f"{whose} {period} budget of {usd(exc.limit_usd)} is spent "
            f"({usd(exc.spent_usd)} used{in_flight}; this call could cost up "
            f"to {usd(exc.requested_usd)}). It resets at {moment(exc.resets_at)}.",
            resets_at=exc.resets_at,
            now=now,
        )

    async def _overloaded(self, provider: str, exc: Overloaded) -> Skip:
        if self.metrics is not None:
            self.metrics.shed(provider, exc.reason)
        return await self._skip(Skip(provider, "overloaded", exc.retry_after, detail=exc.reason))

    def _count_reservation(self, limits: Sequence[BudgetLimit], result: ReservationResult) -> None:
        if self.metrics is not None:
            for kind in scope_kinds(limits):
                self.metrics.budget_reservation(kind, result)

    async def _skip(self, skip: Skip) -> Skip:
        log.info(
            "candidate_skipped",
            provider=skip.provider,
            reason=skip.reason,
            retry_after=round(skip.retry_after, 2),
            detail=skip.detail,
        )
        if self._on_skip is not None:
            result = self._on_skip(skip)
            if result is not None:
                await result
        return skip

    async def observe_upstream(
        self, provider: str, info: RateLimitInfo | None, *, retry_after: float | None = None
    ) -> None:
        try:
            await self.headroom.observe(provider, info, retry_after=retry_after)
        except HeadroomUnavailable as exc:
            log.warning("headroom_unavailable", provider=provider, error=str(exc))


_LimitsKey = tuple[str, uuid.UUID | None, uuid.UUID | None]
_WHOSE = {"key": "This API key's", "team": "Your team's"}


def scope_kind(scope: str) -> ScopeKind:
    """``provider:openai:daily`` → ``provider`` (metrics label: never the id itself)."""
    kind = scope.partition(":")[0]
    return cast("ScopeKind", kind if kind in ("provider", "team", "user", "key") else "user")


def scope_kinds(limits: Iterable[BudgetLimit]) -> list[ScopeKind]:
    """The distinct kinds of ``limits``, in order of appearance."""
    return list(dict.fromkeys([scope_kind(limit.scope) for limit in limits]))


def best_refusal(skips: Sequence[Skip]) -> Skip | None:
    """The skip to report when every candidate refused: budget first (it explains the most)."""
    order = {"budget_exceeded": 0, "overloaded": 1, "circuit_open": 2, "no_headroom": 3}
    return min(skips, key=lambda s: (order[s.reason], s.retry_after), default=None)


def select_store(parts: Parts) -> GateStore:
    """The one-round-trip Redis store when every part lives in one Redis (what ``build_gate``
    makes), otherwise the parts one by one."""
    return RedisGateStore.of(parts) or StepwiseStore(parts)
