"""The response cache: look a request up (exact, then semantic), store a finished answer, purge.

A caller of the one call path asks *before* admission::

    lookup = await cache.lookup(request, controls)
    if lookup.entry is not None:            # a hit: replay it; nothing is reserved or paid
        ...
    ...                                     # a miss: admit, call, relay as usual, then
    await cache.save(lookup, answer, paid)  # stored only when the policy allows it

The cache never fails a request: a store or index that cannot be reached makes the lookup a
``bypass`` and the save a no-op (both logged); the call goes to the provider as if there were no
cache. Every lookup is timed (``lockgate_cache_lookup_seconds``) and counted per layer
(``lockgate_cache_requests_total{layer,result}``: an exact hit is ``exact/hit``; a request the
exact layer misses counts ``exact/miss`` and, when the semantic layer looks, ``semantic/hit`` or
``semantic/miss``; a bypass is ``none/bypass``).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Literal

from lockgate.cache.keys import CacheRequest
from lockgate.cache.policy import (
    SIMILARITY_HEADER,
    STATUS_HEADER,
    Answer,
    CachePolicy,
    Controls,
    Result,
)
from lockgate.cache.semantic import SemanticLayer
from lockgate.cache.store.base import Entry, EntryStore, entry_id
from lockgate.clock import Clock
from lockgate.observability.logging import get_logger
from lockgate.observability.metrics import Metrics

if TYPE_CHECKING:  # numpy only where the semantic layer is really used
    from lockgate.vectors.base import Vector

log = get_logger("lockgate.cache")
Layer = Literal["exact", "semantic"]


@dataclass(frozen=True, slots=True)
class Paid:
    """What the answer that is being stored cost, and who gave it."""

    provider: str
    model: str
    input_tokens: int
    output_tokens: int
    cost_usd: Decimal


@dataclass(frozen=True, slots=True)
class Lookup:
    """The outcome of a lookup: a hit (``entry``), a miss, or a bypass (``reason``)."""

    result: Result
    request: CacheRequest
    controls: Controls
    entry: Entry | None = None
    layer: Layer | None = None
    similarity: float | None = None
    vector: Vector | None = None  # the prompt's embedding, reused when the answer is stored
    reason: str | None = None

    @property
    def headers(self) -> dict[str, str]:
        """``x-lockgate-cache`` (and the similarity of a semantic hit) for a ``/v1`` response."""
        out: dict[str, str] = {STATUS_HEADER: self.result}
        if self.similarity is not None and self.entry is not None:
            out[SIMILARITY_HEADER] = f"{self.similarity:.4f}"
        return out


class ResponseCache:
    def __init__(
        self,
        policy: CachePolicy,
        store: EntryStore,
        semantic: SemanticLayer | None,
        *,
        clock: Clock,
        metrics: Metrics,
    ) -> None:
        self.policy = policy
        self.store = store
        self.semantic = semantic
        self.clock = clock
        self.metrics = metrics

    def _now(self) -> float:
        return self.clock().timestamp()

    async def lookup(self, request: CacheRequest, controls: Controls) -> Lookup:
        reason = self.policy.bypass(request.params, controls)
        if reason is None and not controls.lookup:
            reason = "no_cache"
        if reason is not None:
            self.metrics.cache_request("none", "bypass")
            return Lookup("bypass", request, controls, reason=reason)
        started = time.perf_counter()
        try:
            return await self._lookup(request, controls)
        except Exception as exc:  # the cache must never fail a call: go to the provider
            log.warning("cache_lookup_failed", error=repr(exc))
            self.metrics.cache_request("none", "bypass")
            return Lookup("bypass", request, controls, reason="unavailable")
        finally:
            self.metrics.cache_lookup(time.perf_counter() - started)

    async def _lookup(self, request: CacheRequest, controls: Controls) -> Lookup:
        now = self._now()
        found = await self.store.get(entry_id(request.scope, request.model, request.exact_key), now)
        if found is not None:
            self.metrics.cache_request("exact", "hit")
            return Lookup("hit", request, controls, found, "exact")
        self.metrics.cache_request("exact", "miss")
        semantic = self.semantic
        if semantic is None or not request.semantic:
            return Lookup("miss", request, controls)
        vector = await semantic.vector(request)
        match = await semantic.find(
            request,
            vector,
            threshold=self.policy.threshold(controls),
            now=now,
            fetch=lambda found_id: self.store.get(found_id, now),
        )
        if match is None:
            self.metrics.cache_request("semantic", "miss")
            return Lookup("miss", request, controls, vector=vector)
        self.metrics.cache_request("semantic", "hit")
        return Lookup(
            "hit", request, controls, match.entry, "semantic", match.similarity, vector=vector
        )

    def served(self, lookup: Lookup) -> Decimal:
        """Count a hit's saving (``lockgate_cache_saved_usd_total``); returns it."""
        assert lookup.entry is not None
        saved = lookup.entry.cost_usd
        self.metrics.cache_saved(saved)
        return saved

    async def save(self, lookup: Lookup, answer: Answer, paid: Paid) -> bool:
        """Store a finished answer if the request and the answer allow it; True if stored."""
        request = lookup.request
        if lookup.result == "hit" or not lookup.controls.store:
            return False
        if self.policy.bypass(request.params, lookup.controls) or not self.policy.storable(answer):
            return False
        now = self._now()
        entry = Entry(
            id=entry_id(request.scope, request.model, request.exact_key),
            scope=request.scope,
            model=request.model,
            prompt=request.prompt,
            text=answer.text,
            finish_reason=answer.finish_reason or "stop",
            input_tokens=paid.input_tokens,
            output_tokens=paid.output_tokens,
            provider=paid.provider,
            served_model=paid.model,
            cost_usd=paid.cost_usd,
            created_at=now,
            expires_at=now + self.policy.config.ttl_seconds,
        )
        try:
            await self.store.put(entry)
            if self.semantic is not None and request.semantic:
                vector = lookup.vector
                if vector is None:
                    vector = await self.semantic.vector(request)
                await self.semantic.add(request, entry, vector)
        except Exception as exc:  # a lost entry is a later miss, never a failed call
            log.warning("cache_store_failed", error=repr(exc))
            return False
        return True

    async def purge(self, *, scope: str | None = None, model: str | None = None) -> int:
        """An administrator's purge: a scope, a model, both, or (neither) everything."""
        removed = await self.store.purge(scope=scope, model=model)
        return await self._forget(removed)

    async def purge_scopes(self, scopes: Sequence[str]) -> int:
        """A user's purge of their own entries (their user scope and their keys' scopes)."""
        removed = await self.store.purge_scopes(scopes)
        return await self._forget(removed)

    async def _forget(self, removed: list[str]) -> int:
        if self.semantic is not None:
            await self.semantic.forget(removed)
        return len(removed)
