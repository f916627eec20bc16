"""Owns every reply being generated in this process.

Replies outlive the requests that start them: ``start`` spawns a task, ``get`` finds a live one
to re-attach to, ``stop`` cancels one on purpose (status ``cancelled``), and ``shutdown`` lets the
running ones finish within a grace period before cutting them (status ``incomplete``), so a
restart never leaves a reply half-saved as ``streaming``. Each running reply holds an owner
lease (see ``leases.py``) from its first step to its final save, so a replica can tell the
replies of a process that died without any shutdown at all.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable, Coroutine
from datetime import timedelta
from typing import Any

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from lockgate.chat.events import ChatErrorData, ChatErrorEvent, ChatMessageEvent
from lockgate.chat.generation import Generation, GenerationSpec
from lockgate.chat.leases import LocalLeases, ReplyLeases
from lockgate.clock import Clock
from lockgate.models import Message, MessageStatus
from lockgate.observability.logging import get_logger
from lockgate.observability.sentry import report_exception

log = get_logger("lockgate.chat")


class ChatManager:
    def __init__(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        clock: Clock,
        *,
        save_interval: float = 0.25,
        retry_sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        leases: ReplyLeases | None = None,
    ) -> None:
        self._sessionmaker = sessionmaker
        self.leases: ReplyLeases = leases or LocalLeases()
        self.retry_sleep = retry_sleep
        self._clock = clock
        self._save_interval = save_interval
        self._live: dict[uuid.UUID, Generation] = {}
        self._tasks: dict[uuid.UUID, asyncio.Task[None]] = {}
        self._draining: asyncio.Task[None] | None = None

    def start(self, spec: GenerationSpec, first_event: ChatMessageEvent) -> Generation:
        generation = Generation(
            spec, self._sessionmaker, self._clock, self._save_interval, self.retry_sleep
        )
        generation.publish(first_event)
        self._live[spec.message_id] = generation
        task = asyncio.create_task(self._run(generation), name=f"reply-{spec.message_id}")
        self._tasks[spec.message_id] = task
        return generation

    async def _run(self, generation: Generation) -> None:
        try:
            await self.leases.claim(generation.message_id)
            await generation.run()
        except Exception as exc:  # a bug: log and report it, never leave listeners hanging
            log.exception("generation_failed", message_id=str(generation.message_id))
            report_exception(exc)
            generation.finished = True
            failure = ChatErrorData(
                code="internal_error",
                message="The reply failed unexpectedly.",
                status=MessageStatus.ERROR,
                final=None,
            )
            generation.publish(ChatErrorEvent(data=failure))
        finally:
            self._live.pop(generation.message_id, None)
            self._tasks.pop(generation.message_id, None)
            await self.leases.release(generation.message_id)

    def spawn(self, coroutine: Coroutine[Any, Any, None], name: str) -> None:
        """A side task (e.g. a model-written title) that shutdown waits for like a reply."""
        key = uuid.uuid4()
        task = asyncio.create_task(coroutine, name=name)
        self._tasks[key] = task
        task.add_done_callback(lambda _t: self._tasks.pop(key, None))

    def get(self, message_id: uuid.UUID) -> Generation | None:
        return self._live.get(message_id)

    def live_ids(self) -> list[uuid.UUID]:
        """The replies this process is generating (their leases are renewed)."""
        return list(self._live)

    async def stop(self, message_id: uuid.UUID) -> bool:
        """Cancel a live reply; waits until its partial text is saved. False if not live here."""
        generation, task = self._live.get(message_id), self._tasks.get(message_id)
        if generation is None or task is None:
            return False
        generation.stop_requested = True
        task.cancel()
        await asyncio.wait({task})
        return True

    async def stop_conversation(self, conversation_id: uuid.UUID) -> int:
        """Stop every reply of a conversation live here (before deleting it): each is settled
        through the gate and saved as ``cancelled``, like a stop. Returns how many."""
        live = [
            message_id
            for message_id, generation in list(self._live.items())
            if generation.spec.conversation_id == conversation_id
        ]
        stopped = [await self.stop(message_id) for message_id in live]
        return sum(stopped)

    async def wait_idle(self, within: float) -> bool:
        """Wait for every live reply to finish on its own (tests, graceful shutdown)."""
        tasks = set(self._tasks.values())
        if not tasks:
            return True
        _, pending = await asyncio.wait(tasks, timeout=within)
        return not pending

    def begin_drain(self, grace: float) -> asyncio.Task[None]:
        """Start the shutdown now: live replies get ``grace`` seconds to finish, then are cut
        (saved ``incomplete``, their listeners told). Idempotent: the server calls it as soon as
        it stops accepting connections (``server_protocol.SHUTDOWN_HOOK``), while listeners are
        still connected, and the lifespan's `shutdown` then waits for the same drain."""
        if self._draining is None:
            self._draining = asyncio.get_running_loop().create_task(
                self._finish_or_cut(grace), name="chat-drain"
            )
        return self._draining

    async def shutdown(self, grace: float) -> None:
        await self.begin_drain(grace)

    async def _finish_or_cut(self, grace: float) -> None:
        if await self.wait_idle(grace):
            return
        tasks = list(self._tasks.values())
        log.warning("replies_cut_at_shutdown", count=len(tasks))
        for task in tasks:
            task.cancel()
        await asyncio.wait(tasks)

    async def recover_orphans(self, older_than: timedelta = timedelta(0)) -> int:
        """Mark replies left ``streaming`` by a process that died as ``incomplete``.

        Only safe when no other process may be generating (single process, no Redis).
        """
        now = self._clock()
        async with self._sessionmaker() as db:
            result = await db.execute(
                update(Message)
                .where(
                    Message.status == MessageStatus.STREAMING,
                    Message.updated_at <= now - older_than,
                )
                .values(
                    status=MessageStatus.INCOMPLETE,
                    error_code="interrupted",
                    error_message="The server stopped before the reply was finished.",
                    finished_at=now,
                )
            )
            await db.commit()
        count = int(getattr(result, "rowcount", 0) or 0)
        if count:
            log.warning("orphaned_replies_recovered", count=count)
        return count
