"""Budgets shared by every replica through one Redis: each operation is one Lua script.

Per window ``<prefix>w:<scope>:<start>`` is a HASH with the integer fields ``spent`` and
``reserved``, one field ``r:<id>`` per live reservation (its units) and ``alert:<threshold>``
once a threshold fired; ``...:leases`` is a ZSET of reservation ids scored by expiry in ms. Every
script that reads a window first purges its expired leases, in the same atomic step.
``<prefix>done:<id>`` marks a settled or refunded reservation, so repeats are no-ops.

Lua numbers are doubles: amounts travel as decimal strings from Python to ``HINCRBY`` and back,
and are only turned into numbers to compare. Each value is below 2**53, so a sum is exact
whenever it is at most a limit, and any inexact sum is above every limit: the check is exact.

All keys of a call are passed in KEYS; on Redis Cluster they would need one hash slot (not
supported yet). Any Redis or socket error raises `BudgetUnavailable` -- including redis-py's
``MaxConnectionsError`` when a plain pool is exhausted, so give the client a
``BlockingConnectionPool`` that waits for a connection instead. A reserve whose reply was lost
may still hold its money: the lease frees it. A lost settle is safe to repeat::

    pool = BlockingConnectionPool.from_url(url, max_connections=50, timeout=2)
    backend = RedisBudgetBackend(Redis.from_pool(pool), system_clock)
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from redis.asyncio import Redis

from lockgate.clock import Clock
from lockgate.gate._redis import redis_errors, register, to_ms
from lockgate.gate.budget import (
    DEFAULT_THRESHOLDS,
    FALLBACK_TTL,
    SETTLED_MEMORY,
    BaseBudgetBackend,
    BudgetUnavailable,
    Reservation,
    Tally,
    ThresholdHook,
    Window,
)

# ARGV starts with: now_ms, the number N of thresholds, their N labels; `at` is the last of them.
# Per-window argument blocks follow each script's own arguments.
_PRELUDE = """
local now, n = ARGV[1], tonumber(ARGV[2])
local labels = {}
for j = 1, n do labels[j] = ARGV[2 + j] end
local at = 2 + n

local function neg(v) if v == '0' then return '0' end return '-' .. v end

local function purge(hash, leases)
  local ids = redis.call('ZRANGEBYSCORE', leases, '-inf', now)
  for _, id in ipairs(ids) do
    local units = redis.call('HGET', hash, 'r:' .. id)
    if units then
      redis.call('HINCRBY', hash, 'reserved', neg(units))
      redis.call('HDEL', hash, 'r:' .. id)
    end
  end
  if #ids > 0 then redis.call('ZREMRANGEBYSCORE', leases, '-inf', now) end
end

local function tally(hash)
  local v = redis.call('HMGET', hash, 'spent', 'reserved')
  return v[1] or '0', v[2] or '0'
end

