"""Building search by meaning at start-up (``search:`` in lockgate.yaml), or refusing to start.

- ``embedding_model: local`` (the default): the offline MiniLM model, loaded on first use so a
  server that never indexes anything does not pay for it; shared with the response cache when
  the cache uses the local model too (one model in memory, one memo).
- ``embedding_model: <a configured embedding model>``: every embedding is a paid call through the
  gate (`lockgate.calls.embedder.ProviderEmbedder`), billed to the user whose message (or query)
  it embeds: their budgets, their usage rows. Its dimension is learnt at start-up with one small
  call paid by the system; a model that does not answer stops start-up.
- ``store: embedded``: ``<data_dir>/search/messages.sqlite3`` (one process). ``store: redis``: an
  FT HNSW index in the cache Redis (``LOCKGATE_CACHE_REDIS_URL``), namespace ``search``, shared by
  replicas; no silent fallback (a Redis without the query engine stops start-up).
"""

from __future__ import annotations

import uuid
from contextlib import AbstractContextManager, AsyncExitStack
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from lockgate.calls.candidates import as_candidate
from lockgate.calls.embedder import ProviderEmbedder
from lockgate.calls.once import Owner
from lockgate.calls.usage import UsageSink
from lockgate.clock import Clock
from lockgate.errors import AppError
from lockgate.gate import Gate
from lockgate.providers.registry import ProviderRegistry
from lockgate.search.indexer import Payer, SearchIndexer, unpaid
from lockgate.search.meaning import MessageSearch
from lockgate.settings import FileConfig, SearchConfig
from lockgate.vectors.base import Embedder, VectorIndex
from lockgate.vectors.cached import CachedEmbedder
from lockgate.vectors.errors import EmbedderUnavailable, VectorStoreUnavailable
from lockgate.vectors.factory import open_index
from lockgate.vectors.local import LocalEmbedder

NAMESPACE = "search"


class SearchStartupError(RuntimeError):
    """The configured search by meaning cannot be used; the message says what to change."""


async def build_search(
    file: FileConfig,
    stack: AsyncExitStack,
    *,
    sessionmaker: async_sessionmaker[AsyncSession],
    data_dir: Path,
    cache_redis_url: str | None,
    clock: Clock,
    providers: ProviderRegistry,
    gate: Gate,
    usage: UsageSink,
    shared_local: Embedder | None = None,
) -> MessageSearch | None:
    """Search by meaning, its indexer started; None when ``search.semantic`` is off.
    ``shared_local``: the cache's local embedder, reused rather than loaded twice."""
    config = file.search
    if not config.semantic:
        return None
    embedder, payer = await _embedder(
        file, stack, providers=providers, gate=gate, usage=usage, clock=clock, shared=shared_local
    )
    index = await _index(config, embedder, data_dir, cache_redis_url, clock)
    stack.push_async_callback(index.close)
    indexer = SearchIndexer(
        sessionmaker,
        embedder,
        index,
        clock,
        batch_size=config.batch_size,
        queue_size=config.queue_size,
        sweep_seconds=config.sweep_seconds,
        payer=payer,
    )
    search = MessageSearch(
        embedder, index, indexer, min_similarity=config.min_similarity, payer=payer
    )
    try:
        await indexer.start()
    except VectorStoreUnavailable as exc:
        raise SearchStartupError(exc.message) from None
    stack.push_async_callback(search.aclose)
    return search


async def _embedder(
    file: FileConfig,
    stack: AsyncExitStack,
    *,
    providers: ProviderRegistry,
    gate: Gate,
    usage: UsageSink,
    clock: Clock,
    shared: Embedder | None,
) -> tuple[Embedder, Payer]:
    name = file.search.embedding_model
    if name == "local":
        if isinstance(shared, CachedEmbedder) and isinstance(shared.inner, LocalEmbedder):
            return shared, unpaid
        model = LocalEmbedder()
        stack.push_async_callback(model.close)
        return CachedEmbedder(model), unpaid
    paid = ProviderEmbedder(
        as_candidate(name, file.models[name], providers), gate=gate, usage=usage, clock=clock
    )
    try:
        await paid.warm_up()
    except (EmbedderUnavailable, AppError) as exc:
        raise SearchStartupError(
            f"search.embedding_model {name!r} did not answer at start-up ({exc.message}); "
            "fix the model or use embedding_model: local"
        ) from None

    def payer(user_id: uuid.UUID | None) -> AbstractContextManager[None]:
        return paid.paid_by(Owner(user_id))

    return CachedEmbedder(paid), payer


async def _index(
    config: SearchConfig,
    embedder: Embedder,
    data_dir: Path,
    cache_redis_url: str | None,
    clock: Clock,
) -> VectorIndex:
    try:
        return await open_index(
            config.resolved_store(cache_redis_url),
            embedder=embedder.name,
            dimension=embedder.dimension,
            path=data_dir / "search" / "messages.sqlite3",
            redis_url=cache_redis_url,
            namespace=NAMESPACE,
            clock=lambda: clock().timestamp(),
        )
    except VectorStoreUnavailable as exc:
        raise SearchStartupError(exc.message) from None
