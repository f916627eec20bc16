"""Building the documents' vector layer at start-up, or refusing to start.

``store: embedded`` keeps the vectors in ``<data_dir>/documents/vectors.sqlite3`` (one process:
the file is locked to it). ``store: redis`` uses the cache Redis (``LOCKGATE_CACHE_REDIS_URL``,
with the query engine) and its own FT index, ``lockgate:documents:v1:<embedder>:<dim>``, so every
replica searches the same vectors. No silent fallback: a missing or unusable Redis stops start-up
with what to do.

The embedder is the local model. When the response cache already loaded it, that one instance
(and its memo) is shared; otherwise the model is loaded at the first upload or question, not at
start-up, so a server where nobody uploads never pays for it.
"""

from __future__ import annotations

from contextlib import AsyncExitStack
from pathlib import Path

from lockgate.cache.factory import CacheStartupError, open_cache_redis
from lockgate.clock import Clock
from lockgate.documents.index import NAMESPACE, DocumentIndex
from lockgate.documents_settings import DocumentsConfig
from lockgate.vectors.base import Embedder, VectorIndex
from lockgate.vectors.cached import CachedEmbedder
from lockgate.vectors.errors import VectorStoreUnavailable


async def build_document_index(
    config: DocumentsConfig,
    stack: AsyncExitStack,
    *,
    data_dir: Path,
    redis_url: str | None,
    clock: Clock,
    embedder: Embedder | None = None,
) -> DocumentIndex | None:
    """The index (its teardown on ``stack``); None when ``documents.enabled`` is false.
    ``embedder``: the local model already loaded by the cache, to share."""
    if not config.enabled:
        return None
    # Here, not at the top: importing the documents package (its endpoints) must not load the
    # local model's runtime or the vector stores into a worker that never indexes a document.
    from lockgate.vectors.embedded import EmbeddedIndex
    from lockgate.vectors.local import LocalEmbedder
    from lockgate.vectors.redis import RedisIndex

    if embedder is None:
        local = LocalEmbedder()
        stack.push_async_callback(local.close)
        embedder = CachedEmbedder(local)
    index: VectorIndex
    if config.resolved_store(redis_url) == "embedded":
        try:
            index = await EmbeddedIndex.open(
                data_dir / "documents" / "vectors.sqlite3",
                embedder=embedder.name,
                dimension=embedder.dimension,
                now=clock().timestamp(),
            )
        except VectorStoreUnavailable as exc:
            raise CacheStartupError(
                f"documents: {exc.message} (documents.store: redis shares one index)"
            ) from None
    else:
        if not redis_url:
            raise CacheStartupError(
                "documents.store is 'redis' but LOCKGATE_CACHE_REDIS_URL is not set: point it at "
                "the cache Redis (with the query engine), or use documents.store: embedded"
            )
        redis = await open_cache_redis(redis_url)
        stack.push_async_callback(redis.aclose)
        index = RedisIndex(
            redis,
            embedder=embedder.name,
            dimension=embedder.dimension,
            namespace=NAMESPACE,
            clock=lambda: clock().timestamp(),
            owns_client=False,
        )
        try:
            await index.ensure_ready()
        except VectorStoreUnavailable as exc:
            raise CacheStartupError(f"documents: {exc.message}") from None
    stack.push_async_callback(index.close)
    return DocumentIndex(embedder, index)
