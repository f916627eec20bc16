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
from lockgate.gate._lua import Layout, LuaFunction
from lockgate.gate._redis import blob, redis_errors, register, to_ms
from lockgate.gate.breaker.policy import (
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
from lockgate.lru import BoundedLRU

_CONFIG_ARGV = (
    "now",
    "bucket_ms",
    "buckets",
    "min_calls",
    "failure_ratio",
    "consecutive_failures",
    "cooldown_ms",
    "max_cooldown_ms",
    "half_open_probes",
    "probe_lease_ms",
    "success_threshold",
)
_KEYS = ("state", "window", "probes")
_PERMIT = Layout(_KEYS, (*_CONFIG_ARGV, "permit_id"))

ALLOW = LuaFunction(__package__, "breaker_allow", _PERMIT, preludes=("breaker_prelude",))
"""A permit, a probe or a refusal (``breaker_allow.lua``)."""
RELEASE_PROBE = LuaFunction(__package__, "breaker_release_probe", _PERMIT)
"""Give back the probe slot `ALLOW` handed out, with the same keys and arguments."""
RECORD = LuaFunction(
    __package__,
    "breaker_record",
    Layout(_KEYS, (*_CONFIG_ARGV, "permit_id", "epoch", "probe", "success")),
    preludes=("breaker_prelude",),
)
"""The verdict on a permit (``breaker_record.lua``)."""
_STATE = LuaFunction(
    __package__, "breaker_state", Layout(_KEYS, _CONFIG_ARGV), preludes=("breaker_prelude",)
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
        self._allow = register(redis, ALLOW.script)
        self._record = register(redis, RECORD.script)
        self._state = register(redis, _STATE.script)
        self._key_cache: BoundedLRU[str, list[str]] = BoundedLRU()
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
            base = f"{self._prefix}{{{name}}}"
            keys = self._key_cache.put(name, [base, f"{base}:window", f"{base}:probes"])
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
