"""One assistant reply being generated: runs on its own, independent of any HTTP client.

The reply is a task owned by the :class:`~lockgate.chat.manager.ChatManager`, not by the request
that started it: a client that disconnects only stops *listening*. Every event is kept, so any
number of listeners can attach late and get the whole stream (replay + live tail). The text is
saved as it grows (throttled), and finally with tokens, cost and latency.

Failures before the first token are retried on the same candidate (full-jitter backoff) and then
on the next candidate the gate admits (``fallback`` event); after the first token the reply is
kept as ``incomplete`` — text the user already saw is never replaced.
"""

from __future__ import annotations

import asyncio
import random
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, ClassVar

from sqlalchemy import update
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from lockgate.chat.events import encode
from lockgate.chat.routing import Admitted, Plan, admit_first
from lockgate.clock import Clock
from lockgate.conversations.schemas import MessageOut
from lockgate.errors import AppError
from lockgate.gate.config import RetrySettings
from lockgate.gate.service import Gate, Skip
from lockgate.models import Message, MessageStatus, UsageKind, UsageOutcome
from lockgate.observability.logging import get_logger
from lockgate.providers.base import TextDelta, Usage, UsageReport
from lockgate.providers.errors import (
    ProviderBadResponse,
    ProviderError,
    ProviderRateLimited,
    ProviderTimeout,
    ProviderUnavailable,
)
from lockgate.providers.pricing import cost
from lockgate.providers.tokenizer import estimate_tokens
from lockgate.usage.service import record_usage

log = get_logger("lockgate.chat")
Sleep = Callable[[float], Awaitable[None]]
UNHEALTHY = (ProviderUnavailable, ProviderTimeout, ProviderBadResponse)
OUTCOMES = {
    MessageStatus.COMPLETE: UsageOutcome.OK,
    MessageStatus.CANCELLED: UsageOutcome.CANCELLED,
    MessageStatus.INCOMPLETE: UsageOutcome.INCOMPLETE,
    MessageStatus.ERROR: UsageOutcome.ERROR,
}


class GenerationInterrupted(ProviderError):
    """The server shut down (or the task was cancelled) before the reply was finished."""

    code: ClassVar[str] = "interrupted"


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


@dataclass(slots=True)
class Attempt:
    """One provider call; each becomes a usage row."""

    plan: Plan
    started: float
    text: list[str] = field(default_factory=list)
    usage: Usage | None = None
    error: ProviderError | AppError | None = None
    status: MessageStatus = MessageStatus.COMPLETE
    ended: float = 0.0

    @property
    def content(self) -> str:
        return "".join(self.text)

    def cost(self) -> tuple[int, int, Decimal, bool]:
        """(input tokens, output tokens, cost, exact) — estimated if the provider reported none."""
        price = self.plan.candidate.price
        if self.usage is not None:
            return self.usage.input_tokens, self.usage.output_tokens, cost(price, self.usage), True
        if not self.text:
            return 0, 0, Decimal(0), True
        estimated = Usage(
            input_tokens=sum(estimate_tokens(m.content) for m in self.plan.request.messages),
            output_tokens=estimate_tokens(self.content),
        )
        return estimated.input_tokens, estimated.output_tokens, cost(price, estimated), False


