"""Step 2 of the call path, the cache: what every caller does around it, stated once.

Before admission a caller looks its `CacheRequest` up (`ResponseCache.lookup`). On a hit nothing
is admitted, reserved or called: the caller replays the entry in its own shape and writes the
usage row `hit_usage` makes (outcome ``cache_hit``, cost 0, ``saved_usd`` what the answer had
cost). On a miss the call runs as always and, once its last attempt is a complete success,
`save_attempt` hands it to the cache (the policy decides whether it is stored).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import AsyncExitStack, contextmanager
from datetime import datetime
from typing import Any

from lockgate.cache.factory import CacheStartupError, local_embedder
from lockgate.cache.policy import Answer
from lockgate.cache.service import Lookup, Paid, ResponseCache
from lockgate.calls.candidates import as_candidate
from lockgate.calls.once import Owner
from lockgate.calls.runner import Attempt
from lockgate.calls.usage import UsageSink
from lockgate.clock import Clock
from lockgate.errors import AppError
from lockgate.gate import Gate
from lockgate.models import MessageStatus, UsageKind, UsageOutcome
from lockgate.providers.registry import ProviderRegistry
from lockgate.settings import FileConfig
from lockgate.usage.service import usage_values
from lockgate.vectors.base import Embedder
from lockgate.vectors.errors import EmbedderUnavailable

CACHE_PROVIDER = "cache"
"""The provider column of a hit's usage row: reports show what the cache answered apart."""


def hit_usage(
    cache: ResponseCache,
    lookup: Lookup,
    *,
    user_id: uuid.UUID | None,
    created_at: datetime,
    latency_ms: int = 0,
    api_key_id: uuid.UUID | None = None,
    conversation_id: uuid.UUID | None = None,
    message_id: uuid.UUID | None = None,
) -> dict[str, Any]:
    """The usage row of a hit (and the saving counted in the metrics)."""
    entry = lookup.entry
    assert entry is not None
    return usage_values(
        user_id=user_id,
        kind=UsageKind.CHAT,
        provider=CACHE_PROVIDER,
        model=lookup.request.model,
        outcome=UsageOutcome.CACHE_HIT,
        created_at=created_at,
        saved_usd=cache.served(lookup),
        latency_ms=latency_ms,
        api_key_id=api_key_id,
        conversation_id=conversation_id,
        message_id=message_id,
    )


async def save_attempt(
    cache: ResponseCache, lookup: Lookup, attempt: Attempt, *, tool_calls: bool | None = None
) -> bool:
    """Offer the call's last attempt to the cache: only a complete success can be stored.
    `tool_calls`: whether the answer holds anything but text, when the caller knows better
    than ``attempt.delivered`` (a relayed stream marks every attempt that began as delivered)."""
    if attempt.error is not None or attempt.status != MessageStatus.COMPLETE:
        return False
    tokens_in, tokens_out, amount, _ = attempt.cost()
    candidate = attempt.plan.candidate
    not_text = attempt.delivered if tool_calls is None else tool_calls
    answer = Answer(attempt.content, attempt.finish_reason, tool_calls=not_text)
    paid = Paid(candidate.provider_name, candidate.model, tokens_in, tokens_out, amount)
    return await cache.save(lookup, answer, paid)


async def cache_embedder(
    file: FileConfig,
    stack: AsyncExitStack,
    *,
    providers: ProviderRegistry,
    gate: Gate,
    usage: UsageSink,
    clock: Clock,
) -> Embedder | None:
    """The semantic layer's embedder (None when it is off): the local model, or the configured
    embedding model called through the gate (its spend counts like any call; its dimension is
    learnt at start-up with one small call, paid by the system)."""
    cache = file.cache
    if not (cache.enabled and cache.semantic):
        return None
    if cache.embedding_model == "local":
        return await local_embedder(stack)
    from lockgate.calls.embedder import ProviderEmbedder  # numpy: only with the semantic layer
    from lockgate.vectors.cached import CachedEmbedder

    name = cache.embedding_model
    model = ProviderEmbedder(
        as_candidate(name, file.models[name], providers), gate=gate, usage=usage, clock=clock
    )
    try:
        await model.warm_up()
    except (EmbedderUnavailable, AppError) as exc:
        raise CacheStartupError(
            f"cache.embedding_model {name!r} did not answer at start-up ({exc.message}); "
            "fix the model or use embedding_model: local"
        ) from None
    return CachedEmbedder(model)


@contextmanager
def paid_by(cache: ResponseCache, owner: Owner) -> Iterator[None]:
    """Embeddings a lookup or a save makes through a configured model are paid by the asker
    (their budgets, their usage rows); the local model costs nothing."""
    semantic = cache.semantic
    if semantic is None:
        yield
        return
    from lockgate.calls.embedder import ProviderEmbedder  # loaded with the semantic layer

    inner = getattr(semantic.embedder, "inner", semantic.embedder)
    if isinstance(inner, ProviderEmbedder):
        with inner.paid_by(owner):
            yield
    else:
        yield
