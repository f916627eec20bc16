"""Step 2 of the call path, the cache: what every caller does around it, stated once.

Before admission a caller looks its `CacheRequest` up (`ResponseCache.lookup`). On a hit nothing
is admitted, reserved or called: the caller replays the entry in its own shape and writes the
usage row `hit_usage` makes (outcome ``cache_hit``, cost 0, ``saved_usd`` what the answer had
cost). On a miss the call runs as always and, once its last attempt is a complete success,
`save_attempt` hands it to the cache (the policy decides whether it is stored).
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from lockgate.cache.policy import Answer
from lockgate.cache.service import Lookup, Paid, ResponseCache
from lockgate.calls.runner import Attempt
from lockgate.models import MessageStatus, UsageKind, UsageOutcome
from lockgate.usage.service import usage_values

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


async def save_attempt(cache: ResponseCache, lookup: Lookup, attempt: Attempt) -> bool:
    """Offer the call's last attempt to the cache: only a complete success can be stored."""
    if attempt.error is not None or attempt.status != MessageStatus.COMPLETE:
        return False
    tokens_in, tokens_out, amount, _ = attempt.cost()
    candidate = attempt.plan.candidate
    answer = Answer(attempt.content, attempt.finish_reason, tool_calls=attempt.delivered)
    paid = Paid(candidate.provider_name, candidate.model, tokens_in, tokens_out, amount)
    return await cache.save(lookup, answer, paid)
