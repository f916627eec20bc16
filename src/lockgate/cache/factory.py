"""Building the response cache at start-up, or refusing to start.

``store: embedded`` opens ``<data_dir>/cache/answers.db``. ``store: redis`` connects to the
dedicated cache Redis (``LOCKGATE_CACHE_REDIS_URL``) and refuses to start, with what to do,
when the URL is missing, the server cannot be reached, or it lacks the query engine (the vector
index needs ``FT.CREATE … HNSW``): there is no silent fallback to an embedded store, which would
make replicas disagree about what is cached.

The semantic layer (``semantic: true``) stands on an `Embedder` the lifespan hands in (the local
model, `local_embedder`, or a configured embedding model called through the gate) and a vector
index in the same place as the entries: ``<data_dir>/cache/vectors.sqlite3`` beside the embedded
store, or the HNSW index Lockgate creates in the cache Redis (``FT.CREATE``, idempotent, named
after the embedder and its dimension, so a new model starts a new index). A semantic hit is
guarded by `lockgate.cache.guard.compatible`.

The semantic layer's modules (the embedders, the vector indexes, numpy) are imported in the
functions that build them, so a worker with the cache off, or exact-only, never loads them.
"""

from __future__ import annotations

from contextlib import AsyncExitStack
from pathlib import Path

from redis.asyncio import Redis
from redis.exceptions import RedisError, ResponseError

from lockgate.cache.policy import CachePolicy, TeamOf
from lockgate.cache.semantic import SemanticLayer
from lockgate.cache.service import ResponseCache
from lockgate.cache.store.base import EntryStore
from lockgate.cache.store.embedded import EmbeddedStore
from lockgate.cache.store.redis import RedisStore
from lockgate.clock import Clock
from lockgate.observability.metrics import Metrics
from lockgate.settings import CacheConfig
from lockgate.vectors.base import Embedder, VectorIndex
from lockgate.vectors.errors import EmbedderUnavailable, VectorStoreUnavailable

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


async def local_embedder(stack: AsyncExitStack) -> Embedder:
    """The offline model (``embedding_model: local``), loaded now (a broken install stops
    start-up, not a request), with its memo: a text is embedded once while remembered."""
    from lockgate.vectors.cached import CachedEmbedder
    from lockgate.vectors.local import LocalEmbedder

    model = LocalEmbedder()
    stack.push_async_callback(model.close)
    try:
        await model.warm_up()
    except EmbedderUnavailable as exc:
        raise CacheStartupError(exc.message) from None
    return CachedEmbedder(model)


async def open_index(
    embedder: Embedder, *, data_dir: Path, redis: Redis | None, clock: Clock
) -> VectorIndex:
    """The semantic layer's index, next to the entries (created when missing)."""
    from lockgate.vectors.embedded import EmbeddedIndex
    from lockgate.vectors.redis import RedisIndex

    if redis is None:
        return await EmbeddedIndex.open(
            data_dir / "cache" / "vectors.sqlite3",
            embedder=embedder.name,
            dimension=embedder.dimension,
            now=clock().timestamp(),
        )
    index = RedisIndex(
        redis,
        embedder=embedder.name,
        dimension=embedder.dimension,
        clock=lambda: clock().timestamp(),
        owns_client=False,
    )
    try:
        await index.ensure_ready()
    except VectorStoreUnavailable as exc:
        raise CacheStartupError(exc.message) from None
    return index


async def build_cache(
    cache: CacheConfig,
    stack: AsyncExitStack,
    *,
    data_dir: Path,
    redis_url: str | None,
    clock: Clock,
    metrics: Metrics,
    embedder: Embedder | None = None,
    team_of: TeamOf | None = None,
) -> ResponseCache | None:
    """The cache, its teardown on ``stack``; None when ``cache.enabled`` is false.
    ``embedder`` is required with ``semantic: true``; ``team_of`` (the gate's) with
    ``scope: team``."""
    if not cache.enabled:
        return None
    store: EntryStore
    redis = None
    if cache.store == "redis":
        redis = await open_cache_redis(redis_url)
        stack.push_async_callback(redis.aclose)
        store = RedisStore(redis)
    else:
        store = await EmbeddedStore.open(data_dir / "cache" / "answers.db")
        stack.push_async_callback(store.close)
    semantic = None
    if cache.semantic:
        if embedder is None:
            raise ValueError("cache.semantic needs an embedder")
        from lockgate.cache.guard import compatible

        index = await open_index(embedder, data_dir=data_dir, redis=redis, clock=clock)
        stack.push_async_callback(index.close)
        semantic = SemanticLayer(embedder, index, compatible)
    policy = CachePolicy(cache) if team_of is None else CachePolicy(cache, team_of)
    return ResponseCache(policy, store, semantic, clock=clock, metrics=metrics)
