"""Where the gate's state lives: the `GateStore` protocol and its part-by-part store.

:class:`~lockgate.gate.service.Gate` states the policy once (which refusal skips a candidate,
which one is the client's error, what is counted) and hands the mechanics of one admit and one
settle to a store:

- `StepwiseStore` asks the parts one after the other (memory parts, or any mix of parts);
- `lockgate.gate.gate_redis.RedisGateStore` runs the same steps as one Redis script each, when
  every part lives in the same Redis (one round trip per admit and per settle).

Both raise the parts' own refusals (`CircuitOpen`, `NoHeadroom`, `BudgetExceeded`,
`BudgetUnavailable`, `Overloaded`) with nothing left held, and both apply each part's outage
policy the same way: the breaker and the lane fail open, headroom is skipped, budgets fail
closed. `lockgate.gate.service.select_store` picks the one-round-trip store when the parts allow
it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import NamedTuple, Protocol

from lockgate.clock import Clock
from lockgate.gate.backpressure import BackpressureManager, BackpressureUnavailable, Lease
from lockgate.gate.breaker import Breaker, Permit
from lockgate.gate.budget import BaseBudgetBackend, BudgetLimit, BudgetUnavailable, Reservation
from lockgate.gate.headroom import Headroom, HeadroomUnavailable
from lockgate.gate.ratelimit.pending import PendingHit
from lockgate.observability.logging import get_logger

log = get_logger("lockgate.gate")


@dataclass(frozen=True, slots=True)
class Parts:
    """The gate's four parts and the clock they share."""

    budgets: BaseBudgetBackend
    breaker: Breaker
    headroom: Headroom
    backpressure: BackpressureManager
    clock: Clock


@dataclass(frozen=True, slots=True)
class Call:
    """What one admit asks for: ``breaker`` names the circuit, ``limits`` the budgets to
    reserve ``amount`` in (none: nothing is reserved), for ``lease_seconds`` at most."""

    provider: str
    breaker: str
    tokens: int
    limits: Sequence[BudgetLimit]
    amount: Decimal
    lease_seconds: float
    hit: PendingHit | None = None
    """A request's global HTTP limit not counted yet: counted first, in the same step on Redis
    (`lockgate.gate.ratelimit.pending`)."""


@dataclass(frozen=True, slots=True)
class Admission:
    """What an admitted call holds (``reservation`` ``None``: nothing reserved; ``lease``
    ``None``: no lane slot, the lane being unreachable)."""

    permit: Permit
    reservation: Reservation | None
    lease: Lease | None


class Held(NamedTuple):
    """What an admitted call holds, to settle (``reservation`` with no scopes: nothing);
    ``id`` names the settle (the ticket's), so that one applied twice counts once."""

    provider: str
    permit: Permit
    reservation: Reservation
    lease: Lease | None
    id: str = ""


class GateStore(Protocol):
    """One admit and one settle (see the module docstring)."""

    parts: Parts

    async def admit(self, call: Call) -> Admission:
        """Allow, acquire headroom, reserve and take a lane slot, or raise the first refusal
        (nothing held); `BudgetUnavailable` when ``call.limits`` cannot be reserved."""
        ...

    async def settle(self, held: Held, cost: Decimal, healthy: bool | None) -> bool:
        """Settle ``cost`` (or refund when 0), give the breaker its verdict (``healthy``
        ``None``: none, release the permit) and free the lane slot. Returns whether the spend
        was settled (for the metrics); failures are logged, never raised."""
        ...


async def undo(parts: Parts, permit: Permit, reservation: Reservation | None) -> None:
    """Give back what a refused or abandoned admit held."""
    await parts.breaker.release(permit)
    if reservation is not None and reservation.scopes:
        try:
            await parts.budgets.refund(reservation)
        except BudgetUnavailable:
            log.warning("budget_refund_failed", provider=permit.name)


class StepwiseStore:
    """The parts asked one after the other, in the gate's order."""

    def __init__(self, parts: Parts) -> None:
        self.parts = parts

    async def admit(self, call: Call) -> Admission:
        parts = self.parts
        if call.hit is not None:
            await call.hit.count()  # RateLimited
        permit = await parts.breaker.allow(call.breaker)  # CircuitOpen
        reservation: Reservation | None = None
        try:
            try:
                await parts.headroom.acquire(call.provider, call.tokens)  # NoHeadroom
            except HeadroomUnavailable as exc:
                log.warning("headroom_unavailable", provider=call.provider, error=str(exc))
            if call.limits:  # no budget applies: nothing to hold, and no store to depend on
                reservation = await parts.budgets.reserve(
                    call.limits, call.amount, lease_seconds=call.lease_seconds
                )
            lease = await self._slot(call.provider)  # Overloaded
        except BaseException:
            await undo(parts, permit, reservation)
            raise
        return Admission(permit, reservation, lease)

    async def _slot(self, provider: str) -> Lease | None:
        try:
            return await self.parts.backpressure.acquire(provider)
        except BackpressureUnavailable as exc:
            # Without the shared store we cannot count other replicas' calls; the breaker and
            # budgets still hold, so the call goes ahead rather than failing.
            log.warning("backpressure_unavailable", provider=provider, error=str(exc))
            return None

    async def settle(self, held: Held, cost: Decimal, healthy: bool | None) -> bool:
        provider, permit, reservation, lease = (
            held.provider,
            held.permit,
            held.reservation,
            held.lease,
        )
        parts = self.parts
        settled = False
        try:
            if reservation.scopes and cost > 0:
                await parts.budgets.settle(reservation, cost)
                settled = True
            elif reservation.scopes:
                await parts.budgets.refund(reservation)
        except BudgetUnavailable as exc:
            # The lease expires by itself; the spend is in the usage ledger either way.
            log.error("budget_settle_failed", provider=provider, error=str(exc))
        if healthy is None:
            await parts.breaker.release(permit)
        else:
            await parts.breaker.record(permit, healthy)
        if lease is not None:
            try:
                await parts.backpressure.release(lease)
            except BackpressureUnavailable as exc:
                log.warning("lane_release_failed", provider=provider, error=str(exc))
        return settled
