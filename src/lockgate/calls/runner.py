"""Running one model call through the gate: attempts, retries, fallbacks, settlement.

Shared by chat replies (which save as they stream), titles and the ``/v1`` gateway (which
relays). Before the first token a retryable failure is retried on the same candidate (see
`lockgate.calls.retry`: tenacity's exponential ceiling, injectable jitter and sleep), then
the next candidate the gate admits is tried; after the first token nothing is retried — what
the caller already received is never replaced. Every attempt settles its gate ticket (budget,
breaker, lane) whatever happens, including cancellation; the breaker counts a failure by
`lockgate.calls.health.is_unhealthy`, the same rule as every other paid call.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any, ClassVar

from lockgate.calls.candidates import Admitted, Plan, admit_first
from lockgate.calls.health import is_unhealthy, outcome_label
from lockgate.calls.retry import Backoff, Jitter, retry_same
from lockgate.calls.upstream import observe
from lockgate.errors import AppError
from lockgate.gate import BudgetLimit, Gate, RetrySettings, Skip
from lockgate.models import MessageStatus, UsageKind, UsageOutcome
from lockgate.observability.logging import get_logger
from lockgate.observability.metrics import Metrics
from lockgate.observability.tracing import ProviderSpan, provider_span
from lockgate.providers.base import Finish, StreamEvent, TextDelta, Usage, UsageReport
from lockgate.providers.errors import ProviderError
from lockgate.providers.pricing import cost
from lockgate.providers.tokenizer import estimate_tokens
from lockgate.usage.service import usage_values

log = get_logger("lockgate.calls")
Sleep = Callable[[float], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class Delivered:
    """A source's event: something other than text (a tool call) reached the caller, so the
    attempt may no longer be retried or replaced."""


Event = StreamEvent | Delivered
Source = Callable[[Plan], AsyncIterator[Event]]


def provider_source(plan: Plan) -> AsyncIterator[Event]:
    """The default source: the candidate's provider streams the plan's (translated) request."""
    return plan.candidate.provider.stream_chat(plan.request)


class GenerationInterrupted(ProviderError):
    """The server shut down (or the task was cancelled) before the reply was finished."""

    code: ClassVar[str] = "interrupted"
    public_message: ClassVar[str] = "The server stopped before the reply was finished."


@dataclass(slots=True)
class Attempt:
    """One provider call; each becomes a usage row."""

    plan: Plan
    started: float
    text: list[str] = field(default_factory=list)
    usage: Usage | None = None
    finish_reason: str | None = None
    error: ProviderError | AppError | None = None
    status: MessageStatus = MessageStatus.COMPLETE
    ended: float = 0.0
    first_token_at: float | None = None
    delivered: bool = False

    @property
    def content(self) -> str:
        return "".join(self.text)

    @property
    def latency_ms(self) -> int:
        return int(((self.ended or time.monotonic()) - self.started) * 1000)

    def settlement(self) -> tuple[Decimal, int | None, bool]:
        """What the ticket settles: (cost, output tokens reported or None, estimated)."""
        _, _, amount, exact = self.cost()
        reported = self.usage.output_tokens if self.usage is not None else None
        return amount, reported, not exact

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


OUTCOMES = {
    MessageStatus.COMPLETE: UsageOutcome.OK,
    MessageStatus.CANCELLED: UsageOutcome.CANCELLED,
    MessageStatus.INCOMPLETE: UsageOutcome.INCOMPLETE,
    MessageStatus.ERROR: UsageOutcome.ERROR,
}


def attempt_usage(
    attempt: Attempt,
    *,
    user_id: uuid.UUID | None,
    created_at: datetime,
    conversation_id: uuid.UUID | None = None,
    message_id: uuid.UUID | None = None,
    api_key_id: uuid.UUID | None = None,
    kind: UsageKind = UsageKind.CHAT,
) -> dict[str, Any]:
    """The usage row of one provider call, as column values (see `usage_values`)."""
    tokens_in, tokens_out, amount, exact = attempt.cost()
    return usage_values(
        user_id=user_id,
        kind=kind,
        provider=attempt.plan.candidate.provider_name,
        model=attempt.plan.candidate.model,
        outcome=OUTCOMES[attempt.status],
        created_at=created_at,
        input_tokens=tokens_in,
        output_tokens=tokens_out,
        cost_usd=amount,
        cost_exact=exact,
        latency_ms=attempt.latency_ms,
        conversation_id=conversation_id,
        message_id=message_id,
        api_key_id=api_key_id,
        error_code=attempt.error.code if attempt.error else None,
    )


class CallRunner:
    """Attempts until one succeeds, a token has been delivered, or no candidate is left."""

    def __init__(
        self,
        gate: Gate,
        plans: Sequence[Plan | None],
        first: Admitted,
        *,
        user_id: uuid.UUID | None,
        retry: RetrySettings,
        sleep: Sleep,
        on_delta: Callable[[Attempt, str], Awaitable[None] | None],
        on_fallback: Callable[[dict[str, Any]], None] | None = None,
        stopped: Callable[[], bool] = lambda: False,
        extra_limits: Sequence[BudgetLimit] = (),
        metrics: Metrics | None = None,
        source: Source = provider_source,
        jitter: Jitter | None = None,
        key_id: uuid.UUID | None = None,
    ) -> None:
        self.gate = gate
        self.source = source
        self.plans = plans
        self.first = first
        self.user_id = user_id
        self.backoff = Backoff(retry, jitter)
        self.sleep = sleep
        self.on_delta = on_delta
        self.on_fallback = on_fallback
        self.stopped = stopped
        self.extra_limits = extra_limits
        self.key_id = key_id
        self.metrics = metrics
        self.attempts: list[Attempt] = []
        self.first_token_at: float | None = None

    async def run(self) -> Attempt:
        admitted = self.first
        tries = 1
        skips: list[Skip] = []
        while True:
            attempt = Attempt(plan=admitted.plan, started=time.monotonic())
            self.attempts.append(attempt)
            await self._call(attempt, admitted)
            error = attempt.error
            delivered = attempt.text or attempt.delivered
            if error is None or delivered or not isinstance(error, ProviderError):
                return attempt
            if self.stopped():
                return attempt
            if retry_same(error) and tries < self.backoff.attempts:
                await self.sleep(self.backoff.delay(tries))
                tries += 1
                again = await self._admit([admitted.plan], 0, skips)
                if again is not None:
                    admitted = Admitted(admitted.index, admitted.plan, again.ticket)
                    continue
            following = await self._admit(self.plans, admitted.index + 1, skips)
            if following is None:
                return attempt
            if self.on_fallback is not None:
                self.on_fallback(
                    {
                        "from_provider": admitted.plan.candidate.provider_name,
                        "from_model": admitted.plan.candidate.model,
                        "to_provider": following.plan.candidate.provider_name,
                        "to_model": following.plan.candidate.model,
                        "reason": error.code,
                    }
                )
            admitted, tries = following, 1

    async def _admit(
        self, plans: Sequence[Plan | None], start: int, skips: list[Skip]
    ) -> Admitted | None:
        try:
            return await admit_first(
                self.gate,
                plans,
                start=start,
                user_id=self.user_id,
                skips=skips,
                extra_limits=self.extra_limits,
                key_id=self.key_id,
            )
        except AppError as exc:  # e.g. the caller's own budget is now spent
            log.info("fallback_refused", code=exc.code)
            return None

    async def _call(self, attempt: Attempt, admitted: Admitted) -> None:
        """One provider call, traced (GenAI conventions) and measured; its ticket is settled."""
        candidate = admitted.plan.candidate
        request = admitted.plan.request
        with provider_span(
            candidate.provider.kind,
            request.model,
            max_tokens=request.max_tokens,
            candidate=admitted.index,
        ) as span:
            first_token: float | None = None
            try:
                await self._stream(attempt, admitted, span)
            finally:
                attempt.ended = time.monotonic()
                tokens_in, tokens_out, amount, _ = attempt.cost()
                span.record_usage(tokens_in, tokens_out)
                span.record_cost(amount)
                if attempt.finish_reason:
                    span.record_finish([attempt.finish_reason])
                if attempt.error is not None:
                    span.record_error(attempt.error.code)
                if self.metrics is not None:
                    first_token = attempt.first_token_at
                    self.metrics.observe_provider_call(
                        candidate.provider_name,
                        candidate.model,
                        outcome_label(
                            attempt.error.code if attempt.error else None,
                            cancelled=attempt.status == MessageStatus.CANCELLED,
                        ),
                        attempt.ended - attempt.started,
                        first_token - attempt.started if first_token is not None else None,
                        tokens_in,
                        tokens_out,
                        amount,
                    )

    async def _stream(self, attempt: Attempt, admitted: Admitted, span: ProviderSpan) -> None:
        candidate = admitted.plan.candidate
        ticket = admitted.ticket
        stream = self.source(admitted.plan)
        try:
            async for event in stream:
                if isinstance(event, TextDelta) and event.text:
                    if attempt.first_token_at is None:
                        attempt.first_token_at = time.monotonic()
                        span.first_token()
                    if self.first_token_at is None:
                        self.first_token_at = attempt.first_token_at
                    attempt.text.append(event.text)
                    result = self.on_delta(attempt, event.text)
                    if result is not None:
                        await result
                elif isinstance(event, UsageReport):
                    attempt.usage = event.usage
                elif isinstance(event, Finish):
                    attempt.finish_reason = event.reason
                elif isinstance(event, Delivered):
                    attempt.delivered = True
            amount, reported, estimated = attempt.settlement()
            await ticket.succeeded(amount, output_tokens=reported, estimated=estimated)
        except ProviderError as exc:
            attempt.error = exc
            partial = attempt.text or attempt.delivered
            attempt.status = MessageStatus.INCOMPLETE if partial else MessageStatus.ERROR
            amount, reported, estimated = attempt.settlement()
            await ticket.failed(
                amount,
                unhealthy=is_unhealthy(exc),
                output_tokens=reported,
                estimated=estimated,
            )
            await observe(self.gate, candidate, exc)
        except asyncio.CancelledError:
            # Cancelled on purpose (stop, client gone) or by shutdown (cut short).
            if self.stopped():
                attempt.status = MessageStatus.CANCELLED
            else:
                attempt.status = MessageStatus.INCOMPLETE
                attempt.error = GenerationInterrupted(
                    "The server stopped before the reply was finished.",
                    provider=candidate.provider_name,
                )
            amount, reported, estimated = attempt.settlement()
            await ticket.abandoned(amount, output_tokens=reported, estimated=estimated)
        else:
            await observe(self.gate, candidate)
        finally:
            # A stop lands between two events: close the upstream stream now (its connection
            # goes back or is dropped) rather than whenever the generator is collected.
            close = getattr(stream, "aclose", None)
            if close is not None:
                try:
                    await close()
                except Exception as exc:  # the outcome is already decided; keep it
                    log.warning("provider_stream_close_failed", error=repr(exc))
