"""The long-lived objects of the documents feature, built once by the lifespan."""

from __future__ import annotations

from contextlib import AsyncExitStack
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from lockgate.clock import Clock
from lockgate.documents.factory import build_document_index
from lockgate.documents.index import DocumentIndex
from lockgate.documents.indexer import STORE_CHECK_SECONDS, DocumentIndexer
from lockgate.documents.retrieval import Retriever
from lockgate.documents_settings import DocumentsConfig
from lockgate.vectors.base import Embedder


@dataclass(frozen=True, slots=True)
class Documents:
    config: DocumentsConfig
    index: DocumentIndex
    indexer: DocumentIndexer
    retriever: Retriever


async def build_documents(
    config: DocumentsConfig,
    stack: AsyncExitStack,
    *,
    data_dir: Path,
    redis_url: str | None,
    clock: Clock,
    sessionmaker: async_sessionmaker[AsyncSession],
    embedder: Embedder | None = None,
) -> Documents | None:
    """None when ``documents.enabled`` is false. Documents a stopped process left ``indexing``
    are queued again."""
    index = await build_document_index(
        config, stack, data_dir=data_dir, redis_url=redis_url, clock=clock, embedder=embedder
    )
    if index is None:
        return None
    indexer = DocumentIndexer(sessionmaker, index, clock)
    stack.push_async_callback(indexer.aclose)
    await indexer.check_store()
    await indexer.recover()
    indexer.watch(STORE_CHECK_SECONDS)
    return Documents(config, index, indexer, Retriever(index, config, clock))
