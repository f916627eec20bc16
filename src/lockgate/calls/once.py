"""One-shot paid calls (images, embeddings): admit → call → settle → one usage row.

The same steps as a streamed call (`lockgate.calls.runner`) for calls that answer in one piece
and are neither retried nor passed to a fallback (a retried image would be paid twice)::

    spend = await call_once(gate, candidate, owner, bound, invoke, measure, kind=..., usage=...)

The ticket is admitted for ``bound`` (the upper-bound cost: what a refusal is judged on), settled
with the exact cost ``measure`` reports, and the breaker counts a failure by `is_unhealthy`. A
refusal (budget spent, breaker open, overloaded) raises the client-facing error of `refusal`
before anything is called or recorded. One-shot calls are not answered from the response cache
(an image is asked for anew; embeddings are memoised by the vector layer, `CachedEmbedder`).
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TypeVar

from lockgate.calls.candidates import Candidate, refusal
from lockgate.calls.health import is_unhealthy, outcome_label
from lockgate.calls.upstream import observe
from lockgate.calls.usage import UsageSink
from lockgate.clock import Clock
from lockgate.gate import BudgetLimit, Gate, Skip, Ticket
from lockgate.models import UsageKind, UsageOutcome
from lockgate.observability.tracing import provider_span
from lockgate.providers.base import Provider
from lockgate.providers.errors import ProviderError
from lockgate.usage.service import usage_values

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Owner:
    """Who pays: the user (web) or the key's user plus the key's own budgets (``/v1``)."""

    user_id: uuid.UUID | None
    api_key_id: uuid.UUID | None = None
    limits: Sequence[BudgetLimit] = ()


@dataclass(frozen=True, slots=True)
class Bound:
    """What is reserved before the call: the upper-bound cost and tokens (for headroom)."""

    cost: Decimal
    tokens: int = 0


@dataclass(frozen=True, slots=True)
class Spend:
    """What a call (or a refused answer that was still delivered) cost."""

    cost: Decimal = Decimal(0)
    input_tokens: int = 0
    images: int = 0


async def admit_one(gate: Gate, candidate: Candidate, owner: Owner, bound: Bound) -> Ticket:
    """Admit the call or raise the client-facing refusal (``budget_exceeded``, 503 ...)."""
    try:
        return await gate.admit(
            candidate.provider_name,
            user_id=owner.user_id,
            upper_bound=bound.cost,
            tokens=bound.tokens,
            extra_limits=owner.limits,
            breaker=candidate.breaker_name,
            model=candidate.model,
            key_id=owner.api_key_id,
        )
    except Skip as skip:
        raise refusal(candidate.model, [skip], gate) from None


async def call_once(
    gate: Gate,
    candidate: Candidate,
    owner: Owner,
    bound: Bound,
    invoke: Callable[[Provider], Awaitable[T]],
    measure: Callable[[T | None], Spend],
    *,
    kind: UsageKind,
    usage: UsageSink,
    clock: Clock,
    check: Callable[[T], None] | None = None,
    operation: str = "generate_content",
) -> T:
    """Run ``invoke`` once under a ticket; ``measure(None)`` prices a call that returned nothing.

    ``check`` may refuse an answer (raise a `ProviderError`, e.g. images whose bytes are not of
    the declared type): the call is then a failure, but what was delivered is still paid for.
    Traced (``operation`` is the GenAI operation name) and measured like a streamed call.
    """
    ticket = await admit_one(gate, candidate, owner, bound)
    ledger = _Ledger(gate, candidate, owner, kind, usage, clock)
    with provider_span(candidate.provider.kind, candidate.upstream, operation=operation) as span:
        result: T | None = None
        try:
            result = await invoke(candidate.provider)
            if check is not None:
                check(result)
        except ProviderError as exc:
            spend = measure(result)
            await ticket.failed(spend.cost, unhealthy=is_unhealthy(exc))
            span.record_error(exc.code)
            ledger.record(spend, exc)
            await observe(gate, candidate, exc)
            raise
        except BaseException:
            await ticket.abandoned(Decimal(0))
            raise
        spend = measure(result)
        await ticket.succeeded(spend.cost)
        span.record_usage(spend.input_tokens, 0)
        span.record_cost(spend.cost)
        ledger.record(spend)
        await observe(gate, candidate)
        return result


@dataclass(slots=True)
class _Ledger:
    """What one attempt leaves behind: its usage row and its provider metrics."""

    gate: Gate
    candidate: Candidate
    owner: Owner
    kind: UsageKind
    usage: UsageSink
    clock: Clock
    started: float = field(default_factory=time.monotonic)

    def record(self, spend: Spend, error: ProviderError | None = None) -> None:
        elapsed = time.monotonic() - self.started
        code = None if error is None else error.code
        if self.gate.metrics is not None:
            self.gate.metrics.observe_provider_call(
                self.candidate.provider_name,
                self.candidate.model,
                outcome_label(code),
                elapsed,
                None,
                spend.input_tokens,
                0,
                spend.cost,
            )
        self.usage.add(
            usage_values(
                user_id=self.owner.user_id,
                kind=self.kind,
                provider=self.candidate.provider_name,
                model=self.candidate.model,
                outcome=UsageOutcome.OK if error is None else UsageOutcome.ERROR,
                created_at=self.clock(),
                input_tokens=spend.input_tokens,
                images=spend.images,
                cost_usd=spend.cost,
                latency_ms=round(elapsed * 1000),
                api_key_id=self.owner.api_key_id,
                error_code=code,
            )
        )
