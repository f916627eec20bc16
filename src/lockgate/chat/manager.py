"""Owns every reply being generated in this process.

Replies outlive the requests that start them: ``start`` spawns a task, ``get`` finds a live one
to re-attach to, ``stop`` cancels one on purpose (status ``cancelled``), and ``shutdown`` lets the
running ones finish within a grace period before cutting them (status ``incomplete``), so a
restart never leaves a reply half-saved as ``streaming``. Each running reply holds an owner
lease (see ``leases.py``) from its first step to its final save, so a replica can tell the
replies of a process that died without any shutdown at all.

Events go through the ``LiveReplies`` store (``live.py``), so with Redis a reply generated here
can be re-attached (``attach``) and stopped (``stop_anywhere``) from any replica. Once draining
(SIGTERM), no new reply starts: ``check_accepting`` answers 503 ``draining`` with a
``Retry-After``, so the browser or the load balancer retries on another replica. Past capacity,
``sending`` sheds a send with 503 ``overloaded`` instead of queueing it (``admission.py``).
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine, Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from lockgate.chat.admission import SendAdmission
from lockgate.chat.events import (
    ChatDoneData,
    ChatDoneEvent,
    ChatErrorData,
    ChatErrorEvent,
    ChatMessageEvent,
    encode,
    replay,
)
from lockgate.chat.generation import Generation, GenerationSpec
from lockgate.chat.leases import INTERRUPTED, LocalLeases, ReplyLeases
from lockgate.chat.live import LiveReplies, MemoryLiveReplies
from lockgate.chat.replylog import Cursor
from lockgate.chat.saves import PartialSaves
from lockgate.clock import Clock
from lockgate.db.writer import GroupWriter
from lockgate.errors import ServiceUnavailable
from lockgate.models import Message, MessageStatus
from lockgate.observability.logging import get_logger
from lockgate.observability.sentry import report_exception
from lockgate.tasks import complete_despite_cancel

log = get_logger("lockgate.chat")
DRAINING_RETRY_AFTER = 2


class Draining(ServiceUnavailable):
    code = "draining"
    message = "This server is shutting down; send the message again (another server answers)."

    def __init__(self) -> None:
        super().__init__(headers={"Retry-After": str(DRAINING_RETRY_AFTER)})


class ChatManager:
    def __init__(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        clock: Clock,
        *,
        save_interval: float = 0.25,
        retry_sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        leases: ReplyLeases | None = None,
        live: LiveReplies | None = None,
        stop_timeout: float = 5.0,
        admission: SendAdmission | None = None,
        on_saved: Callable[[uuid.UUID], None] | None = None,
        writer: GroupWriter | None = None,
    ) -> None:
        """``admission``: the bound on sends set up at once (None: unbounded, for tests).
        ``on_saved``: told a message id when its question is saved (the reply starts) and when
        the reply's final state is (search indexes both; it must not block). ``writer``: commits
        the chat path's writes in groups (None: one of its own)."""
        self._sessionmaker = sessionmaker
        self.leases: ReplyLeases = leases or LocalLeases()
        self.live: LiveReplies = live or MemoryLiveReplies()
        self._stop_timeout = stop_timeout
        self.retry_sleep = retry_sleep
        self._clock = clock
        self._save_interval = save_interval
        self._live: dict[uuid.UUID, Generation] = {}
        self._tasks: dict[uuid.UUID, asyncio.Task[None]] = {}
        self._draining: asyncio.Task[None] | None = None
        self.writer = writer or GroupWriter(sessionmaker)
        self.saves = PartialSaves(sessionmaker, clock, self.writer)
        self.admission = admission
        self._on_saved = on_saved

    async def open(self) -> None:
        """Start listening for other replicas' stops (lifespan, before the first request)."""
        await self.live.start(self._stop_requested, self._final_of)

    async def aclose(self) -> None:
        """After the drain: the last events (finals of cut replies) are written out."""
        await self.saves.aclose()
        await self.writer.aclose()
        await self.live.aclose()

    @property
    def draining(self) -> bool:
        return self._draining is not None

    def check_accepting(self) -> None:
        """Refuse a new reply once draining, before anything is saved or reserved."""
        if self._draining is not None:
            raise Draining()

    @contextmanager
    def sending(self) -> Iterator[None]:
        """Around a send's setup, until its reply starts: refused (503 ``draining`` or
        ``overloaded``, with Retry-After) before anything is read, saved or reserved."""
        self.check_accepting()
        if self.admission is None:
            yield
            return
        with self.admission.slot():
            yield

    def start(self, spec: GenerationSpec, first_event: ChatMessageEvent) -> Generation:
        generation = Generation(
            spec,
            self.live.open(spec.message_id),
            self._sessionmaker,
            self._clock,
            self._save_interval,
            self.retry_sleep,
            self.saves,
            self.writer,
        )
        generation.publish(first_event)
        self._live[spec.message_id] = generation
        task = asyncio.create_task(self._run(generation), name=f"reply-{spec.message_id}")
        self._tasks[spec.message_id] = task
        if self._on_saved is not None:  # the question (the reply's parent) is committed
            self._on_saved(spec.message_id)
        return generation

    async def _run(self, generation: Generation) -> None:
        failure: ChatErrorData | None = None
        try:
            await self.leases.claim(generation.message_id)
            await generation.run()
        except Exception as exc:  # a bug: log and report it, never leave listeners hanging
            log.exception("generation_failed", message_id=str(generation.message_id))
            report_exception(exc)
            failure = ChatErrorData(
                code="internal_error",
                message="The reply failed unexpectedly.",
                status=MessageStatus.ERROR,
                final=None,
            )
        finally:
            if not generation.finished:  # failed, or cut before its outcome was decided
                failure = failure or ChatErrorData(
                    code="interrupted",
                    message=INTERRUPTED,
                    status=MessageStatus.INCOMPLETE,
                    final=None,
                )
                # The row is closed with the text the listeners saw, and the final event
                # carries it, so no listener and no janitor is left to guess.
                with contextlib.suppress(asyncio.CancelledError):
                    failure.final = await complete_despite_cancel(
                        generation.close_unfinished(failure.status, failure.code, failure.message)
                    )
                generation.finished = True
                saved = failure.final
                if saved is not None and saved.status != failure.status:
                    # Its own save had committed (or someone closed it): that state stands.
                    done = ChatDoneData(status=saved.status, final=saved)
                    generation.publish(ChatDoneEvent(data=done))
                else:
                    generation.publish(ChatErrorEvent(data=failure))
            generation.end()
            self._live.pop(generation.message_id, None)
            self._tasks.pop(generation.message_id, None)
            await self.leases.release(generation.message_id)
            if self._on_saved is not None:
                self._on_saved(generation.message_id)

    def spawn(self, coroutine: Coroutine[Any, Any, None], name: str) -> None:
        """A side task (e.g. a model-written title) that shutdown waits for like a reply."""
        key = uuid.uuid4()
        task = asyncio.create_task(coroutine, name=name)
        self._tasks[key] = task
        task.add_done_callback(lambda _t: self._tasks.pop(key, None))

    def get(self, message_id: uuid.UUID) -> Generation | None:
        return self._live.get(message_id)

    async def attach(
        self, message_id: uuid.UUID, cursor: Cursor | None = None
    ) -> AsyncIterator[bytes] | None:
        """A live reply's events, wherever it is generated (None: not live anywhere we know)."""
        generation = self._live.get(message_id)
        if generation is not None:
            return generation.listen(cursor)
        return await self.live.attach(message_id, cursor)

    async def stop_anywhere(self, message_id: uuid.UUID) -> bool:
        """Stop a reply generated here or by another replica (which cancels it the same way);
        True once its final state is saved. False: nobody answered (not live, or its owner is
        gone): the caller closes the row itself."""
        if await self.stop(message_id):
            return True
        return await self.live.request_stop(message_id, self._stop_timeout)

    def _stop_requested(self, message_id: uuid.UUID) -> None:
        if message_id in self._tasks:  # ours: stop it as a local stop would
            self.spawn(self._stop_quietly(message_id), name=f"stop-{message_id}")

    async def _stop_quietly(self, message_id: uuid.UUID) -> None:
        await self.stop(message_id)

    async def _final_of(self, message_id: uuid.UUID) -> bytes | None:
        """The saved reply's final event, once the database says it is over (None: still
        streaming, or the database cannot tell now; a listener asks again later)."""
        try:
            async with self._sessionmaker() as db:
                row = await db.get(Message, message_id)
        except SQLAlchemyError as exc:
            log.warning("reply_state_unreadable", message_id=str(message_id), error=str(exc))
            return None
        if row is None:
            gone = ChatErrorData(
                code="not_found",
                message="The reply was deleted.",
                status=MessageStatus.CANCELLED,
                final=None,
            )
            return encode(ChatErrorEvent(data=gone))
        if row.status == MessageStatus.STREAMING:
            return None
        *_, last = replay(row)
        return encode(last)

    async def publish_closed(self, row: Message) -> None:
        """A reply closed by someone else than its owner (the janitor): its final event goes to
        the live store, so listeners on any replica end instead of waiting."""
        *_, final = replay(row)
        await self.live.publish_final(row.id, final)

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
        """Stop every live reply of a conversation (before deleting it), here or on another
        replica: each is settled through the gate and saved as ``cancelled``, like a stop.
        Returns how many."""
        async with self._sessionmaker() as db:
            streaming = set(
                (
                    await db.scalars(
                        select(Message.id).where(
                            Message.conversation_id == conversation_id,
                            Message.status == MessageStatus.STREAMING,
                        )
                    )
                ).all()
            )
        streaming |= {
            message_id
            for message_id, generation in list(self._live.items())
            if generation.spec.conversation_id == conversation_id
        }
        stopped = [await self.stop_anywhere(message_id) for message_id in streaming]
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
