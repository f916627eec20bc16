"""Building the response cache at start-up, or refusing to start.

``store: embedded`` opens ``<data_dir>/cache/answers.db``. ``store: redis`` connects to the
dedicated cache Redis (``LOCKGATE_CACHE_REDIS_URL``) and refuses to start, with what to do,
when the URL is missing, the server cannot be reached, or it lacks the query engine (the vector
index needs ``FT.CREATE … HNSW``): there is no silent fallback to an embedded store, which would
make replicas disagree about what is cached. The semantic layer's parts (embedder, index) come
from `lockgate.vectors` (`semantic_parts`).
"""

from __future__ import annotations

from contextlib import AsyncExitStack
from pathlib import Path

from redis.asyncio import Redis
from redis.exceptions import RedisError, ResponseError

from lockgate.cache.policy import CachePolicy
from lockgate.cache.semantic import SemanticLayer
from lockgate.cache.service import ResponseCache
from lockgate.cache.store.base import EntryStore
from lockgate.cache.store.embedded import EmbeddedStore
from lockgate.cache.store.redis import RedisStore
from lockgate.clock import Clock
from lockgate.observability.metrics import Metrics
from lockgate.settings import CacheConfig

QUERY_ENGINE_HINT = (
    "run a Redis with the query engine for the cache (the official redis:8 image has it built in; "
    "with Redis Stack or an older Redis, load RediSearch: --loadmodule /path/to/redisearch.so)"
)


class CacheStartupError(RuntimeError):
    """The configured cache cannot be used; the message says what to change."""


async def open_cache_redis(url: str | None) -> Redis:
    """The cache Redis, checked: reachable and with the query engine."""
    if not url:
        raise CacheStartupError(
            "cache.store is 'redis' but LOCKGATE_CACHE_REDIS_URL is not set: point it at the "
            "dedicated cache Redis, or use cache.store: embedded"
        )
    redis = Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)
    try:
        await redis.ping()
        await redis.execute_command("FT._LIST")  # type: ignore[no-untyped-call]
    except ResponseError as exc:
        await redis.aclose()
        raise CacheStartupError(
            f"The cache Redis at LOCKGATE_CACHE_REDIS_URL has no query engine ({exc}): "
            f"{QUERY_ENGINE_HINT}"
        ) from None
    except (RedisError, OSError) as exc:
        await redis.aclose()
        raise CacheStartupError(
            f"The cache Redis at LOCKGATE_CACHE_REDIS_URL cannot be reached: {exc}"
        ) from None
    return redis


async def build_cache(
    cache: CacheConfig,
    stack: AsyncExitStack,
    *,
    data_dir: Path,
    redis_url: str | None,
    clock: Clock,
    metrics: Metrics,
    semantic: SemanticLayer | None = None,
) -> ResponseCache | None:
    """The cache, its teardown on ``stack``; None when ``cache.enabled`` is false."""
    if not cache.enabled:
        return None
    store: EntryStore
    if cache.store == "redis":
        redis = await open_cache_redis(redis_url)
        stack.push_async_callback(redis.aclose)
        store = RedisStore(redis)
    else:
        store = await EmbeddedStore.open(data_dir / "cache" / "answers.db")
    built = ResponseCache(CachePolicy(cache), store, semantic, clock=clock, metrics=metrics)
    stack.push_async_callback(built.aclose)
    return built
