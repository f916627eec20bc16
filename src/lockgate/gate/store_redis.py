"""The gate's store on one Redis: admit and settle in one round trip each.

The scripts are `lockgate.gate.gate_redis.RedisGate`'s; this module gives them the `GateStore`
contract of `lockgate.gate.store`: a queued lane slot is waited for here, and an unreachable Redis
(`GateStoreUnavailable`: every part at once) gets each part's own outage policy, as if each had
been asked in turn -- the breaker acts closed, headroom is skipped, the lane is not counted, and
budgets fail closed (`BudgetUnavailable` whenever the call has a budget).
"""

from __future__ import annotations

from decimal import Decimal

from lockgate.gate.backpressure import BackpressureUnavailable, Lease, Overloaded
from lockgate.gate.breaker import BreakerUnavailable, CircuitOpen
from lockgate.gate.budget import BudgetExceeded, BudgetUnavailable, spend_units
from lockgate.gate.gate_redis import GateStoreUnavailable, RedisGate
from lockgate.gate.headroom import NoHeadroom
from lockgate.gate.store import Admission, Call, Held, Parts, undo
from lockgate.observability.logging import get_logger

log = get_logger("lockgate.gate")


class RedisGateStore:
    """`GateStore` when every part lives in one Redis (see the module docstring)."""

    def __init__(self, parts: Parts, scripts: RedisGate) -> None:
        self.parts = parts
        self.scripts = scripts

    @classmethod
    def of(cls, parts: Parts) -> RedisGateStore | None:
        """The store, when the parts are the Redis ones on one client and one clock, with the
        breaker failing open (what ``build_gate`` makes); otherwise ``None``."""
        scripts = RedisGate.of(
            parts.budgets, parts.breaker, parts.headroom, parts.backpressure, parts.clock
        )
        return None if scripts is None else cls(parts, scripts)

    async def admit(self, call: Call) -> Admission:
        scripts = self.scripts
        fail_open = scripts.fail_open
        try:
            admitted = await scripts.admit(
                call.provider,
                call.breaker,
                call.tokens,
                call.limits,
                call.amount,
                call.lease_seconds,
            )
        except CircuitOpen:
            raise
        except (NoHeadroom, BudgetExceeded, Overloaded):  # Redis answered: it is up
            fail_open.recovered()
            raise
        except GateStoreUnavailable as exc:
            permit = fail_open.degraded(BreakerUnavailable(str(exc)), call.breaker)
            log.warning("headroom_unavailable", provider=call.provider, error=str(exc))
            if call.limits:
                permit.mark_settled()
                raise BudgetUnavailable(str(exc)) from None
            log.warning("backpressure_unavailable", provider=call.provider, error=str(exc))
            return Admission(permit, None, None)
        fail_open.recovered()
        permit, reservation, lease = admitted.permit, admitted.reservation, admitted.lease
        if not admitted.queued:
            return Admission(permit, reservation, lease)
        try:
            waited: Lease | None = await scripts.backpressure.conclude(
                lease, admitted.config, 0, admitted.rank, admitted.wake
            )
        except BackpressureUnavailable as exc:
            log.warning("backpressure_unavailable", provider=call.provider, error=str(exc))
            waited = None
        except BaseException:  # Overloaded (the wait ran out), cancelled
            await undo(self.parts, permit, reservation)
            raise
        return Admission(permit, reservation, waited)

    async def settle(self, held: Held, cost: Decimal, healthy: bool | None) -> bool:
        provider, permit, reservation, lease = held
        scripts = self.scripts
        settled = bool(reservation.scopes) and cost > 0
        actual = spend_units(cost) if settled else None
        first = permit.mark_settled()
        tell = None
        if first and not permit.degraded and (healthy is not None or permit.probe):
            tell = permit
        try:
            tallies, moved = await scripts.settle(
                provider, permit.name, reservation, actual, tell, healthy, lease
            )
        except GateStoreUnavailable as exc:
            if reservation.scopes:
                # The lease expires by itself; the spend is in the usage ledger either way.
                log.error("budget_settle_failed", provider=provider, error=str(exc))
            if tell is not None:
                scripts.fail_open.outage(BreakerUnavailable(str(exc)), permit.name)
            if lease is not None:
                log.warning("lane_release_failed", provider=provider, error=str(exc))
            return False
        finally:
            if lease is not None:
                scripts.backpressure.released(lease)
        if tallies:
            await self.parts.budgets.announce(tallies)
        if moved:
            await scripts.breaker.recorded(permit, moved)
        return settled
