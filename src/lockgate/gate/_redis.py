"""Shared Redis plumbing for the gate's backends: script registration, error mapping, time.

Each gate backend does its atomic step as one Lua script and turns an unreachable Redis into its
own ``*Unavailable`` error, so the caller chooses the policy (breakers fail open, budgets fail
closed). Time comes from the injected clock, never from the Redis server::

    script = register(redis, ALLOW.script)  # a `lockgate.gate._lua.LuaFunction`
    with redis_errors(BreakerUnavailable, "circuit breaker"):
        reply = await script(keys=[key], args=[to_ms(clock())])
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import datetime

from redis.asyncio import Redis
from redis.commands.core import AsyncScript
from redis.exceptions import RedisError


def register(redis: Redis, source: str) -> AsyncScript:
    """A script run by EVALSHA, re-loaded by itself after a Redis restart (NOSCRIPT)."""
    return redis.register_script(source)


def blob(args: Iterable[object]) -> str:
    """Script arguments as one string, each followed by ``|`` (`lockgate.gate.gate_redis` sends
    a part's arguments so: redis-py spends microseconds per argument). No value contains ``|``."""
    return "".join([f"{arg}|" for arg in args])


@contextmanager
def redis_errors(error: type[Exception], what: str) -> Iterator[None]:
    """Re-raise any Redis or socket failure inside the block as ``error`` (chained)."""
    try:
        yield
    except (RedisError, OSError) as exc:
        raise error(f"{what}: Redis is unavailable ({type(exc).__name__}: {exc})") from exc


def to_ms(moment: datetime) -> int:
    """Whole milliseconds since the epoch: the time unit every gate script works in."""
    return int(moment.timestamp() * 1000)
