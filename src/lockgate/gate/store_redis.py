"""The gate's store on one Redis: admit and settle in one round trip each.

The scripts are `lockgate.gate.gate_redis.RedisGate`'s; this module gives them the `GateStore`
contract of `lockgate.gate.store`: a queued lane slot is waited for here, and an unreachable Redis
(`GateStoreUnavailable`: every part at once) gets each part's own outage policy, as if each had
been asked in turn -- the breaker acts closed, headroom is skipped, the lane is not counted, and
budgets fail closed (`BudgetUnavailable` whenever the call has a budget).
"""

from __future__ import annotations

from decimal import Decimal
from functools import partial
from typing import Any

from lockgate.gate._redis import redis_errors
from lockgate.gate.backpressure import BackpressureUnavailable, Lease, Overloaded
from lockgate.gate.breaker import BreakerUnavailable, CircuitOpen, Permit
from lockgate.gate.budget import BudgetExceeded, BudgetUnavailable, spend_units
from lockgate.gate.gate_redis import GateStoreUnavailable, RedisGate, SettleCommand
from lockgate.gate.headroom import NoHeadroom
from lockgate.gate.settle_queue import SettleJob, SettleQueue
from lockgate.gate.store import Admission, Call, Held, Parts, undo
from lockgate.observability.logging import get_logger

log = get_logger("lockgate.gate")


class RedisGateStore:
    """`GateStore` when every part lives in one Redis (see the module docstring)."""

    def __init__(self, parts: Parts, scripts: RedisGate) -> None:
        self.parts = parts
        self.scripts = scripts
        self.settles: SettleQueue | None = None
        """Set (`defer_settles`): settles are queued and sent in batches, off the request
        path (`lockgate.gate.settle_queue`); ``None``: each settle is awaited."""

    def defer_settles(self, **options: Any) -> SettleQueue:
        """Settle off the request path from now on (``options``: `SettleQueue`'s)."""
        if self.settles is None:
            redis = self.scripts.budgets.redis
            self.settles = SettleQueue(redis, self.scripts.settle_script, **options)
        return self.settles

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
        settles = self.settles
        if settles is not None and settles.behind:
            try:  # see this process's own settles first (`SettleQueue.caught_up`)
                await settles.caught_up()
            except TimeoutError:
                log.warning("settles_not_caught_up", pending=settles.pending)
        try:
            admitted = await scripts.admit(
                call.provider,
                call.breaker,
                call.tokens,
                call.limits,
                call.amount,
                call.lease_seconds,
                call.hit,
            )
        except CircuitOpen:
            raise
        except (NoHeadroom, BudgetExceeded, Overloaded):  # Redis answered: it is up
            fail_open.recovered()
            raise
        except GateStoreUnavailable as exc:
            if call.hit is not None:
                call.hit.unavailable(exc)  # the HTTP limit's policy first, as the middleware's
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
        provider, permit, reservation, lease = (
            held.provider,
            held.permit,
            held.reservation,
            held.lease,
        )
        scripts = self.scripts
        settled = bool(reservation.scopes) and cost > 0
        actual = spend_units(cost) if settled else None
        first = permit.mark_settled()
        tell = None
        if first and not permit.degraded and (healthy is not None or permit.probe):
            tell = permit
        command = scripts.settle_command(
            provider, permit.name, reservation, actual, tell, healthy, lease, held.id
        )
        if self.settles is not None:
            self.settles.submit(
                SettleJob(
                    command,
                    done=partial(self._applied, held, tell, command),
                    failed=partial(self._failed, held, tell),
                )
            )
            return settled
        try:
            with redis_errors(GateStoreUnavailable, "gate store"):
                raw = await scripts.settle_script(keys=command.keys, args=command.args)
        except GateStoreUnavailable as exc:
            self._failed(held, tell, exc)
            return False
        await self._applied(held, tell, command, raw)
        return settled

    async def _applied(
        self, held: Held, tell: Permit | None, command: SettleCommand, raw: object
    ) -> None:
        """A settle landed: wake the lane's waiters, announce the budgets' tallies and the
        breaker's transitions."""
        scripts = self.scripts
        if held.lease is not None:
            scripts.backpressure.released(held.lease)
        tallies, moved = scripts.settle_reply(command, raw)
        if tallies:
            await self.parts.budgets.announce(tallies)
        if moved and tell is not None:
            await scripts.breaker.recorded(tell, moved)

    def _failed(self, held: Held, tell: Permit | None, exc: Exception) -> None:
        """A settle could not be applied: each part's outage policy, as if asked in turn."""
        provider, scripts = held.provider, self.scripts
        if held.lease is not None:
            scripts.backpressure.released(held.lease)
        if held.reservation.scopes:
            # The lease expires by itself; the spend is in the usage ledger either way.
            log.error("budget_settle_failed", provider=provider, error=str(exc))
        if tell is not None:
            scripts.fail_open.outage(BreakerUnavailable(str(exc)), tell.name)
        if held.lease is not None:
            log.warning("lane_release_failed", provider=provider, error=str(exc))

    async def aclose(self) -> None:
        """Flush the settles still queued (a clean shutdown loses none)."""
        if self.settles is not None:
            await self.settles.aclose()

    async def drain(self) -> None:
        """Wait until every settle queued so far has landed (reads of spend call this)."""
        if self.settles is not None:
            await self.settles.drain()
