"""The gate's admit and settle on Redis: one script, one round trip, each.

When every part of a :class:`~lockgate.gate.service.Gate` lives in the same Redis (what
:func:`~lockgate.gate.factory.build_gate` makes with ``LOCKGATE_REDIS_URL``), admitting a call
would take four round trips (breaker, headroom, budgets, lane) and settling it three. Instead,
the parts' own Lua functions (``breaker_redis.ALLOW``, ``headroom_redis.ACQUIRE``,
``budget_redis.RESERVE`` and ``RELEASE``, ``backpressure_redis.ACQUIRE``, ``breaker_redis.RECORD``)
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

from lockgate.clock import Clock
from lockgate.gate._redis import redis_errors, register, to_ms
from lockgate.gate.backpressure import LaneConfig, Lease
from lockgate.gate.backpressure_redis import ACQUIRE as LANE_ACQUIRE
from lockgate.gate.backpressure_redis import RedisBackpressure
from lockgate.gate.breaker import FailOpenBreaker, Permit
from lockgate.gate.breaker_redis import ALLOW, RECORD, RedisBreaker
from lockgate.gate.budget import BaseBudgetBackend, BudgetLimit, Reservation, Tally, Window
from lockgate.gate.budget_redis import RELEASE, REMEMBER_S, RESERVE, RedisBudgetBackend
from lockgate.gate.headroom import Headroom
from lockgate.gate.headroom_redis import ACQUIRE as HEADROOM_ACQUIRE
from lockgate.gate.headroom_redis import RedisHeadroom

_HELPERS = f"""
local function split(blob)
  local out = {{}}
  for value in string.gmatch(blob, '([^|]*)|') do out[#out + 1] = value end
  return out
end

local function keys(after, count)
  local out = {{}}
  for i = 1, count do out[i] = KEYS[after + i] end
  return out
end

-- RESERVE's arguments (header; expiry, units, id; per window: limit, drop, threshold units) as
-- RELEASE's to refund that reservation (header; id, '', {REMEMBER_S}; per window: drop, units).
local function refund_args(reserve, windows)
  local n = tonumber(reserve[2])
  local at, out = 2 + n, {{}}
  for j = 1, at do out[j] = reserve[j] end
  out[at + 1], out[at + 2], out[at + 3] = reserve[at + 3], '', '{REMEMBER_S}'
  for i = 1, windows do
    local block = at + 3 + (i - 1) * (2 + n)
    for j = 2, 2 + n do out[#out + 1] = reserve[block + j] end
  end
  return out
end
"""

# KEYS: the breaker's 3, the headroom's 3, the lane's 2, then per budget window its hash and
# leases, and the reservation's done marker (no budget: none of these).
# ARGV: breaker allow, headroom acquire, budget reserve ('' for no budget), lane acquire: each
# part's own arguments, as a blob.
# -> JSON [allow reply, headroom reply, reserve reply, lane reply], up to the part that refused
# (a reply of many elements costs redis-py far more to read than one string).
_ADMIT = (
    ALLOW
    + HEADROOM_ACQUIRE
    + RESERVE
    + RELEASE
    + LANE_ACQUIRE
    + _HELPERS
    + """
local breaker_keys, breaker_args = keys(0, 3), split(ARGV[1])
local allowed = breaker_allow(breaker_keys, breaker_args)
if allowed[1] == 'reject' then return cjson.encode({allowed}) end
local function release_probe()
  if allowed[1] == 'probe' then redis.call('ZREM', breaker_keys[3], breaker_args[12]) end
end
local room = headroom_acquire(keys(3, 3), split(ARGV[2]))
if room[1] ~= 0 then
  release_probe()
  return cjson.encode({allowed, room})
end
local reserved, windows, reserve_args = {}, {}, {}
if ARGV[3] ~= '' then
  windows, reserve_args = keys(8, #KEYS - 9), split(ARGV[3])
  reserved = budget_reserve(windows, reserve_args)
  if reserved[1] == 0 then
    release_probe()
    return cjson.encode({allowed, room, reserved})
  end
end
local lane = lane_acquire(keys(6, 2), split(ARGV[4]))
if lane[1] == -1 then
  release_probe()
  if ARGV[3] ~= '' then
    local count = #windows / 2
    windows[#windows + 1] = KEYS[#KEYS]
    budget_release(windows, refund_args(reserve_args, count))
  end
end
return cjson.encode({allowed, room, reserved, lane})
"""
)

# KEYS: per budget window its hash and leases and the done marker (ARGV[1] windows, 0: no
# budget); the breaker's 3 (ARGV[3] 'record' or 'release'); the lane's leases (ARGV[5] set).
# ARGV: windows, budget release, breaker op, breaker record arguments or the probe's id, lease id.
# -> JSON [release reply, record reply]
_SETTLE = (
    RELEASE
    + RECORD
    + _HELPERS
    + """
local windows, after = tonumber(ARGV[1]), 0
local released, moved = {}, {}
if windows > 0 then
  after = 2 * windows + 1
  released = budget_release(keys(0, after), split(ARGV[2]))
end
if ARGV[3] == 'record' then
  moved = breaker_record(keys(after, 3), split(ARGV[4]))
  after = after + 3
elseif ARGV[3] == 'release' then
  redis.call('ZREM', KEYS[after + 3], ARGV[4])
  after = after + 3
end
if ARGV[5] ~= '' then redis.call('ZREM', KEYS[after + 1], ARGV[5]) end
return cjson.encode({released, moved})
"""
)


class GateStoreUnavailable(Exception):
    """The Redis behind the gate could not be reached (nothing is known to have happened)."""


@dataclass(slots=True)
class Admission:
    """An admitted call's parts; ``queued``: the lease waits in the lane's queue (``rank``):
    ``RedisBackpressure.conclude`` does the waiting."""

    permit: Permit
    reservation: Reservation | None
    lease: Lease
    config: LaneConfig
    wake: asyncio.Event
    queued: bool
    rank: int


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
        self._admit = register(budgets.redis, _ADMIT)
        self._settle = register(budgets.redis, _SETTLE)
        # Keys as bytes, cached: redis-py then sends them as they are.
        self._part_keys: dict[tuple[str, str], list[bytes]] = {}
        self._window_keys: dict[str, tuple[bytes, bytes]] = {}

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
    ) -> Admission:
        """Allow, acquire headroom, reserve (when ``limits``) and take a lane slot, in one step.

        Raises the first refusal as the part would (``CircuitOpen``, ``NoHeadroom``,
        ``BudgetExceeded``, ``Overloaded``), with nothing left held; ``KeyError`` for an unknown
        lane, ``ValueError`` for bad arguments (before anything ran); `GateStoreUnavailable`.
        """
        now = self._clock()
        now_ms = to_ms(now)
        config, lease, wake, mode = self.backpressure.start(provider)
        permit = Permit(breaker, epoch=0)
        keys: list[str | bytes] = [*self._keys_of(provider, breaker)]
        args = [
            self.breaker.allow_blob(permit, now_ms),
            self.headroom.acquire_blob(provider, tokens, now_ms),
            "",
        ]
        windows: list[Window] = []
        units = 0
        reservation = None
        if limits:
            budgets = self.budgets
            units, windows, reservation = budgets.prepare(limits, amount, lease_seconds, now)
            keys += self._keys_of_windows(reservation.scopes)
            keys.append(budgets.done_key(reservation).encode())
            args[2] = budgets.reserve_blob(windows, units, reservation, now_ms)
        args.append(self.backpressure.try_blob(lease, config, mode, now_ms))
        with redis_errors(GateStoreUnavailable, "gate store"):
            replies = json.loads(await self._admit(keys=keys, args=args))
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
        return Admission(permit, reservation, lease, config, wake, code == 0, rank)

    async def settle(
        self,
        reservation: Reservation,
        actual: int | None,
        permit: Permit | None,
        success: bool | None,
        lease: Lease | None,
    ) -> tuple[list[Tally], list[Any]]:
        """Release the reservation (spending ``actual``; ``None``: refund; no scopes: nothing),
        give the breaker its verdict (``permit`` ``None``: nothing to tell; ``success``
        ``None``: release it) and free the lane slot (``lease``), in one step. Returns the
        tallies to announce and the breaker's transitions (for ``RedisBreaker.recorded``)."""
        now_ms = to_ms(self._clock())
        budgets = self.budgets
        keys: list[str | bytes] = []
        args: list[str | int] = [0, "", "", "", ""]
        windows: list[Window | None] = []
        if reservation.scopes:
            windows = budgets.held(reservation)
            keys += self._keys_of_windows(reservation.scopes)
            keys.append(budgets.done_key(reservation))
            args[0] = len(reservation.scopes)
            args[1] = budgets.release_blob(reservation, windows, actual, now_ms)
        if permit is not None:
            keys += self.breaker.keys(permit.name)
            if success is None:
                args[2], args[3] = "release", permit.id
            else:
                args[2] = "record"
                args[3] = self.breaker.record_blob(permit, success, now_ms)
        if lease is not None:
            keys.append(self.backpressure.keys(lease.name)[0])
            args[4] = lease.id
        with redis_errors(GateStoreUnavailable, "gate store"):
            released, moved = json.loads(await self._settle(keys=keys, args=args))
        tallies = budgets.released(windows, actual, released) if reservation.scopes else []
        return tallies, moved or []  # an empty Lua table is a JSON object

    def _keys_of(self, provider: str, breaker: str) -> list[bytes]:
        """The breaker's, the headroom's and the lane's keys of a call (cached)."""
        keys = self._part_keys.get((provider, breaker))
        if keys is None:
            if len(self._part_keys) >= 10_000:
                self._part_keys.clear()
            names = [
                *self.breaker.keys(breaker),
                *self.headroom.acquire_keys(provider),
                *self.backpressure.keys(provider),
            ]
            keys = self._part_keys[(provider, breaker)] = [name.encode() for name in names]
        return keys

    def _keys_of_windows(self, scopes: Sequence[str]) -> list[bytes]:
        """Each window's hash and leases keys (cached)."""
        keys: list[bytes] = []
        cache = self._window_keys
        for scope in scopes:
            pair = cache.get(scope)
            if pair is None:
                if len(cache) >= 10_000:
                    cache.clear()
                hash_key, leases = self.budgets.window_keys([scope])
                pair = cache[scope] = (hash_key.encode(), leases.encode())
            keys += pair
        return keys
