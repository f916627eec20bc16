"""Step 2 of the call path for one ``/v1`` request, whatever its wire format (chat completions,
Responses, Messages): look the request's `CacheRequest` up, queue a hit's usage row, and offer a
complete answer to the cache afterwards. The owner is the key (scope ``key:<id>`` unless the
operator chose ``global``); each wire format makes its own shape (gateway/cached.py,
gateway/responses/cached.py, gateway/messages_cached.py) and replays a hit in its own way.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from lockgate.cache.keys import CacheRequest
from lockgate.cache.policy import Controls
from lockgate.cache.service import Lookup, ResponseCache
from lockgate.calls.cached import hit_usage, paid_by, save_attempt
from lockgate.calls.once import Owner
from lockgate.calls.runner import Attempt
from lockgate.clock import Clock
from lockgate.usage.writer import UsageWriter


class CacheStep:
    """The cache's part of one request (`cache` None: the cache is off, no header)."""

    def __init__(
        self, cache: ResponseCache | None, owner: Owner, *, usage: UsageWriter, clock: Clock
    ) -> None:
        self.cache = cache
        self.owner = owner
        self.usage = usage
        self.clock = clock
        self.headers: dict[str, str] = {}  # x-lockgate-cache (and the similarity)
        self.found: Lookup | None = None

    async def look_up(
        self, shape: Callable[[str], CacheRequest], controls: Controls
    ) -> Lookup | None:
        """`shape` makes the request's `CacheRequest` for the owner's scope. A hit's usage row
        (outcome ``cache_hit``, the saving) is queued here; it reserved nothing."""
        cache = self.cache
        if cache is None:
            return None
        started = time.perf_counter()
        owner = self.owner
        scope = cache.policy.scope(user_id=owner.user_id, key_id=owner.api_key_id)
        with paid_by(cache, owner):  # a configured embedding model bills the key
            found = await cache.lookup(shape(scope), controls)
        self.found = found
        self.headers = found.headers
        if found.entry is not None:
            self.usage.add(
                hit_usage(
                    cache,
                    found,
                    user_id=owner.user_id,
                    api_key_id=owner.api_key_id,
                    created_at=self.clock(),
                    latency_ms=int((time.perf_counter() - started) * 1000),
                )
            )
        return found

    async def save(self, last: Attempt, *, tool_calls: bool | None = None) -> None:
        """Step 7's last part: a complete answer is offered to the cache (`save_attempt`)."""
        if self.cache is not None and self.found is not None:
            with paid_by(self.cache, self.owner):
                await save_attempt(self.cache, self.found, last, tool_calls=tool_calls)
