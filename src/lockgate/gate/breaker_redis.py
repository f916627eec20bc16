"""Circuit breakers shared by every replica through Redis.

Each ``allow``, ``record`` and ``state`` is one Lua script, so a transition happens once for the
whole fleet, and only the replica whose script made it calls its ``on_transition`` listener. The
scripts mirror ``_Circuit`` in :mod:`lockgate.gate.breaker` step for step. Keys per name (the
braces keep one breaker's keys in one Redis Cluster slot)::

    {prefix}{name}          hash: state, epoch, opened_until, cooldown, trips, consec, hsucc
    {prefix}{name}:window   hash: "c:<bucket>" calls and "f:<bucket>" failures (expires)
    {prefix}{name}:probes   zset: half-open probe permit id -> lease expiry (ms)

Half-open probes are leases: a replica that dies mid-probe frees its slot when the lease expires.
Time is the injected clock's, in milliseconds, so replicas need roughly synchronised clocks.
Any Redis failure raises :class:`BreakerUnavailable`; wrap in :class:`FailOpenBreaker` for the
gate's policy (treat the breaker as closed).
"""

from __future__ import annotations

from typing import Any

from redis.asyncio import Redis

from lockgate.clock import Clock, system_clock
from lockgate.gate._redis import blob, lua_function, lua_script, redis_errors, register, to_ms
from lockgate.gate.breaker import (
    BreakerConfig,
    BreakerSnapshot,
    BreakerState,
    BreakerUnavailable,
    CircuitOpen,
    Permit,
    TransitionListener,
    from_ms,
    notify,
)

_PRELUDE = """
local now = tonumber(ARGV[1])
local bucket_ms, nbuckets = tonumber(ARGV[2]), tonumber(ARGV[3])
local min_calls, ratio, consec_max = tonumber(ARGV[4]), tonumber(ARGV[5]), tonumber(ARGV[6])
local base_cooldown, max_cooldown = tonumber(ARGV[7]), tonumber(ARGV[8])
local probes_max, lease_ms, threshold = tonumber(ARGV[9]), tonumber(ARGV[10]), tonumber(ARGV[11])

local v = redis.call('HMGET', KEYS[1], 'state', 'epoch', 'opened_until', 'cooldown', 'trips',
                     'consec')
local c = {state = v[1] or 'closed', epoch = tonumber(v[2] or '0'),
           opened_until = tonumber(v[3] or '0'), cooldown = tonumber(v[4] or '0'),
           trips = tonumber(v[5] or '0'), consec = tonumber(v[6] or '0')}
local moved = {}

local function due()
  if c.state == 'open' and now >= c.opened_until then
    c.state, c.epoch = 'half_open', c.epoch + 1
    redis.call('HSET', KEYS[1], 'state', c.state, 'epoch', c.epoch, 'hsucc', 0)
    redis.call('DEL', KEYS[3])
    moved = {'open', 'half_open'}
  end
end

local function window()
  local flat = redis.call('HGETALL', KEYS[2])
  local oldest = math.floor(now / bucket_ms) - nbuckets
  local calls, fails = 0, 0
  for i = 1, #flat, 2 do
    if tonumber(string.sub(flat[i], 3)) <= oldest then
      redis.call('HDEL', KEYS[2], flat[i])
    elseif string.sub(flat[i], 1, 1) == 'c' then
      calls = calls + tonumber(flat[i + 1])
    else
      fails = fails + tonumber(flat[i + 1])
    end
  end
  return calls, fails
end

local function trip(cooldown, old)
  c.state, c.epoch, c.opened_until = 'open', c.epoch + 1, now + cooldown
  redis.call('HSET', KEYS[1], 'state', c.state, 'epoch', c.epoch, 'opened_until', c.opened_until,
             'cooldown', cooldown, 'hsucc', 0)
  redis.call('HINCRBY', KEYS[1], 'trips', 1)
  redis.call('DEL', KEYS[3])
  return {old, 'open'}
end

local function close()
  redis.call('HSET', KEYS[1], 'state', 'closed', 'epoch', c.epoch + 1, 'opened_until', 0,
             'cooldown', 0, 'consec', 0, 'hsucc', 0)
  redis.call('DEL', KEYS[2], KEYS[3])
  return {'half_open', 'closed'}
end
"""

