"""The gate's admit and settle on Redis: one script, one round trip, each.

When every part of a :class:`~lockgate.gate.service.Gate` lives in the same Redis (what
:func:`~lockgate.gate.factory.build_gate` makes with ``LOCKGATE_REDIS_URL``), admitting a call
would take four round trips (breaker, headroom, budgets, lane) and settling it three. Instead,
the parts' own Lua functions (``breaker.redis.ALLOW``, ``headroom.redis.ACQUIRE``,
``budget.redis.RESERVE`` and ``RELEASE``, ``backpressure.redis.ACQUIRE``, ``breaker.redis.RECORD``)
run inside one script, in the gate's order, and stop at the first refusal, undoing in the same
step what the refusal must undo::

    breaker allow ── reject ──────────────────────────────▶ CircuitOpen
    headroom      ── none ───── release the probe ───────▶ NoHeadroom
    budgets       ── exceeded ─ release the probe ───────▶ BudgetExceeded
    lane          ── full ───── release the probe, refund ▶ Overloaded (queue_full)
                  ── queued: the caller waits in the queue (polling, as RedisBackpressure does)

So the outcome and the state left behind are the parts' own, called one after the other, and
the step is atomic as a whole. The parts' Python halves build the arguments and read the
replies. Settling runs budget release, the breaker verdict (or probe release) and the lane
release as one script too. An unreachable Redis raises `GateStoreUnavailable`, and the gate
applies each part's policy at once: budgets fail closed, the rest open.

All keys of a call are passed in KEYS; like the budget scripts, the admit script spans several
hash slots (no Redis Cluster). Arguments travel as one ``|``-separated string per part, built
from cached pieces, and are split back in Lua (no value contains ``|``); the answer is one JSON
string. Both because redis-py handles every argument and every reply element in Python, at
several microseconds each: fewer, larger ones are much cheaper.

If the reply of an admit is lost (a timeout), its script may have run: what it held frees itself
as the parts' own steps would (the reservation and the lane slot when their leases expire, the
probe when its lease does, the headroom entry after the window).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from redis.commands.core import AsyncScript

from lockgate.clock import Clock
from lockgate.gate._ids import new_id
from lockgate.gate._lua import GATE, Combined, Layout, Part, source
from lockgate.gate._redis import redis_errors, register, to_ms
from lockgate.gate.backpressure import LaneConfig, Lease
from lockgate.gate.backpressure.redis import ACQUIRE as LANE_ACQUIRE
from lockgate.gate.backpressure.redis import RELEASE as LANE_RELEASE
from lockgate.gate.backpressure.redis import RedisBackpressure
from lockgate.gate.breaker import FailOpenBreaker, Permit
from lockgate.gate.breaker.redis import ALLOW, RECORD, RELEASE_PROBE, RedisBreaker
from lockgate.gate.budget import BaseBudgetBackend, BudgetLimit, Reservation, Tally, Window
from lockgate.gate.budget.redis import REFUND, RELEASE, REMEMBER_S, RESERVE, RedisBudgetBackend
from lockgate.gate.headroom import Headroom
from lockgate.gate.headroom.redis import ACQUIRE as HEADROOM_ACQUIRE
from lockgate.gate.headroom.redis import RedisHeadroom
from lockgate.gate.ratelimit.pending import PendingHit
from lockgate.gate.ratelimit.redis import HIT
from lockgate.lru import BoundedLRU

_ADMIT = Combined(
    "gate_admit",
    (ALLOW, RELEASE_PROBE, HEADROOM_ACQUIRE, RESERVE, RELEASE, REFUND, LANE_ACQUIRE),
    (
        Part("breaker", ALLOW.layout),
        Part("headroom", HEADROOM_ACQUIRE.layout),
        Part("lane", LANE_ACQUIRE.layout),
        Part("budget", RESERVE.layout),
    ),
)
"""Admit (``gate_admit.lua``): KEYS and ARGV as the parts' layouts, in this order."""

