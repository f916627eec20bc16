"""The growing text of live replies, saved by one writer in one short transaction per round.

A reply offers its text as it grows (`PartialSaves.offer`, every ``save_interval``) and never
waits for the database: the stream goes on whatever the write lock is doing. Only the newest text
of each reply waits to be written (an older one is replaced, never queued), and one task writes
everything waiting in a single transaction, then whatever arrived meanwhile. Before, every reply
awaited its own transaction inside its stream: on SQLite a stalled write stalled the stream, which
made more partial saves wait, which stalled other streams (17 to 37 transactions per message at
the collapse measured in issue 16).

A reply whose row no longer matches (deleted with its conversation, or closed by someone else: a
stop on another replica, a janitor that took its owner for dead) is told through its ``gone``
callback, once, after the transaction.

The final save is not here: it carries tokens, cost and usage rows and is written by the reply
itself (`Generation._finish`), after `forget` drops any text still waiting. Both go through the
same `GroupWriter` (``db/writer.py``): a round of partial texts shares its transaction with the
other messages' writes, and is committed before any final state submitted after it.
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import update
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from lockgate.clock import Clock
from lockgate.db.writer import GroupWriter
from lockgate.models import Message, MessageStatus
from lockgate.observability.logging import get_logger

log = get_logger("lockgate.chat")


@dataclass(frozen=True, slots=True)
class _Pending:
    content: str
    gone: Callable[[], None]


class PartialSaves:
    """One writer for every live reply's partial text in this process."""

    def __init__(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        clock: Clock,
        writer: GroupWriter | None = None,
    ) -> None:
        """``writer``: the process's group writer (None: one of its own)."""
        self._owns_writer = writer is None
        self._writer = writer or GroupWriter(sessionmaker)
        self._clock = clock
        self._pending: dict[uuid.UUID, _Pending] = {}
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self.rounds = 0  # transactions written (tests, metrics)

    def offer(self, message_id: uuid.UUID, content: str, gone: Callable[[], None]) -> None:
        """Save this text soon; replaces any text of the same reply not yet written."""
        self._pending[message_id] = _Pending(content, gone)
        self._wake.set()
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._run(), name="partial-saves")

    def forget(self, message_id: uuid.UUID) -> None:
        """The reply is being finished: its final save supersedes any text still waiting."""
        self._pending.pop(message_id, None)

    def waiting(self) -> int:
        return len(self._pending)

    async def flush(self) -> None:
        """Write whatever waits now (shutdown, tests)."""
        while self._pending:
            await self._write_round()

    async def aclose(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await self.flush()
        if self._owns_writer:
            await self._writer.aclose()

    async def _run(self) -> None:
        while True:
            await self._wake.wait()
            self._wake.clear()
            while self._pending:
                await self._write_round()

    async def _write_round(self) -> None:
        batch, self._pending = self._pending, {}
        now = self._clock()

        async def job(db: AsyncSession) -> list[Callable[[], None]]:
            gone = []
            for message_id, pending in batch.items():
                result = await db.execute(
                    update(Message)
                    .where(Message.id == message_id, Message.status == MessageStatus.STREAMING)
                    .values(content=pending.content, updated_at=now)
                )
                if int(getattr(result, "rowcount", 1) or 0) == 0:
                    gone.append(pending.gone)
            return gone

        try:
            gone = await self._writer.write(job)
        except SQLAlchemyError as exc:  # the final save retries; streaming goes on
            log.warning("partial_saves_failed", replies=len(batch), error=str(exc))
            return
        finally:
            self.rounds += 1
        for tell in gone:
            try:
                tell()
            except Exception as exc:  # one reply's callback never stops the others' saves
                log.error("partial_save_gone_failed", error=repr(exc))
