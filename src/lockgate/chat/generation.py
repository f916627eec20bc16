"""One assistant reply being generated: runs on its own, independent of any HTTP client.

The reply is a task owned by the :class:`~lockgate.chat.manager.ChatManager`, not by the request
that started it: a client that disconnects only stops *listening*. Every event goes to the live
reply's store (``chat/live.py``: this process's memory, or a Redis stream every replica reads),
so any number of listeners can attach late and get the whole stream (replay + live tail). The
text is saved as it grows (throttled), and finally with tokens, cost and latency.

Failures before the first token are retried on the same candidate (full-jitter backoff) and then
on the next candidate the gate admits (``fallback`` event); after the first token the reply is
kept as ``incomplete`` — text the user already saw is never replaced.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from lockgate.calls.candidates import Admitted, Plan
from lockgate.calls.runner import Attempt, CallRunner, GenerationInterrupted, attempt_usage
from lockgate.calls.usage import SessionUsage
from lockgate.chat.events import (
    ChatDeltaData,
    ChatDeltaEvent,
    ChatDoneData,
    ChatDoneEvent,
    ChatErrorData,
    ChatErrorEvent,
    ChatEvent,
    ChatFallbackData,
    ChatFallbackEvent,
    ChatUsageData,
    ChatUsageEvent,
)
from lockgate.chat.live import LiveReply
from lockgate.chat.replylog import Cursor
from lockgate.chat.saves import PartialSaves
from lockgate.clock import Clock
from lockgate.conversations.schemas import MessageOut
from lockgate.db.writer import GroupWriter
from lockgate.errors import AppError
from lockgate.gate import Gate, RetrySettings
from lockgate.models import Message, MessageStatus
from lockgate.observability.logging import get_logger
from lockgate.providers.errors import ProviderError
from lockgate.tasks import complete_despite_cancel

log = get_logger("lockgate.chat")
CLOSED_ELSEWHERE = frozenset({MessageStatus.CANCELLED, MessageStatus.INCOMPLETE})
Sleep = Callable[[float], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class GenerationSpec:
    """Everything a reply needs, resolved and admitted before the task starts."""

    message_id: uuid.UUID
    conversation_id: uuid.UUID
    user_id: uuid.UUID
    plans: Sequence[Plan | None]
    first: Admitted
    gate: Gate
    retry: RetrySettings
    # Called with the last attempt once the reply is saved complete (the response cache).
    completed: Callable[[Attempt], Awaitable[object]] | None = None


class Generation:
    def __init__(
        self,
        spec: GenerationSpec,
        reply: LiveReply,
        sessionmaker: async_sessionmaker[AsyncSession],
        clock: Clock,
        save_interval: float,
        sleep: Sleep,
        saves: PartialSaves,
        writer: GroupWriter | None = None,
    ) -> None:
        self.spec = spec
        self._writer = writer or GroupWriter(sessionmaker)
        self._saves = saves
        self._task: asyncio.Task[None] | None = None
        self._finishing = False
        self._clock = clock
        self._save_interval = save_interval
        self._sleep = sleep
        self._reply = reply
        self.finished = False
        self.stop_requested = False
        self.final: MessageOut | None = None
        self.listeners = 0
        self._listeners_changed = asyncio.Event()
        self.attempts: list[Attempt] = []
        self._first_token_at: float | None = None
        self._last_save = time.monotonic()

    @property
    def message_id(self) -> uuid.UUID:
        return self.spec.message_id

    def publish(self, event: ChatEvent) -> None:
        self._reply.publish(event)

    def end(self) -> None:
        """The task is over: listeners stop after the last event."""
        self._reply.end()

    async def listen(self, cursor: Cursor | None = None) -> AsyncIterator[bytes]:
        """Every event from the first (or ``cursor``), then live ones until the reply ends."""
        self._count_listener(+1)
        try:
            async for chunk in self._reply.follow(cursor):
                yield chunk
        finally:
            self._count_listener(-1)

    def _count_listener(self, delta: int) -> None:
        self.listeners += delta
        changed, self._listeners_changed = self._listeners_changed, asyncio.Event()
        changed.set()

    async def wait_for_listeners(self, count: int) -> None:
        """Until at least ``count`` clients listen (e.g. a re-attached tab has caught up)."""
        while self.listeners < count:
            await self._listeners_changed.wait()

    async def run(self) -> None:
        self._task = asyncio.current_task()
        started = time.monotonic()
        last = await self._generate()
        latency = int((time.monotonic() - started) * 1000)
        # The outcome is decided: saving it and telling the listeners are never cut half-way.
        # A shutdown's cut (or a stop) lands whenever it lands; before, one landing here withdrew
        # the final save or skipped the final event, so listeners read "interrupted" with no
        # text while the row was saved otherwise, or left to the janitor with older text.
        with contextlib.suppress(asyncio.CancelledError):
            await complete_despite_cancel(self._conclude(last, latency, started))

    async def _conclude(self, last: Attempt, latency: int, started: float) -> None:
        """Save the final state, then publish the usage and the final event."""
        self.final = await self._finish(last, latency)
        tokens_in, tokens_out, amount, exact = last.cost()
        if last.usage is not None or last.text:
            first_token = self._first_token_ms(started)
            usage = ChatUsageData(
                input_tokens=tokens_in,
                output_tokens=tokens_out,
                cost_usd=amount,
                cost_exact=exact,
                first_token_ms=first_token,
                latency_ms=latency,
                provider=last.plan.candidate.provider_name,
                model=last.plan.candidate.model,
            )
            self.publish(ChatUsageEvent(data=usage))
        if last.error is not None:
            error = ChatErrorData(
                code=last.error.code,
                message=_user_message(last.error),
                status=last.status,
                final=self.final,
            )
            self.publish(ChatErrorEvent(data=error))
        else:
            self.publish(ChatDoneEvent(data=ChatDoneData(status=last.status, final=self.final)))
        self.finished = True
        completed = self.spec.completed
        if (
            completed is not None
            and last.error is None
            and last.status == MessageStatus.COMPLETE
            and self.final is not None
        ):
            await completed(last)

    def _first_token_ms(self, started: float) -> int | None:
        first = self._first_token_at
        return int((first - started) * 1000) if first is not None else None

    async def _generate(self) -> Attempt:
        self._runner = CallRunner(
            self.spec.gate,
            self.spec.plans,
            self.spec.first,
            user_id=self.spec.user_id,
            retry=self.spec.retry,
            sleep=self._sleep,
            on_delta=self._delta,
            on_fallback=lambda info: self.publish(
                ChatFallbackEvent(data=ChatFallbackData.model_validate(info))
            ),
            stopped=lambda: self.stop_requested,
            metrics=self.spec.gate.metrics,
        )
        try:
            return await self._runner.run()
        except asyncio.CancelledError:
            # Cut outside the provider's stream (which decides its own outcome when cut):
            # between attempts, or while the finished stream was being closed.
            cut = self._cut_short(self._runner.attempts)
            if cut is None:
                raise
            return cut
        finally:
            self.attempts = self._runner.attempts
            self._first_token_at = self._runner.first_token_at

    def _cut_short(self, attempts: Sequence[Attempt]) -> Attempt | None:
        """The outcome of a reply cut outside a provider stream (None: no attempt began)."""
        if not attempts:
            return None
        last = attempts[-1]
        if last.status != MessageStatus.ERROR or last.text or last.delivered:
            return last  # the stream had ended (complete) or decided its cut itself
        # Failed before any text and waiting to retry or fall back: the cut ends it here.
        if self.stop_requested:
            last.status, last.error = MessageStatus.CANCELLED, None
        else:
            last.error = GenerationInterrupted(
                GenerationInterrupted.public_message, provider=last.plan.candidate.provider_name
            )
        return last

    async def _delta(self, attempt: Attempt, text: str) -> None:
        self.publish(ChatDeltaEvent(data=ChatDeltaData(text=text)))
        if time.monotonic() - self._last_save >= self._save_interval:
            self._last_save = time.monotonic()
            # Handed to the one writer (chat/saves.py); the stream never waits for the database.
            self._saves.offer(self.spec.message_id, attempt.content, self._row_gone)

    def _row_gone(self) -> None:
        """The row was deleted with its conversation, or closed by someone else (a stop on
        another replica, a janitor that took us for dead): stop generating and spending, settled
        as a stop is. This is how a replica that does not own a reply stops it."""
        if self.finished or self._finishing or self._task is None or self._task.done():
            return
        log.info("reply_row_gone", message_id=str(self.message_id))
        self.stop_requested = True
        self._task.cancel()

    async def _finish(self, last: Attempt, latency_ms: int) -> MessageOut | None:
        """Save the final state and every attempt's usage row in one transaction (retried),
        shared with other messages' writes (``db/writer.py``). Returns once committed: the
        ``done`` event is published after it, so a reply a listener saw end is saved."""
        self._finishing = True  # a partial save's answer can no longer cancel us
        self._saves.forget(self.spec.message_id)
        for tries in range(1, 6):
            now = self._clock()
            try:
                return await self._writer.write(
                    functools.partial(self._save_final, last, latency_ms, now)
                )
            except SQLAlchemyError as exc:
                log.error(
                    "final_save_failed",
                    message_id=str(self.message_id),
                    attempt=tries,
                    error=str(exc),
                )
                await asyncio.sleep(0.2 * tries)
        return None

    async def close_unfinished(
        self, status: MessageStatus, code: str, message: str
    ) -> MessageOut | None:
        """Close the row of a reply that ended without an outcome (a bug, or a cut before its
        first attempt): with the text its listeners saw, unless someone closed it already.
        Returns the saved row (None: gone, or the database refused; the janitor closes it)."""
        self._finishing = True
        self._saves.forget(self.spec.message_id)
        content = self.attempts[-1].content if self.attempts else None
        now = self._clock()

        async def job(db: AsyncSession) -> MessageOut | None:
            row = await db.get(Message, self.spec.message_id, populate_existing=True)
            if row is None:
                return None
            if row.status == MessageStatus.STREAMING:
                if content:
                    row.content = content
                row.status = status
                row.error_code = code
                row.error_message = message
                row.finished_at = now
                row.updated_at = now
                await db.flush()
            return MessageOut.model_validate(row)

        try:
            return await self._writer.write(job)
        except (SQLAlchemyError, AppError) as exc:  # AppError: the writer closed
            log.error("unfinished_save_failed", message_id=str(self.message_id), error=str(exc))
            return None

    async def _save_final(
        self, last: Attempt, latency_ms: int, now: datetime, db: AsyncSession
    ) -> MessageOut | None:
        """The writer's job: the reply row's final state and the attempts' usage rows."""
        tokens_in, tokens_out, amount, _ = last.cost()
        error = last.error
        candidate = last.plan.candidate
        row = await db.get(Message, self.spec.message_id, populate_existing=True)
        if row is not None and row.status in CLOSED_ELSEWHERE:
            # Closed meanwhile by someone else (a stop on another replica, a janitor that took
            # us for dead) before a partial save could tell us: that decision stands, with the
            # text we generated (and billed).
            last.status = row.status
        if row is not None:
            row.content = last.content
            row.status = last.status
            row.model = candidate.model
            row.provider = candidate.provider_name
            row.input_tokens = tokens_in
            row.output_tokens = tokens_out
            row.cost_usd = amount
            row.latency_ms = latency_ms
            row.error_code = error.code if error else None
            row.error_message = _user_message(error)[:1000] if error else None
            row.finished_at = now
            row.updated_at = now
        usage = SessionUsage(db)  # written with the reply, in one commit
        for attempt in self.attempts:
            # The conversation may have been deleted while the reply streamed.
            exists = row is not None
            usage.add(
                attempt_usage(
                    attempt,
                    user_id=self.spec.user_id,
                    created_at=now,
                    conversation_id=self.spec.conversation_id if exists else None,
                    message_id=self.spec.message_id if exists else None,
                )
            )
        await db.flush()
        return MessageOut.model_validate(row) if row is not None else None


def _user_message(error: ProviderError | AppError) -> str:
    """Ours, never the upstream's text (that is in the logs and for admins, see
    `lockgate.providers.errors`); the provider's configured name says which one failed. A failure
    the simulated provider injected for this message (a directive) was written by Lockgate about
    the user's own text, so its detail is theirs to read."""
    if isinstance(error, ProviderError):
        prefix = f"{error.provider}: " if error.provider else ""
        return prefix + error.public(requester=error.injected)
    return error.message