_ADMIT_HIT = HIT.definition + _ADMIT.function("gate_admit") + source(GATE, "gate_admit_hit")
"""A request's global HTTP limit, then the admit (``gate_admit_hit.lua``), in one step."""

_ONCE = Layout(("settled",), ("remember_s",))
"""The settle's own guard: its id's key, remembered as long as a reservation's ``done``."""

_SETTLE = Combined(
    "gate_settle",
    (RELEASE, RECORD, RELEASE_PROBE, LANE_RELEASE),
    (
        Part("once", _ONCE),
        Part("breaker", RECORD.layout),
        Part("lane", LANE_RELEASE.layout),
        Part("budget", RELEASE.layout),
    ),
    extra=("breaker_op",),
)
"""Settle (``gate_settle.lua``), at most once per settle id; ``breaker_op`` says what the
breaker's arguments are for."""


class GateStoreUnavailable(Exception):
    """The Redis behind the gate could not be reached (nothing is known to have happened)."""


@dataclass(slots=True)
class ScriptAdmission:
    """An admitted call's parts; ``queued``: the lease waits in the lane's queue (``rank``):
    ``RedisBackpressure.conclude`` does the waiting."""

    permit: Permit
    reservation: Reservation | None
    lease: Lease
    config: LaneConfig
    wake: asyncio.Event
    queued: bool
    rank: int


@dataclass(frozen=True, slots=True)
class SettleCommand:
    """One settle's script keys and arguments, and what reading its reply needs."""

    keys: list[str | bytes]
    args: list[str]
    windows: list[Window | None]
    actual: int | None
    budget: bool


_ONCE_ARGS = f"{REMEMBER_S}|"


