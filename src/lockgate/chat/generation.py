"""One assistant reply being generated: runs on its own, independent of any HTTP client.

The reply is a task owned by the :class:`~lockgate.chat.manager.ChatManager`, not by the request
that started it: a client that disconnects only stops *listening*. Every event is kept, so any
number of listeners can attach late and get the whole stream (replay + live tail). The text is
saved to the database as it grows (throttled), and finally with tokens, cost and latency.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, ClassVar

from sqlalchemy import update
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from lockgate.chat.events import encode
from lockgate.clock import Clock
from lockgate.conversations.schemas import MessageOut
from lockgate.models import Message, MessageStatus, UsageKind, UsageOutcome
from lockgate.observability.logging import get_logger
from lockgate.providers.base import ChatRequest, Provider, TextDelta, Usage, UsageReport
from lockgate.providers.config import Price
from lockgate.providers.errors import ProviderError
from lockgate.providers.pricing import cost
from lockgate.providers.tokenizer import estimate_tokens
from lockgate.usage.service import record_usage

log = get_logger("lockgate.chat")

OUTCOMES = {
    MessageStatus.COMPLETE: UsageOutcome.OK,
    MessageStatus.CANCELLED: UsageOutcome.CANCELLED,
    MessageStatus.INCOMPLETE: UsageOutcome.INCOMPLETE,
    MessageStatus.ERROR: UsageOutcome.ERROR,
}


@dataclass(frozen=True, slots=True)
class GenerationSpec:
    """Everything a reply needs, resolved and validated before the task starts."""

    message_id: uuid.UUID
    conversation_id: uuid.UUID
    user_id: uuid.UUID
    model: str
    provider_name: str
    provider: Provider
    request: ChatRequest
    price: Price
    max_cost_usd: Decimal


@dataclass(slots=True)
class Outcome:
    status: MessageStatus
    content: str
    usage: Usage | None
    error: ProviderError | None
    latency_ms: int
    first_token_ms: int | None


class Generation:
    def __init__(
        self,
        spec: GenerationSpec,
        sessionmaker: async_sessionmaker[AsyncSession],
        clock: Clock,
        save_interval: float,
    ) -> None:
        self.spec = spec
        self._sessionmaker = sessionmaker
        self._clock = clock
        self._save_interval = save_interval
        self._events: list[bytes] = []
        self._wake = asyncio.Event()
        self.finished = False
        self.stop_requested = False
        self.final: MessageOut | None = None
        self.listeners = 0
        self._listeners_changed = asyncio.Event()

    @property
    def message_id(self) -> uuid.UUID:
        return self.spec.message_id

    def publish(self, event: str, data: Any) -> None:
        self._events.append(encode(event, data))
        wake, self._wake = self._wake, asyncio.Event()
        wake.set()

    async def listen(self) -> AsyncIterator[bytes]:
        """Every event from the first, then live ones until the reply ends."""
        self._count_listener(+1)
        try:
            index = 0
            while True:
                while index < len(self._events):
                    yield self._events[index]
                    index += 1
                if self.finished:
                    return
                await self._wake.wait()
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
        outcome = await self._stream()
        self.final = await self._finish(outcome)
        input_tokens, output_tokens, amount, exact = self._usage_and_cost(outcome)
        if outcome.usage is not None or outcome.content:
            self.publish(
                "usage",
                {
                    "input_tokens": input_tokens,
                    "output_tokens": output_tokens,
                    "cost_usd": amount,
                    "cost_exact": exact,
                    "first_token_ms": outcome.first_token_ms,
                    "latency_ms": outcome.latency_ms,
                },
            )
        final = self.final.model_dump(mode="json") if self.final else None
        if outcome.error is not None:
            self.publish(
                "error",
                {
                    "code": outcome.error.code,
                    "message": _user_message(outcome.error),
                    "status": outcome.status.value,
                    "final": final,
                },
            )
        else:
            self.publish("done", {"status": outcome.status.value, "final": final})
        self.finished = True
        self._wake.set()

    async def _stream(self) -> Outcome:
        started = time.monotonic()
        parts: list[str] = []
        usage: Usage | None = None
        error: ProviderError | None = None
        first_token: float | None = None
        last_save = started
        status = MessageStatus.COMPLETE
        try:
            async for event in self.spec.provider.stream_chat(self.spec.request):
                if isinstance(event, TextDelta) and event.text:
                    if first_token is None:
                        first_token = time.monotonic()
                    parts.append(event.text)
                    self.publish("delta", {"text": event.text})
                    if time.monotonic() - last_save >= self._save_interval:
                        last_save = time.monotonic()
                        await self._save_partial("".join(parts))
                elif isinstance(event, UsageReport):
                    usage = event.usage
        except ProviderError as exc:
            error = exc
            status = MessageStatus.INCOMPLETE if parts else MessageStatus.ERROR
        except asyncio.CancelledError:
            # Cancelled by stop() (the user asked) or by shutdown (the reply was cut short).
            status = MessageStatus.CANCELLED if self.stop_requested else MessageStatus.INCOMPLETE
            if not self.stop_requested:
                error = _interrupted(self.spec.provider_name)
        latency = int((time.monotonic() - started) * 1000)
        first_ms = int((first_token - started) * 1000) if first_token is not None else None
        return Outcome(status, "".join(parts), usage, error, latency, first_ms)

    async def _save_partial(self, content: str) -> None:
        try:
            async with self._sessionmaker() as db:
                await db.execute(
                    update(Message)
                    .where(Message.id == self.spec.message_id)
                    .values(content=content, updated_at=self._clock())
                )
                await db.commit()
        except SQLAlchemyError as exc:  # the final save retries; streaming goes on
            log.warning("partial_save_failed", message_id=str(self.message_id), error=str(exc))

    def _usage_and_cost(self, outcome: Outcome) -> tuple[int, int, Decimal, bool]:
        if outcome.usage is not None:
            usage = outcome.usage
            return usage.input_tokens, usage.output_tokens, cost(self.spec.price, usage), True
        if not outcome.content:
            return 0, 0, Decimal(0), True
        # No usage from the provider (stream cut): estimate what it will likely bill.
        estimated = Usage(
            input_tokens=sum(estimate_tokens(m.content) for m in self.spec.request.messages),
            output_tokens=estimate_tokens(outcome.content),
        )
        return (
            estimated.input_tokens,
            estimated.output_tokens,
            cost(self.spec.price, estimated),
            False,
        )

    async def _finish(self, outcome: Outcome) -> MessageOut | None:
        """Save the final state and its usage row in one transaction (retried: never lost)."""
        input_tokens, output_tokens, amount, exact = self._usage_and_cost(outcome)
        error = outcome.error
        for attempt in range(1, 6):
            now = self._clock()
            try:
                async with self._sessionmaker() as db:
                    row = await db.get(Message, self.spec.message_id)
                    if row is not None:
                        row.content = outcome.content
                        row.status = outcome.status
                        row.input_tokens = input_tokens
                        row.output_tokens = output_tokens
                        row.cost_usd = amount
                        row.latency_ms = outcome.latency_ms
                        row.error_code = error.code if error else None
                        row.error_message = _user_message(error)[:1000] if error else None
                        row.finished_at = now
                        row.updated_at = now
                    record_usage(
                        db,
                        user_id=self.spec.user_id,
                        kind=UsageKind.CHAT,
                        provider=self.spec.provider_name,
                        model=self.spec.model,
                        outcome=OUTCOMES[outcome.status],
                        created_at=now,
                        input_tokens=input_tokens,
                        output_tokens=output_tokens,
                        cost_usd=amount,
                        cost_exact=exact,
                        latency_ms=outcome.latency_ms,
                        # The conversation may have been deleted while the reply streamed.
                        conversation_id=self.spec.conversation_id if row else None,
                        message_id=self.spec.message_id if row else None,
                        error_code=error.code if error else None,
                    )
                    await db.commit()
                    return MessageOut.model_validate(row) if row is not None else None
            except SQLAlchemyError as exc:
                log.error(
                    "final_save_failed",
                    message_id=str(self.message_id),
                    attempt=attempt,
                    error=str(exc),
                )
                await asyncio.sleep(0.2 * attempt)
        return None


class GenerationInterrupted(ProviderError):
    """The server shut down (or the task was cancelled) before the reply was finished."""

    code: ClassVar[str] = "interrupted"


def _user_message(error: ProviderError) -> str:
    return f"{error.provider}: {error.message}" if error.provider else error.message


def _interrupted(provider: str) -> ProviderError:
    return GenerationInterrupted(
        "The server stopped before the reply was finished.", provider=provider
    )
