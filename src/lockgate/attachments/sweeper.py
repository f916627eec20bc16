"""Images uploaded but never sent are deleted after a while, with their files.

The composer uploads an image as soon as it is pasted or dropped (for its preview), before the
message exists; a tab closed before sending leaves the attachment unlinked, counted against the
user's quota and on disk forever. `UnsentSweeper` deletes those older than
``LOCKGATE_ATTACHMENT_UNSENT_HOURS`` (default 24) every ``interval`` seconds. The rows go in one
``DELETE … RETURNING`` whose conditions are checked by the database itself (still unlinked, still
old), so a send that links an image at that moment keeps it, or finds it gone and says so (the
link's foreign key refuses it); files are removed after the commit. Every replica may sweep: a
row is deleted once, and a missing file is fine.

    sweeper = UnsentSweeper(sessionmaker, storage, clock, max_age=timedelta(hours=24))
    await sweeper.sweep()       # returns how many were deleted
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import timedelta

from sqlalchemy import delete, exists, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from lockgate.attachments.storage import AttachmentStorage
from lockgate.clock import Clock
from lockgate.models import Attachment, MessageAttachment
from lockgate.observability.logging import get_logger
from lockgate.tasks import cancel_requested

log = get_logger("lockgate.attachments")
SWEEP_BATCH = 500
Sleep = Callable[[float], Awaitable[None]]


class UnsentSweeper:
    def __init__(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        storage: AttachmentStorage,
        clock: Clock,
        *,
        max_age: timedelta,
        interval: float = 3600,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        self._sessionmaker = sessionmaker
        self._storage = storage
        self._clock = clock
        self._max_age = max_age
        self._interval = interval
        self._sleep = sleep
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._loop(), name="attachment-sweeper")

    async def aclose(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)

    async def _loop(self) -> None:
        while not cancel_requested():  # see lockgate/tasks.py
            try:
                await self.sweep()
            except Exception:  # an outage or a bug must not end the loop
                log.exception("attachment_sweep_failed")
            await self._sleep(self._interval)

    async def sweep(self) -> int:
        """Delete the unsent attachments older than ``max_age``, in batches; how many."""
        total = 0
        while True:
            try:
                files = await self._sweep_batch()
            except SQLAlchemyError as exc:
                log.warning("attachment_sweep_db_failed", error=str(exc))
                return total
            await self._storage.remove(files)
            total += len(files)
            if len(files) < SWEEP_BATCH:
                break
        if total:
            log.info("unsent_attachments_deleted", count=total)
        return total

    async def _sweep_batch(self) -> list[str]:
        cutoff = self._clock() - self._max_age
        unsent = (
            (Attachment.conversation_id.is_(None))
            & (Attachment.created_at < cutoff)
            & ~exists().where(MessageAttachment.attachment_id == Attachment.id)
        )
        async with self._sessionmaker() as db:
            batch = select(Attachment.id).where(unsent).limit(SWEEP_BATCH).scalar_subquery()
            result = await db.execute(
                delete(Attachment)
                .where(Attachment.id.in_(batch), unsent)
                .returning(Attachment.file_name)
            )
            files = list(result.scalars().all())
            await db.commit()
        return files