class RedisGate:
    """The admit and settle scripts for one gate's parts (see the module docstring)."""

    def __init__(
        self,
        budgets: RedisBudgetBackend,
        fail_open: FailOpenBreaker,
        breaker: RedisBreaker,
        headroom: RedisHeadroom,
        backpressure: RedisBackpressure,
        clock: Clock,
    ) -> None:
        self.budgets = budgets
        self.fail_open = fail_open
        """The gate's breaker, whose policy (and outage log) applies when Redis is down."""
        self.breaker = breaker
        self.headroom = headroom
        self.backpressure = backpressure
        self._clock = clock
        self._admit = register(budgets.redis, _ADMIT.script)
        self._admit_hit = register(budgets.redis, _ADMIT_HIT)
        self._settle = register(budgets.redis, _SETTLE.script)
        # Keys as bytes, cached: redis-py then sends them as they are.
        self._admit_keys: BoundedLRU[tuple[str, str], list[bytes]] = BoundedLRU()
        self._settle_keys: BoundedLRU[tuple[str, str], list[bytes]] = BoundedLRU()
        self._window_keys: BoundedLRU[str, tuple[bytes, bytes]] = BoundedLRU()
        self._settled_prefix = f"{budgets.prefix}settled:"

    @classmethod
    def of(
        cls,
        budgets: BaseBudgetBackend,
        breaker: object,
        headroom: Headroom,
        backpressure: object,
        clock: Clock,
    ) -> RedisGate | None:
        """The scripts, when the parts are the Redis ones on one client and one clock, with the
        breaker failing open (what ``build_gate`` makes); otherwise ``None``."""
        if not isinstance(breaker, FailOpenBreaker):
            return None
        inner = breaker.inner
        if not (
            isinstance(budgets, RedisBudgetBackend)
            and isinstance(inner, RedisBreaker)
            and isinstance(headroom, RedisHeadroom)
            and isinstance(backpressure, RedisBackpressure)
        ):
            return None
        redis = budgets.redis
        if not (inner.redis is redis and headroom.redis is redis and backpressure.redis is redis):
            return None
        clocks = (budgets.clock, inner.clock, headroom.clock, backpressure.clock)
        if any(part is not clock for part in clocks):
            return None
        return cls(budgets, breaker, inner, headroom, backpressure, clock)

    async def admit(
        self,
        provider: str,
        breaker: str,
        tokens: int,
        limits: Sequence[BudgetLimit],
        amount: Decimal,
        lease_seconds: float,
        hit: PendingHit | None = None,
    ) -> ScriptAdmission:
        """Allow, acquire headroom, reserve (when ``limits``) and take a lane slot, in one step.

        Raises the first refusal as the part would (``CircuitOpen``, ``NoHeadroom``,
        ``BudgetExceeded``, ``Overloaded``), with nothing left held; ``KeyError`` for an unknown
        lane, ``ValueError`` for bad arguments (before anything ran); `GateStoreUnavailable`.
        ``hit``: a request's global HTTP limit, counted first in the same step (`RateLimited`
        when it has no room, and then nothing else ran).
        """
        now = self._clock()
        now_ms = to_ms(now)
        config, lease, wake, mode = self.backpressure.start(provider)
        permit = Permit(breaker, epoch=0)
        keys: list[str | bytes] = [*self._admit_keys_of(provider, breaker)]
        breaker_args = self.breaker.allow_blob(permit, now_ms)
        headroom_args = self.headroom.acquire_blob(provider, tokens, now_ms)
        budget_args = ""
        windows: list[Window] = []
        units = 0
        reservation = None
        if limits:
            budgets = self.budgets
            units, windows, reservation = budgets.prepare(limits, amount, lease_seconds, now)
            keys += self._keys_of_windows(reservation.scopes)
            keys.append(budgets.done_key(reservation).encode())
            budget_args = budgets.reserve_blob(windows, units, reservation, now_ms)
        lane_args = self.backpressure.try_blob(lease, config, mode, now_ms)
        args = [breaker_args, headroom_args, lane_args, budget_args]  # _ADMIT's parts' order
        if hit is None:
            with redis_errors(GateStoreUnavailable, "gate store"):
                raw = await self._admit(keys=keys, args=args)
        else:
            hit_keys, hit_args = hit.command()
            with redis_errors(GateStoreUnavailable, "gate store"):
                raw = await self._admit_hit(
                    keys=[*hit_keys, *keys], args=[len(hit_keys), hit_args, *args]
                )
            verdict, _, raw = raw.partition(b"\n")
            try:
                hit.answered(verdict)  # RateLimited: nothing else ran
            except BaseException:
                permit.mark_settled()
                raise
        replies = json.loads(raw)
        refused = True
        try:
            await self.breaker.allowed(permit, replies[0])  # CircuitOpen
            self.headroom.acquired(provider, replies[1])  # NoHeadroom
            if limits:
                tallies = self.budgets.reserved(windows, units, replies[2])  # BudgetExceeded
                if tallies:  # even if the lane refuses: a reserve, then a refund
                    await self.budgets.announce(tallies)
            code, rank = int(replies[3][0]), int(replies[3][1])
            if code == -1:
                await self.backpressure.conclude(lease, config, code, rank, wake)  # Overloaded
            refused = False
        finally:
            if refused:
                permit.mark_settled()  # the script released it: nothing left to release
        return ScriptAdmission(permit, reservation, lease, config, wake, code == 0, rank)

    async def settle(
        self,
        provider: str,
        breaker: str,
        reservation: Reservation,
        actual: int | None,
        permit: Permit | None,
        success: bool | None,
        lease: Lease | None,
        settle_id: str = "",
    ) -> tuple[list[Tally], list[Any]]:
        """Release the reservation (spending ``actual``; ``None``: refund; no scopes: nothing),
        give the breaker its verdict (``permit`` ``None``: nothing to tell; ``success``
        ``None``: release it) and free the lane slot (``lease``), in one step; ``provider`` and
        ``breaker`` name the lane and the circuit (their keys are always sent). At most once per
        ``settle_id`` (empty: a fresh one). Returns the tallies to announce and the breaker's
        transitions (for ``RedisBreaker.recorded``)."""
        command = self.settle_command(
            provider, breaker, reservation, actual, permit, success, lease, settle_id
        )
        with redis_errors(GateStoreUnavailable, "gate store"):
            raw = await self._settle(keys=command.keys, args=command.args)
        return self.settle_reply(command, raw)

    @property
    def settle_script(self) -> AsyncScript:
        """The settle script (its ``sha`` and source, for `lockgate.gate.settle_queue`)."""
        return self._settle

    def settle_command(
        self,
        provider: str,
        breaker: str,
        reservation: Reservation,
        actual: int | None,
        permit: Permit | None,
        success: bool | None,
        lease: Lease | None,
        settle_id: str = "",
    ) -> SettleCommand:
        """The keys and arguments of one :meth:`settle`, to run now or in a batch."""
        now_ms = to_ms(self._clock())
        budgets = self.budgets
        keys: list[str | bytes] = [
            f"{self._settled_prefix}{settle_id or new_id()}".encode(),
            *self._settle_keys_of(provider, breaker),
        ]
        breaker_op = breaker_args = lane_args = budget_args = ""
        windows: list[Window | None] = []
        if reservation.scopes:
            windows = budgets.held(reservation)
            keys += self._keys_of_windows(reservation.scopes)
            keys.append(budgets.done_key(reservation))
            budget_args = budgets.release_blob(reservation, windows, actual, now_ms)
        if permit is not None:
            if success is None:
                breaker_op, breaker_args = "release", self.breaker.allow_blob(permit, now_ms)
            else:
                breaker_op = "record"
                breaker_args = self.breaker.record_blob(permit, success, now_ms)
        if lease is not None:
            lane_args = f"{lease.id}|"
        # _SETTLE's parts' order, then its extra
        args = [_ONCE_ARGS, breaker_args, lane_args, budget_args, breaker_op]
        return SettleCommand(keys, args, windows, actual, bool(reservation.scopes))

    def settle_reply(self, command: SettleCommand, raw: Any) -> tuple[list[Tally], list[Any]]:
        """The tallies and breaker transitions of a settle's reply (see :meth:`settle`)."""
        released, moved = json.loads(raw)
        tallies: list[Tally] = []
        if command.budget:
            tallies = self.budgets.released(command.windows, command.actual, released)
        return tallies, moved or []  # an empty Lua table is a JSON object

    def _admit_keys_of(self, provider: str, breaker: str) -> list[bytes]:
        """The breaker's, the headroom's and the lane's keys of an admit (cached)."""
        keys = self._admit_keys.get((provider, breaker))
        if keys is None:
            keys = _ADMIT.keys(
                breaker=_encoded(self.breaker.keys(breaker)),
                headroom=_encoded(self.headroom.acquire_keys(provider)),
                lane=_encoded(self.backpressure.keys(provider)),
            )
            self._admit_keys.put((provider, breaker), keys)
        return keys

    def _settle_keys_of(self, provider: str, breaker: str) -> list[bytes]:
        """The breaker's and the lane's keys of a settle (cached)."""
        keys = self._settle_keys.get((provider, breaker))
        if keys is None:
            keys = _SETTLE.keys(
                once=[b""],  # the settle id's key, put first by `settle_command`
                breaker=_encoded(self.breaker.keys(breaker)),
                lane=_encoded(self.backpressure.keys(provider)),
            )[1:]
            self._settle_keys.put((provider, breaker), keys)
        return keys

    def _keys_of_windows(self, scopes: Sequence[str]) -> list[bytes]:
        """Each window's hash and leases keys (cached)."""
        keys: list[bytes] = []
        cache = self._window_keys
        for scope in scopes:
            pair = cache.get(scope)
            if pair is None:
                hash_key, leases = self.budgets.window_keys([scope])
                pair = cache.put(scope, (hash_key.encode(), leases.encode()))
            keys += pair
        return keys


def _encoded(names: Sequence[str]) -> list[bytes]:
    return [name.encode() for name in names]
