"""Shared Redis plumbing for the gate's backends: Lua scripts, error mapping, shared time.

Each gate backend does its atomic step as one Lua script and turns an unreachable Redis into its
own ``*Unavailable`` error, so the caller chooses the policy (breakers fail open, budgets fail
closed). Time comes from the injected clock, never from the Redis server::

    script = register(redis, LUA)
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


def lua_function(name: str, body: str) -> str:
    """``body``, a script that reads ``KEYS`` and ``ARGV``, as the local function
    ``name(KEYS, ARGV)`` (its parameters shadow the globals), so several scripts can run as one:
    `lockgate.gate.gate_redis` calls the gate's steps in one script, one round trip."""
    return f"local function {name}(KEYS, ARGV)\n{body}\nend\n"


def lua_script(function: str, name: str) -> str:
    """A script that runs ``function`` (from `lua_function`) on its own KEYS and ARGV."""
    return f"{function}return {name}(KEYS, ARGV)\n"


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
