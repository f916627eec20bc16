"""An `Embedder` over a configured embedding model, for ``cache.embedding_model: <model name>``.

Every call is a paid call through the one path (`call_once`): admitted against the budgets, the
breaker and the lanes, settled at its exact cost, one usage row (kind ``embedding``) per call —
exactly what ``/v1/embeddings`` does. It lives in ``calls`` because it calls the gate; the vector
layer below only knows the `Embedder` protocol.

Who pays: the owner given at construction (the system, ``Owner(None)``, by default: start-up
probes and background work), unless the caller names one for a block of work::

    embedder = ProviderEmbedder(candidate, gate=gate, usage=usage_writer, clock=clock)
    with embedder.paid_by(Owner(user.id, key.id, key_limits)):
        vectors = await embedder.embed([question])     # the asker's budget, the asker's row

(A `CachedEmbedder` above it computes a text once for everyone waiting on it: the first asker
pays, the others share the answer.)

Whatever the provider returns is checked (one finite, non-zero vector per input, all of one
dimension) and normalised to unit ``float32``. The dimension is taken from the constructor, or
learnt from the first answer (`warm_up` makes that first call at start-up); an answer of another
dimension later is refused: the model behind the name changed, and the index must be rebuilt.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar

import numpy as np

from lockgate.calls.candidates import Candidate
from lockgate.calls.once import Bound, Owner, Spend, call_once
from lockgate.calls.usage import UsageSink
from lockgate.clock import Clock
from lockgate.gate import Gate
from lockgate.models import UsageKind
from lockgate.providers.base import ChatMessage, EmbeddingResult, Provider, Usage
from lockgate.providers.errors import ProviderBadResponse, ProviderError
from lockgate.providers.pricing import cost
from lockgate.providers.tokenizer import prompt_tokens_upper_bound
from lockgate.vectors.base import Vector
from lockgate.vectors.errors import EmbedderUnavailable

SYSTEM = Owner(user_id=None)
DEFAULT_BATCH = 64
PROBE_TEXT = "dimension probe"


class ProviderEmbedder:
    """The `Embedder` protocol over one embedding model `Candidate`."""

    def __init__(
        self,
        candidate: Candidate,
        *,
        gate: Gate,
        usage: UsageSink,
        clock: Clock,
        owner: Owner = SYSTEM,
        dimension: int | None = None,
        batch_size: int = DEFAULT_BATCH,
    ) -> None:
        if batch_size < 1:
            raise ValueError(f"batch_size must be >= 1, got {batch_size}")
        self._candidate = candidate
        self._gate = gate
        self._usage = usage
        self._clock = clock
        self._dimension = dimension
        self._batch_size = batch_size
        self._payer: ContextVar[Owner] = ContextVar(f"payer-{candidate.model}", default=owner)

    @property
    def name(self) -> str:
        """``provider/upstream-model``: another upstream model is another embedding space."""
        return f"{self._candidate.provider_name}/{self._candidate.upstream}"

    @property
    def dimension(self) -> int:
        if self._dimension is None:
            raise EmbedderUnavailable(
                f"The dimension of the embedding model {self._candidate.model!r} is not known "
                "yet: configure it, or let start-up learn it (warm_up)."
            )
        return self._dimension

    @contextmanager
    def paid_by(self, owner: Owner) -> Iterator[None]:
        """Calls made inside the block (in this task, or tasks it starts) are ``owner``'s."""
        token = self._payer.set(owner)
        try:
            yield
        finally:
            self._payer.reset(token)

    async def warm_up(self) -> None:
        """Learn the dimension with one small call (paid by the current payer) if not known."""
        if self._dimension is None:
            await self.embed([PROBE_TEXT])

    async def embed(self, texts: Sequence[str]) -> list[Vector]:
        out: list[Vector] = []
        for start in range(0, len(texts), self._batch_size):
            out.extend(await self._embed_batch(list(texts[start : start + self._batch_size])))
        return out

    async def _embed_batch(self, texts: list[str]) -> list[Vector]:
        candidate = self._candidate
        tokens = prompt_tokens_upper_bound([ChatMessage("user", text) for text in texts])

        async def invoke(provider: Provider) -> EmbeddingResult:
            return await provider.embed(candidate.upstream, texts)

        def measure(done: EmbeddingResult | None) -> Spend:
            if done is None:
                return Spend()
            return Spend(cost(candidate.price, done.usage), input_tokens=done.usage.input_tokens)

        checked: list[Vector] = []

        def check(done: EmbeddingResult) -> None:
            checked.extend(self._unit_vectors(done, len(texts)))

        try:
            await call_once(
                self._gate,
                candidate,
                self._payer.get(),
                Bound(cost(candidate.price, Usage(tokens, 0)), tokens),
                invoke,
                measure,
                kind=UsageKind.EMBEDDING,
                usage=self._usage,
                clock=self._clock,
                check=check,
                operation="embeddings",
            )
        except ProviderError as exc:
            raise EmbedderUnavailable(
                f"The embedding model {candidate.model!r} failed: {exc.public()}"
            ) from exc
        return checked

    def _unit_vectors(self, done: EmbeddingResult, expected: int) -> list[Vector]:
        """The answer as unit float32 vectors, or `ProviderBadResponse` (a failed, paid call)."""
        where = self._candidate.provider_name
        if len(done.vectors) != expected:
            raise ProviderBadResponse(
                f"{len(done.vectors)} embeddings for {expected} inputs", provider=where
            )
        dimension = self._dimension
        out = []
        for raw in done.vectors:
            try:
                vector = np.asarray(raw, dtype=np.float64)
            except (TypeError, ValueError):
                vector = np.empty(0)
            norm = float(np.linalg.norm(vector)) if vector.ndim == 1 else math.nan
            if vector.ndim != 1 or not vector.size or not math.isfinite(norm) or norm == 0:
                raise ProviderBadResponse(
                    "an embedding that is not a usable vector", provider=where
                )
            dimension = dimension or vector.size
            if vector.size != dimension:
                raise ProviderBadResponse(
                    f"an embedding of {vector.size} dimensions, expected {dimension} "
                    "(did the model behind this name change?)",
                    provider=where,
                )
            out.append(np.asarray(vector / norm, dtype=np.float32))
        self._dimension = dimension
        return out
