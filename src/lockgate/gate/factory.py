"""Build the gate's parts: in memory for one process, on Redis with ``LOCKGATE_REDIS_URL``.

On Redis every part shares the one client and clock, so the gate admits and settles a call in
one round trip each (:mod:`lockgate.gate.gate_redis`).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from redis.asyncio import BlockingConnectionPool, Redis

from lockgate.clock import Clock
from lockgate.gate.backpressure import LaneConfig, MemoryBackpressure
from lockgate.gate.backpressure.redis import RedisBackpressure
from lockgate.gate.breaker import BreakerConfig, FailOpenBreaker, MemoryBreaker
from lockgate.gate.breaker.redis import RedisBreaker
from lockgate.gate.budget import BudgetStatus, MemoryBudgetBackend
from lockgate.gate.budget.redis import RedisBudgetBackend
from lockgate.gate.config import GateConfig
from lockgate.gate.headroom import HeadroomLimits, MemoryHeadroom
from lockgate.gate.headroom.redis import RedisHeadroom
from lockgate.gate.service import Gate
from lockgate.gate.user_limits import UserLimitsSource
from lockgate.observability.logging import get_logger
from lockgate.observability.metrics import Metrics

log = get_logger("lockgate.gate")
Transition = Callable[[str, object, object], Awaitable[None] | None]


def create_redis(url: str, *, max_connections: int = 128) -> Redis:
    """One client per process; a *blocking* pool so bursts wait for a connection instead of
    failing (a failure would refuse budgets: they fail closed)."""
    pool = BlockingConnectionPool.from_url(
        url,
        max_connections=max_connections,
        timeout=5,
        socket_timeout=2,
        socket_connect_timeout=2,
        health_check_interval=10,
    )
    return Redis.from_pool(pool)


def _breaker_config(config: GateConfig) -> BreakerConfig:
    b = config.breaker
    return BreakerConfig(
        failure_ratio=b.failure_ratio,
        min_calls=b.min_calls,
        window_seconds=b.window_seconds,
        consecutive_failures=b.consecutive_failures,
        cooldown_seconds=b.cooldown_seconds,
        max_cooldown_seconds=b.max_cooldown_seconds,
        half_open_probes=b.half_open_probes,
        success_threshold=b.success_threshold,
    )


def build_gate(
    config: GateConfig,
    providers: list[str],
    *,
    redis: Redis | None,
    clock: Clock,
    on_threshold: Callable[[BudgetStatus, float], Awaitable[None] | None] | None = None,
    on_transition: Transition | None = None,
    metrics: Metrics | None = None,
    user_limits: UserLimitsSource | None = None,
) -> Gate:
    lanes = {
        name: LaneConfig(
            max_concurrent=config.provider(name).max_concurrent,
            max_queue=config.provider(name).max_queue,
            max_wait_seconds=config.provider(name).max_wait_seconds,
        )
        for name in providers
    }
    headroom_limits = {
        name: HeadroomLimits(rpm=config.provider(name).rpm, tpm=config.provider(name).tpm)
        for name in providers
    }
    breaker_config = _breaker_config(config)
    if redis is None:
        return Gate(
            config,
            budgets=MemoryBudgetBackend(clock, on_threshold=on_threshold),
            breaker=MemoryBreaker(breaker_config, clock, on_transition=on_transition),
            headroom=MemoryHeadroom(headroom_limits, clock=clock),
            backpressure=MemoryBackpressure(lanes),
            clock=clock,
            metrics=metrics,
            user_limits=user_limits,
        )
    gate = Gate(
        config,
        budgets=RedisBudgetBackend(redis, clock, on_threshold=on_threshold),
        breaker=FailOpenBreaker(
            RedisBreaker(redis, breaker_config, clock, on_transition=on_transition)
        ),
        headroom=RedisHeadroom(redis, headroom_limits, clock=clock),
        backpressure=RedisBackpressure(redis, lanes, clock=clock),
        clock=clock,
        metrics=metrics,
        user_limits=user_limits,
    )
    gate.share_last_errors(redis)
    return gate
