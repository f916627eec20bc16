"""From a model name to ordered candidates, and admitting the first one the gate lets through.

Step 3 and 4 of the call path (see `lockgate.calls`): every paid call, streamed or one-shot,
gets its candidates here and is admitted by `admit_first`; the refusal a client sees when none
is admitted comes from `refusal`. The response cache is looked up *before* `admit_first` (a hit
never reserves anything; see `lockgate.calls.cached`).

``gpt-4o-mini`` with ``fallbacks: [azure-4o-mini, local-llama]`` gives three candidates; each is a
(model, provider) pair with its own price, limits and upstream name. A candidate the gate skips
(open breaker, spent provider budget, no headroom, full queue) is passed over; when all are, the
most telling refusal is returned to the client.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from lockgate.calls.context import ContextTooLong, fit_to_context
from lockgate.errors import AppError
from lockgate.gate import (
    BudgetExhausted,
    BudgetLimit,
    Gate,
    GateOverloaded,
    ProvidersUnavailable,
    Skip,
    Ticket,
    best_refusal,
)
from lockgate.gate.ratelimit.pending import PendingHit
from lockgate.humanize import moment
from lockgate.providers.base import ChatMessage, ChatRequest, Provider
from lockgate.providers.config import ModelConfig, Price
from lockgate.providers.image_tokens import rule_for
from lockgate.providers.pricing import price_for, upper_bound_cost
from lockgate.providers.registry import ProviderRegistry
from lockgate.providers.tokenizer import prompt_tokens_upper_bound
from lockgate.settings import FileConfig


@dataclass(frozen=True, slots=True)
class Candidate:
    model: str
    config: ModelConfig
    provider_name: str
    provider: Provider
    price: Price

    @property
    def upstream(self) -> str:
        return self.config.upstream_name(self.model)

    @property
    def breaker_name(self) -> str:
        if self.config.breaker_per_model:
            return f"{self.provider_name}:{self.model}"
        return self.provider_name


@dataclass(frozen=True, slots=True)
class Plan:
    """One candidate's request, fitted to its own context window and output limit."""

    candidate: Candidate
    request: ChatRequest
    upper_bound: Decimal
    tokens: int


@dataclass(slots=True)
class Admitted:
    index: int
    plan: Plan
    ticket: Ticket


def as_candidate(name: str, config: ModelConfig, providers: ProviderRegistry) -> Candidate:
    """The one candidate a model is: its provider, and its price for its upstream name."""
    return Candidate(
        model=name,
        config=config,
        provider_name=config.provider,
        provider=providers.get(config.provider),
        price=price_for(config.upstream_name(name), config.price),
    )


def candidates_for(model: str, file: FileConfig, providers: ProviderRegistry) -> list[Candidate]:
    """The model, then its fallbacks, in order (each once)."""
    names = [model, *file.models[model].fallbacks]
    return [as_candidate(name, file.models[name], providers) for name in dict.fromkeys(names)]


def plan(
    candidate: Candidate,
    system_prompt: str,
    turns: Sequence[ChatMessage],
    *,
    max_tokens: int,
    temperature: float | None,
    extra: Mapping[str, Any] | None = None,
) -> Plan:
    """Raises :class:`ContextTooLong` when the newest turn does not fit this candidate."""
    limit = min(max_tokens, candidate.config.max_output_tokens)
    history = fit_to_context(
        system_prompt,
        turns,
        context_window=candidate.config.context_window,
        max_tokens=limit,
        model=candidate.model,
    )
    request = ChatRequest(
        model=candidate.upstream,
        messages=history,
        max_tokens=limit,
        temperature=temperature,
        extra=extra or {},
    )
    images = image_tokens_bound(candidate, history)
    return Plan(
        candidate=candidate,
        request=request,
        upper_bound=upper_bound_cost(candidate.price, history, limit, extra_input=images),
        tokens=prompt_tokens_upper_bound(history) + limit + images,
    )


def image_tokens_bound(candidate: Candidate, messages: Sequence[ChatMessage]) -> int:
    """The most the messages' images can cost on this candidate: each at its model's maximum
    (`providers.image_tokens`; a URL's size is unknown, and Lockgate never fetches it)."""
    count = sum(len(message.images) for message in messages)
    if not count:
        return 0
    return count * rule_for(candidate.upstream, candidate.config.max_image_tokens).max_tokens


async def admit_first(
    gate: Gate,
    plans: Sequence[Plan | None],
    *,
    start: int,
    user_id: uuid.UUID | None,
    skips: list[Skip],
    extra_limits: Sequence[BudgetLimit] = (),
    key_id: uuid.UUID | None = None,
    hit: PendingHit | None = None,
) -> Admitted | None:
    """The first plan from ``start`` that the gate admits (``None`` plans are passed over);
    ``key_id`` is the API key calling (its team may differ from its owner's); ``hit`` the
    request's HTTP limit not counted yet (counted by the first admit, in its round trip)."""
    for index in range(start, len(plans)):
        current = plans[index]
        if current is None:
            continue
        try:
            ticket = await gate.admit(
                current.candidate.provider_name,
                user_id=user_id,
                upper_bound=current.upper_bound,
                tokens=current.tokens,
                extra_limits=extra_limits,
                breaker=current.candidate.breaker_name,
                model=current.candidate.model,
                max_tokens=current.request.max_tokens,
                key_id=key_id,
                hit=hit,
            )
        except Skip as skip:
            skips.append(skip)
            continue
        return Admitted(index, current, ticket)
    return None


def refusal(model: str, skips: Sequence[Skip], gate: Gate) -> AppError:
    """The client-facing error when no candidate could take the call."""
    skip = best_refusal(skips)
    if skip is None:
        return ContextTooLong(f"The conversation does not fit any model configured for {model}.")
    if skip.reason == "budget_exceeded" and skip.budget_error is not None:
        return BudgetExhausted(
            f"The budget for {model} is spent on every provider that serves it; it resets at "
            f"{moment(skip.budget_error.resets_at)}.",
            resets_at=skip.budget_error.resets_at,
            now=gate.clock(),
        )
    if skip.reason == "overloaded":
        return GateOverloaded(
            f"Every provider for {model} is at capacity; try again shortly.", skip.retry_after
        )
    return ProvidersUnavailable(
        f"No provider for {model} can take calls right now ({skip.reason.replace('_', ' ')}).",
        skip.retry_after,
    )


def plans_for(
    candidates: Sequence[Candidate],
    system_prompt: str,
    turns: Sequence[ChatMessage],
    *,
    max_tokens: int,
    temperature: float | None,
    extra: Mapping[str, Any] | None = None,
) -> list[Plan | None]:
    """A plan per candidate; the primary must fit (its error is the client's), fallbacks may not."""
    plans: list[Plan | None] = []
    for index, candidate in enumerate(candidates):
        try:
            fitted = plan(
                candidate,
                system_prompt,
                turns,
                max_tokens=max_tokens,
                temperature=temperature,
                extra=extra,
            )
            plans.append(fitted)
        except ContextTooLong:
            if index == 0:
                raise
            plans.append(None)
    return plans