-- ARGV[base + j] is the unit amount of threshold j for this window ('' when unknown).
local function claim(hash, base)
  local spent, reserved = tally(hash)
  local used = tonumber(spent) + tonumber(reserved)
  local crossed = {}
  for j = 1, n do
    local units = ARGV[base + j]
    if units ~= '' and used > 0 and used >= tonumber(units)
        and redis.call('HSETNX', hash, 'alert:' .. labels[j], '1') == 1 then
      crossed[#crossed + 1] = labels[j]
    end
  end
  return {spent, reserved, crossed}
end
"""

# KEYS: hash, leases per window. ARGV: header, expiry_ms, units, id; per window: limit, ttl,
# threshold units. Returns {0, index, spent, reserved} on refusal, else {1, claim...}.
_RESERVE = (
    _PRELUDE
    + """
local expiry, units, id = ARGV[at + 1], ARGV[at + 2], ARGV[at + 3]
local stride, first = 2 + n, at + 3
for i = 1, #KEYS / 2 do
  local hash = KEYS[2 * i - 1]
  purge(hash, KEYS[2 * i])
  local spent, reserved = tally(hash)
  local limit = tonumber(ARGV[first + (i - 1) * stride + 1])
  if tonumber(spent) + tonumber(reserved) + tonumber(units) > limit then
    return {0, i, spent, reserved}
  end
end
local out = {1}
for i = 1, #KEYS / 2 do
  local hash, leases = KEYS[2 * i - 1], KEYS[2 * i]
  local block = first + (i - 1) * stride
  redis.call('HINCRBY', hash, 'reserved', units)
  redis.call('HSET', hash, 'r:' .. id, units)
  redis.call('ZADD', leases, expiry, id)
  redis.call('EXPIRE', hash, ARGV[block + 2])
  redis.call('EXPIRE', leases, ARGV[block + 2])
  out[i + 1] = claim(hash, block + 2)
end
return out
"""
)

# KEYS: hash, leases per window, then the done marker. ARGV: header, id, actual units ('' for a
# refund), seconds to remember the id; per window: ttl, threshold units. {0} when already done.
_RELEASE = (
    _PRELUDE
    + """
local id, actual, remember = ARGV[at + 1], ARGV[at + 2], ARGV[at + 3]
local stride, first = 1 + n, at + 3
if not redis.call('SET', KEYS[#KEYS], '1', 'NX', 'EX', remember) then return {0} end
local out = {1}
for i = 1, (#KEYS - 1) / 2 do
  local hash, leases = KEYS[2 * i - 1], KEYS[2 * i]
  local block = first + (i - 1) * stride
  local units = redis.call('HGET', hash, 'r:' .. id)
  if units then
    redis.call('HINCRBY', hash, 'reserved', neg(units))
    redis.call('HDEL', hash, 'r:' .. id)
  end
  redis.call('ZREM', leases, id)
  if actual ~= '' and actual ~= '0' then
    redis.call('HINCRBY', hash, 'spent', actual)
    if redis.call('TTL', hash) < 0 then redis.call('EXPIRE', hash, ARGV[block + 1]) end
  end
  purge(hash, leases)
  if actual ~= '' then out[#out + 1] = claim(hash, block + 1) end
end
return out
"""
)

# KEYS: hash, leases per window. ARGV: header, units; per window: ttl, threshold units.
_RECORD = (
    _PRELUDE
    + """
local units = ARGV[at + 1]
local stride, first = 1 + n, at + 1
local out = {}
for i = 1, #KEYS / 2 do
  local hash = KEYS[2 * i - 1]
  local block = first + (i - 1) * stride
  purge(hash, KEYS[2 * i])
  redis.call('HINCRBY', hash, 'spent', units)
  redis.call('EXPIRE', hash, ARGV[block + 1])
  out[i] = claim(hash, block + 1)
end
return out
"""
)

# KEYS: hash, leases. ARGV: header with no thresholds. Returns {spent, reserved}.
_STATUS = (
    _PRELUDE
    + """
purge(KEYS[1], KEYS[2])
local spent, reserved = tally(KEYS[1])
return {spent, reserved}
"""
)


class RedisBudgetBackend(BaseBudgetBackend):
    """Budgets in one Redis shared by all replicas; see the module docstring for the layout."""

    def __init__(
        self,
        redis: Redis,
        clock: Clock,
        prefix: str = "lockgate:budget:",
        *,
        on_threshold: ThresholdHook | None = None,
        thresholds: Sequence[float] = DEFAULT_THRESHOLDS,
    ) -> None:
        super().__init__(clock, on_threshold=on_threshold, thresholds=thresholds)
        self._prefix = prefix
        self._scripts = {
            name: register(redis, source)
            for name, source in [
                ("reserve", _RESERVE),
                ("release", _RELEASE),
                ("record", _RECORD),
                ("status", _STATUS),
            ]
        }

    async def _reserve(
        self, windows: list[Window], units: int, reservation: Reservation, now: datetime
    ) -> list[Tally]:
        args: list[str | int] = [to_ms(reservation.expires_at), units, reservation.id]
        for window in windows:
            args += [window.limit.limit_units, window.ttl_seconds(now), *self._units(window)]
        reply = await self._run("reserve", self._keys(w.key for w in windows), now, args)
        if int(reply[0]) == 0:
            index, spent, reserved = int(reply[1]), int(reply[2]), int(reply[3])
            raise windows[index - 1].exceeded(spent, reserved, units)
        return self._tallies(windows, reply[1:])

    async def _release(
        self,
        reservation: Reservation,
        windows: list[Window | None],
        actual: int | None,
        now: datetime,
    ) -> list[Tally]:
        remember = int(SETTLED_MEMORY.total_seconds())
        args: list[str | int] = [reservation.id, "" if actual is None else actual, remember]
        for window in windows:
            ttl = window.ttl_seconds(now) if window else int(FALLBACK_TTL.total_seconds())
            args += [ttl, *self._units(window)]
        keys = [*self._keys(reservation.scopes), f"{self._prefix}done:{reservation.id}"]
        reply = await self._run("release", keys, now, args)
        if int(reply[0]) == 0 or actual is None:  # already settled or refunded; or a refund
            return []
        return self._tallies(windows, reply[1:])

    async def _record(self, windows: list[Window], units: int, now: datetime) -> list[Tally]:
        args: list[str | int] = [units]
        for window in windows:
            args += [window.ttl_seconds(now), *self._units(window)]
        reply = await self._run("record", self._keys(w.key for w in windows), now, args)
        return self._tallies(windows, reply)

    async def _tally(self, window: Window, now: datetime) -> tuple[int, int]:
        reply = await self._run("status", self._keys([window.key]), now, [], thresholds=False)
        return int(reply[0]), int(reply[1])

    async def _run(
        self,
        script: str,
        keys: list[str],
        now: datetime,
        args: list[str | int],
        *,
        thresholds: bool = True,
    ) -> Any:
        labels = [repr(t) for t in self.thresholds] if thresholds else []
        header: list[str | int] = [to_ms(now), len(labels), *labels]
        with redis_errors(BudgetUnavailable, "budget store"):
            return await self._scripts[script](keys=keys, args=[*header, *args])

    def _keys(self, scopes: Iterable[str]) -> list[str]:
        keys = []
        for scope in scopes:
            keys += [f"{self._prefix}w:{scope}", f"{self._prefix}w:{scope}:leases"]
        return keys

    def _units(self, window: Window | None) -> list[str | int]:
        if window is None:
            return [""] * len(self.thresholds)
        return list(window.threshold_units(self.thresholds))

    @staticmethod
    def _tallies(windows: Sequence[Window | None], rows: list[Any]) -> list[Tally]:
        return [
            Tally(window, int(spent), int(reserved), tuple(float(t) for t in crossed))
            for window, (spent, reserved, crossed) in zip(windows, rows, strict=True)
        ]