# -> {verdict ('allow' | 'probe' | 'reject'), epoch, retry_ms, transition...}
ALLOW = lua_function(
    "breaker_allow",
    _PRELUDE
    + """
due()
if c.state == 'open' then
  return {'reject', c.epoch, c.opened_until - now, unpack(moved)}
end
if c.state == 'half_open' then
  redis.call('ZREMRANGEBYSCORE', KEYS[3], '-inf', now)
  if redis.call('ZCARD', KEYS[3]) >= probes_max then
    local first = redis.call('ZRANGE', KEYS[3], 0, 0, 'WITHSCORES')
    local wait = math.min(tonumber(first[2]) - now, math.max(c.cooldown, base_cooldown))
    return {'reject', c.epoch, wait, unpack(moved)}
  end
  redis.call('ZADD', KEYS[3], now + lease_ms, ARGV[12])
  redis.call('PEXPIRE', KEYS[3], lease_ms)
  return {'probe', c.epoch, 0, unpack(moved)}
end
return {'allow', c.epoch, 0, unpack(moved)}
""",
)

# ARGV[12] permit id, [13] epoch, [14] probe (0/1), [15] success (0/1) -> {transition...}
RECORD = lua_function(
    "breaker_record",
    _PRELUDE
    + """
local probe, success = ARGV[14] == '1', ARGV[15] == '1'
local held = false
if probe then
  local expiry = redis.call('ZSCORE', KEYS[3], ARGV[12])
  held = expiry and tonumber(expiry) > now
  redis.call('ZREM', KEYS[3], ARGV[12])
end
if tonumber(ARGV[13]) ~= c.epoch then return {} end
if c.state == 'half_open' then
  if not held then return {} end
  if not success then
    return trip(math.max(base_cooldown, math.min(c.cooldown * 2, max_cooldown)), 'half_open')
  end
  if redis.call('HINCRBY', KEYS[1], 'hsucc', 1) >= threshold then return close() end
  return {}
end
if c.state ~= 'closed' then return {} end
local bucket = math.floor(now / bucket_ms)
redis.call('HINCRBY', KEYS[2], 'c:' .. bucket, 1)
redis.call('PEXPIRE', KEYS[2], (nbuckets + 1) * bucket_ms)
if success then
  if c.consec ~= 0 then redis.call('HSET', KEYS[1], 'consec', 0) end
  return {}
end
redis.call('HINCRBY', KEYS[2], 'f:' .. bucket, 1)
local consec = redis.call('HINCRBY', KEYS[1], 'consec', 1)
local calls, fails = window()
if consec >= consec_max or (calls >= min_calls and fails >= ratio * calls) then
  return trip(base_cooldown, 'closed')
end
return {}
""",
)

# -> {state, calls, failures, consec, opened_until, trips, transition...}
_STATE = lua_function(
    "breaker_state",
    _PRELUDE
    + """
due()
local calls, fails = window()
return {c.state, calls, fails, c.consec, c.opened_until, c.trips, unpack(moved)}
""",
)


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


def _moved(flat: list[bytes | str]) -> list[tuple[BreakerState, BreakerState]]:
    names = [BreakerState(_text(item)) for item in flat]
    return list(zip(names[::2], names[1::2], strict=True))


