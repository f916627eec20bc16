"""Building the vector layer from plain arguments, for the lifespan (which reads the settings).

    embedder = await open_local_embedder()                       # embedding_model: local
    index = await open_index("embedded", embedder=embedder.name, dimension=embedder.dimension,
                             path=data_dir / "vectors" / "cache.sqlite3")
    index = await open_index("redis", embedder=embedder.name, dimension=embedder.dimension,
                             redis_url=settings.cache_redis_url)

Both fail at start-up, with a message that says what to do, when they cannot work: a broken
model install, an index file held by another process, a Redis without the query engine. A
provider-backed embedder (``embedding_model: <name>``) is `lockgate.calls.embedder.ProviderEmbedder`
(it calls the gate, which this package may not import); wrap it in `CachedEmbedder` the same way.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Literal

from redis.asyncio import BlockingConnectionPool, Redis

from .base import VectorIndex
from .cached import DEFAULT_SIZE, CachedEmbedder
from .embedded import EmbeddedIndex
from .errors import VectorStoreUnavailable
from .local import LocalEmbedder
from .redis import RedisIndex

Store = Literal["embedded", "redis"]


async def open_local_embedder(
    *, threads: int | None = None, memo_size: int = DEFAULT_SIZE
) -> CachedEmbedder:
    """The local model, loaded now (a broken install fails start-up), behind the memo."""
    local = LocalEmbedder(threads=threads)
    await local.warm_up()
    return CachedEmbedder(local, maxsize=memo_size)


async def open_index(
    store: Store,
    *,
    embedder: str,
    dimension: int,
    path: Path | None = None,
    redis_url: str | None = None,
    namespace: str = "cache",
    clock: Callable[[], float] = time.time,
    max_connections: int = 64,
) -> VectorIndex:
    """The index of ``store``, ready: the embedded file opened (expired records purged), or the
    Redis FT index created (stale versions of ``namespace`` dropped)."""
    if store == "embedded":
        if path is None:
            raise ValueError("the embedded vector index needs a path")
        return await EmbeddedIndex.open(path, embedder=embedder, dimension=dimension, now=clock())
    if redis_url is None:
        raise VectorStoreUnavailable(
            "The Redis cache store needs LOCKGATE_CACHE_REDIS_URL (a Redis with the query engine)."
        )
    pool = BlockingConnectionPool.from_url(
        redis_url,
        max_connections=max_connections,
        timeout=2,
        socket_timeout=2,
        socket_connect_timeout=2,
        health_check_interval=10,
    )
    index = RedisIndex(
        Redis.from_pool(pool),
        embedder=embedder,
        dimension=dimension,
        namespace=namespace,
        clock=clock,
    )
    try:
        await index.ensure_ready()
    except BaseException:
        await index.close()
        raise
    return index
