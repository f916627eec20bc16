"""Embedding chunks after the upload answered: ``indexing`` → ``ready`` (or ``failed``).

The upload commits the document and its chunks, then hands the id here; the person sees
"indexing…" until the status turns ``ready``. Embedding is idempotent (a chunk's record is keyed
by its id), so a document left ``indexing`` by a stopped process is simply indexed again at the
next start (`recover`), on whichever replica starts.

A document deleted while it was being embedded leaves no vectors: the status update finds no
row, and the vectors just added are removed.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Awaitable, Callable

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from lockgate.clock import Clock
from lockgate.db.engine import reading
from lockgate.documents.index import DocumentIndex
from lockgate.errors import AppError
from lockgate.models import Document, DocumentChunk, DocumentStatus
from lockgate.tasks import cancel_requested

log = logging.getLogger(__name__)
CONCURRENCY = 2
STORE_CHECK_SECONDS = 300.0
Sleep = Callable[[float], Awaitable[None]]


class DocumentIndexer:
    def __init__(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        index: DocumentIndex,
        clock: Clock,
    ) -> None:
        self.sessionmaker = sessionmaker
        self.index = index
        self.clock = clock
        self._tasks: set[asyncio.Task[None]] = set()
        self._slots = asyncio.Semaphore(CONCURRENCY)
        self._watch: asyncio.Task[None] | None = None

    def submit(self, document_id: uuid.UUID) -> None:
        task = asyncio.create_task(self._run(document_id), name=f"index-document-{document_id}")
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def idle(self) -> None:
        """Wait until every submitted document is indexed (or failed)."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    async def check_store(self) -> int:
        """The vector store still holds the passages the database says are ``ready``, or it lost
        them (a cache Redis restarted without persistence; a new embedded file): then every
        ready document turns ``indexing`` and is embedded again. Returns how many. At start-up
        (before `recover`) and every ``watch`` interval."""
        if await self.index.holds_marker(self.clock().timestamp()):
            return 0
        async with self.sessionmaker() as db:
            ids = list(
                await db.scalars(
                    update(Document)
                    .where(Document.status == DocumentStatus.READY)
                    .values(status=DocumentStatus.INDEXING, updated_at=self.clock())
                    .returning(Document.id)
                )
            )
            await db.commit()
        await self.index.put_marker()
        if ids:
            log.warning("document vectors lost: indexing %d documents again", len(ids))
        return len(ids)

    def watch(self, interval: float, sleep: Sleep = asyncio.sleep) -> None:
        """Check the store every ``interval`` seconds; what it lost is indexed again."""

        async def loop() -> None:
            while not cancel_requested():
                await sleep(interval)
                try:
                    if await self.check_store():
                        await self.recover()
                except Exception as exc:  # an outage must not end the watch
                    log.warning("checking the document vectors failed: %r", exc)

        self._watch = asyncio.create_task(loop(), name="documents-store-watch")

    async def recover(self) -> int:
        """Queue every document still ``indexing`` (a process stopped while embedding it)."""
        async with self.sessionmaker() as db:
            await reading(db)
            ids = list(
                await db.scalars(
                    select(Document.id).where(Document.status == DocumentStatus.INDEXING)
                )
            )
        for document_id in ids:
            self.submit(document_id)
        return len(ids)

    async def aclose(self) -> None:
        tasks = list(self._tasks)
        if self._watch is not None:
            tasks.append(self._watch)
            self._watch = None
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    async def _run(self, document_id: uuid.UUID) -> None:
        async with self._slots:
            try:
                await self._index(document_id)
            except asyncio.CancelledError:
                raise  # shutting down: still `indexing`, `recover` picks it up next start
            except Exception as exc:
                message = exc.message if isinstance(exc, AppError) else type(exc).__name__
                log.warning("indexing document %s failed: %s", document_id, message)
                await self._finish(document_id, DocumentStatus.FAILED, message[:500])

    async def _index(self, document_id: uuid.UUID) -> None:
        async with self.sessionmaker() as db:
            await reading(db)
            document = await db.get(Document, document_id)
            if document is None:
                return
            chunks = [
                (row.id, row.text)
                for row in await db.scalars(
                    select(DocumentChunk)
                    .where(DocumentChunk.document_id == document_id)
                    .order_by(DocumentChunk.ordinal)
                )
            ]
            owner, conversation = document.user_id, document.conversation_id
        await self.index.add(owner, conversation, document_id, chunks)
        await self._finish(document_id, DocumentStatus.READY, None)

    async def _finish(
        self, document_id: uuid.UUID, status: DocumentStatus, error: str | None
    ) -> None:
        async with self.sessionmaker() as db:
            result = await db.execute(
                update(Document)
                .where(Document.id == document_id, Document.status == DocumentStatus.INDEXING)
                .values(status=status, error=error, updated_at=self.clock())
            )
            await db.commit()
        if getattr(result, "rowcount", 1) == 0:  # deleted meanwhile: leave no vectors behind
            await self.index.forget_document(document_id)