class Generation:
    def __init__(
        self,
        spec: GenerationSpec,
        sessionmaker: async_sessionmaker[AsyncSession],
        clock: Clock,
        save_interval: float,
        sleep: Sleep,
    ) -> None:
        self.spec = spec
        self._sessionmaker = sessionmaker
        self._clock = clock
        self._save_interval = save_interval
        self._sleep = sleep
        self._events: list[bytes] = []
        self._wake = asyncio.Event()
        self.finished = False
        self.stop_requested = False
        self.final: MessageOut | None = None
        self.listeners = 0
        self._listeners_changed = asyncio.Event()
        self.attempts: list[Attempt] = []
        self._first_token_at: float | None = None

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
        started = time.monotonic()
        last = await self._generate()
        latency = int((time.monotonic() - started) * 1000)
        self.final = await self._finish(last, latency)
        tokens_in, tokens_out, amount, exact = last.cost()
        if last.usage is not None or last.text:
            first_token = self._first_token_ms(started)
            self.publish(
                "usage",
                {
                    "input_tokens": tokens_in,
                    "output_tokens": tokens_out,
                    "cost_usd": amount,
                    "cost_exact": exact,
                    "first_token_ms": first_token,
                    "latency_ms": latency,
                    "provider": last.plan.candidate.provider_name,
                    "model": last.plan.candidate.model,
                },
            )
        final = self.final.model_dump(mode="json") if self.final else None
        if last.error is not None:
            self.publish(
                "error",
                {
                    "code": last.error.code,
                    "message": _user_message(last.error),
                    "status": last.status.value,
                    "final": final,
                },
            )
        else:
            self.publish("done", {"status": last.status.value, "final": final})
        self.finished = True
        self._wake.set()

    def _first_token_ms(self, started: float) -> int | None:
        first = self._first_token_at
        return int((first - started) * 1000) if first is not None else None

    async def _generate(self) -> Attempt:
        """Attempts until one succeeds, a token has been shown, or no candidate is left."""
        admitted = self.spec.first
        tries = 1
        skips: list[Skip] = []
        while True:
            attempt = Attempt(plan=admitted.plan, started=time.monotonic())
            self.attempts.append(attempt)
            await self._call(attempt, admitted)
            error = attempt.error
            if error is None or attempt.text or not isinstance(error, ProviderError):
                return attempt
            if self.stop_requested:
                return attempt
            same_again = error.retryable and not isinstance(error, ProviderRateLimited)
            if same_again and tries < self.spec.retry.attempts:
                await self._sleep(self._backoff(tries))
                tries += 1
                again = await self._admit([admitted.plan], 0, skips)
                if again is not None:
                    admitted = Admitted(admitted.index, admitted.plan, again.ticket)
                    continue
            following = await self._admit(self.spec.plans, admitted.index + 1, skips)
            if following is None:
                return attempt
            self.publish(
                "fallback",
                {
                    "from_provider": admitted.plan.candidate.provider_name,
                    "from_model": admitted.plan.candidate.model,
                    "to_provider": following.plan.candidate.provider_name,
                    "to_model": following.plan.candidate.model,
                    "reason": error.code,
                },
            )
            admitted, tries = following, 1

    async def _admit(
        self, plans: Sequence[Plan | None], start: int, skips: list[Skip]
    ) -> Admitted | None:
        try:
            return await admit_first(
                self.spec.gate, plans, start=start, user_id=self.spec.user_id, skips=skips
            )
        except AppError as exc:  # e.g. the user's own budget is now spent
            log.info("fallback_refused", message_id=str(self.message_id), code=exc.code)
            return None

    def _backoff(self, tries: int) -> float:
        retry = self.spec.retry
        ceiling = min(retry.max_backoff_seconds, retry.initial_backoff_seconds * 2 ** (tries - 1))
        return random.uniform(0, ceiling)  # full jitter

    async def _call(self, attempt: Attempt, admitted: Admitted) -> None:
        """Stream one provider call into ``attempt``; settle its gate ticket in every case."""
        candidate = admitted.plan.candidate
        gate, ticket = self.spec.gate, admitted.ticket
        last_save = time.monotonic()
        try:
            async for event in candidate.provider.stream_chat(admitted.plan.request):
                if isinstance(event, TextDelta) and event.text:
                    if self._first_token_at is None:
                        self._first_token_at = time.monotonic()
                    attempt.text.append(event.text)
                    self.publish("delta", {"text": event.text})
                    if time.monotonic() - last_save >= self._save_interval:
                        last_save = time.monotonic()
                        await self._save_partial(attempt.content)
                elif isinstance(event, UsageReport):
                    attempt.usage = event.usage
            await ticket.succeeded(attempt.cost()[2])
        except ProviderError as exc:
            attempt.error = exc
            attempt.status = MessageStatus.INCOMPLETE if attempt.text else MessageStatus.ERROR
            await ticket.failed(attempt.cost()[2], unhealthy=isinstance(exc, UNHEALTHY))
            await gate.note_error(candidate.provider_name, exc.code, exc.message)
            retry_after = exc.retry_after if isinstance(exc, ProviderRateLimited) else None
            await gate.observe_upstream(
                candidate.provider_name,
                candidate.provider.last_rate_limit,
                retry_after=retry_after,
            )
        except asyncio.CancelledError:
            # Cancelled by stop() (the user asked) or by shutdown (the reply was cut short).
            if self.stop_requested:
                attempt.status = MessageStatus.CANCELLED
            else:
                attempt.status = MessageStatus.INCOMPLETE
                attempt.error = GenerationInterrupted(
                    "The server stopped before the reply was finished.",
                    provider=candidate.provider_name,
                )
            await ticket.abandoned(attempt.cost()[2])
        else:
            await gate.observe_upstream(candidate.provider_name, candidate.provider.last_rate_limit)
        attempt.ended = time.monotonic()

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

    async def _finish(self, last: Attempt, latency_ms: int) -> MessageOut | None:
        """Save the final state and every attempt's usage row in one transaction (retried)."""
        tokens_in, tokens_out, amount, _ = last.cost()
        error = last.error
        candidate = last.plan.candidate
        for tries in range(1, 6):
            now = self._clock()
            try:
                async with self._sessionmaker() as db:
                    row = await db.get(Message, self.spec.message_id)
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
                    for attempt in self.attempts:
                        self._record(db, attempt, now, exists=row is not None)
                    await db.commit()
                    return MessageOut.model_validate(row) if row is not None else None
            except SQLAlchemyError as exc:
                log.error(
                    "final_save_failed",
                    message_id=str(self.message_id),
                    attempt=tries,
                    error=str(exc),
                )
                await asyncio.sleep(0.2 * tries)
        return None

    def _record(self, db: AsyncSession, attempt: Attempt, now: Any, *, exists: bool) -> None:
        tokens_in, tokens_out, amount, exact = attempt.cost()
        error = attempt.error
        record_usage(
            db,
            user_id=self.spec.user_id,
            kind=UsageKind.CHAT,
            provider=attempt.plan.candidate.provider_name,
            model=attempt.plan.candidate.model,
            outcome=OUTCOMES[attempt.status],
            created_at=now,
            input_tokens=tokens_in,
            output_tokens=tokens_out,
            cost_usd=amount,
            cost_exact=exact,
            latency_ms=int(((attempt.ended or time.monotonic()) - attempt.started) * 1000),
            # The conversation may have been deleted while the reply streamed.
            conversation_id=self.spec.conversation_id if exists else None,
            message_id=self.spec.message_id if exists else None,
            error_code=error.code if error else None,
        )


def _user_message(error: ProviderError | AppError) -> str:
    if isinstance(error, ProviderError) and error.provider:
        return f"{error.provider}: {error.message}"
    return error.message