class RedisBreaker:
    """Breakers shared by all replicas. Example::

    breaker = FailOpenBreaker(RedisBreaker(state.redis, BreakerConfig(), clock=state.clock))
    """

    def __init__(
        self,
        redis: Redis,
        config: BreakerConfig | None = None,
        clock: Clock = system_clock,
        *,
        prefix: str = "lockgate:breaker:",
        on_transition: TransitionListener | None = None,
    ) -> None:
        self.config = config or BreakerConfig()
        self.redis = self._redis = redis
        self.clock = self._clock = clock
        self._prefix = prefix
        self._on_transition = on_transition
        self._allow = register(redis, lua_script(ALLOW, "breaker_allow"))
        self._record = register(redis, lua_script(RECORD, "breaker_record"))
        self._state = register(redis, lua_script(_STATE, "breaker_state"))
        self._key_cache: dict[str, list[str]] = {}
        cfg = self.config
        self._config_args: list[str | int] = [
            cfg.bucket_ms,
            cfg.buckets,
            cfg.min_calls,
            repr(cfg.failure_ratio),
            cfg.consecutive_failures,
            cfg.cooldown_ms,
            cfg.max_cooldown_ms,
            cfg.half_open_probes,
            cfg.probe_lease_ms,
            cfg.success_threshold,
        ]
        self._config_blob = blob(self._config_args)

    def keys(self, name: str) -> list[str]:
        """The breaker's keys (the list is cached: do not change it)."""
        keys = self._key_cache.get(name)
        if keys is None:
            if len(self._key_cache) >= 10_000:
                self._key_cache.clear()
            base = f"{self._prefix}{{{name}}}"
            keys = self._key_cache[name] = [base, f"{base}:window", f"{base}:probes"]
        return keys

    def _args(self, *extra: str | int, now_ms: int | None = None) -> list[str | int]:
        return [to_ms(self._clock()) if now_ms is None else now_ms, *self._config_args, *extra]

    def allow_args(self, permit: Permit, now_ms: int) -> list[str | int]:
        """The arguments of `ALLOW` for a permit of ``permit.name`` (keys: ``keys``)."""
        return self._args(permit.id, now_ms=now_ms)

    def allow_blob(self, permit: Permit, now_ms: int) -> str:
        """``blob(allow_args(...))``, built faster."""
        return f"{now_ms}|{self._config_blob}{permit.id}|"

    async def allowed(self, permit: Permit, reply: list[Any]) -> Permit:
        """The permit `ALLOW` answered, after telling the listener; or `CircuitOpen`."""
        raw, epoch, retry_ms, *moved = reply
        if moved:
            await notify(self._on_transition, permit.name, _moved(moved))
        verdict = _text(raw)
        if verdict == "reject":
            raise CircuitOpen(permit.name, int(retry_ms) / 1000)
        permit.epoch, permit.probe = int(epoch), verdict == "probe"
        return permit

    def record_args(self, permit: Permit, success: bool, now_ms: int) -> list[str | int]:
        """The arguments of `RECORD` for a verdict on ``permit`` (keys: ``keys``)."""
        return self._args(permit.id, permit.epoch, int(permit.probe), int(success), now_ms=now_ms)

    def record_blob(self, permit: Permit, success: bool, now_ms: int) -> str:
        """``blob(record_args(...))``, built faster."""
        verdict = f"{permit.epoch}|{int(permit.probe)}|{int(success)}|"
        return f"{now_ms}|{self._config_blob}{permit.id}|{verdict}"

    async def recorded(self, permit: Permit, moved: list[Any]) -> None:
        """Tell the listener about the transitions `RECORD` made."""
        if moved:
            await notify(self._on_transition, permit.name, _moved(moved))

    async def allow(self, name: str) -> Permit:
        permit = Permit(name, epoch=0)
        args = self.allow_args(permit, to_ms(self._clock()))
        with redis_errors(BreakerUnavailable, "circuit breaker"):
            reply = await self._allow(keys=self.keys(name), args=args)
        return await self.allowed(permit, reply)

    async def record(self, permit: Permit, success: bool) -> None:
        if not permit.mark_settled():
            return
        args = self.record_args(permit, success, to_ms(self._clock()))
        with redis_errors(BreakerUnavailable, "circuit breaker"):
            moved = await self._record(keys=self.keys(permit.name), args=args)
        await self.recorded(permit, moved)

    async def release(self, permit: Permit) -> None:
        if permit.mark_settled() and permit.probe:
            with redis_errors(BreakerUnavailable, "circuit breaker"):
                await self._redis.zrem(self.keys(permit.name)[2], permit.id)

    async def state(self, name: str) -> BreakerSnapshot:
        with redis_errors(BreakerUnavailable, "circuit breaker"):
            reply = await self._state(keys=self.keys(name), args=self._args())
        state, calls, failures, consec, opened_until, trips, *moved = reply
        await notify(self._on_transition, name, _moved(moved))
        current = BreakerState(_text(state))
        return BreakerSnapshot(
            name=name,
            state=current,
            failures=int(failures),
            calls=int(calls),
            consecutive_failures=int(consec),
            opened_until=from_ms(int(opened_until)) if current is BreakerState.OPEN else None,
            trips=int(trips),
        )
