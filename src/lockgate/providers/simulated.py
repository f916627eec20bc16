"""An offline provider: plausible, deterministic replies with real timing and real failures.

Development, demos and the integration/load suites run against it, so it behaves like an
upstream in every way the gate can observe: first-token latency, a token rate, usage, and each
failure mode. Everything is a pure function of (prompt, seed) and time only passes through the
injected `sleep`, so tests pass a no-op and never wait.

Directives in the last user message steer one call (they are removed before the prompt is
echoed or hashed)::

    [[fail:500]]  [[fail:429]]  [[fail:timeout]]  [[fail:cut]]  [[fail:malformed]]
    [[slow:N]]    N tokens per second instead of the configured rate (1..100000)
    [[tokens:N]]  a reply of exactly N tokens (0..1000000; still capped by max_tokens)
    [[fail@NAME:500]]  any directive scoped to the provider named NAME (fallback tests)

Directives are fault injection, so they are **off unless enabled**: `directives: true` on the
provider in lockgate.yaml, and by default on in development (``LOCKGATE_ENV=development``) and
off in production, where `[[fail:500]]` is just text. A value out of its range is a
`ProviderBadRequest` (like a typo), so one message cannot ask for a 10^23-token reply.

The reply is generated lazily, one sentence at a time, and the stream stops at `max_tokens`:
the work and memory of a call are bounded by what it may send, never by what it asked for, and
the provider sleeps (yielding to the event loop) between two tokens. A failure a directive
injected is marked `injected`: the gate still counts it where a failure is meant to be
exercised (the breaker), but it never sets provider-wide state from one request (a 429's
Retry-After block, the last error shown to everyone); see `chat/runner.py`.

`fail:cut` streams `cut_after_tokens` deltas then raises `ProviderUnavailable`, like a dropped
connection; `fail:malformed` streams two deltas then raises `ProviderBadResponse`;
`fail:timeout` waits the first-token latency then raises `ProviderTimeout`. A directive wins
over the configured `failure`. An unknown directive value is a `ProviderBadRequest`, so a typo
in a test fails loudly instead of silently not injecting anything.
"""

from __future__ import annotations

import asyncio
import itertools
import math
import re
from collections.abc import AsyncGenerator, Awaitable, Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import TypeVar

from lockgate.providers.base import (
    ChatRequest,
    EmbeddingResult,
    Finish,
    GeneratedImage,
    ImageRequest,
    RateLimitInfo,
    StreamEvent,
    TextDelta,
    Usage,
    UsageReport,
)
from lockgate.providers.config import SimulatedProviderConfig
from lockgate.providers.errors import (
    ProviderBadRequest,
    ProviderBadResponse,
    ProviderError,
    ProviderRateLimited,
    ProviderTimeout,
    ProviderUnavailable,
)
from lockgate.providers.simulated_citations import cited_sentences, listed_sources
from lockgate.providers.simulated_content import (
    SIMULATED_IMAGE_TOKENS,
    describe_images,
    hashed_embedding,
    iter_cited_pieces,
    iter_reply_pieces,
    render_png,
)
from lockgate.providers.tokenizer import simulated_pieces, simulated_prompt_tokens

Sleep = Callable[[float], Awaitable[None]]
_E = TypeVar("_E", bound=ProviderError)

MODELS = ("sim-small", "sim-large", "sim-image", "sim-embed")
FAILURES = frozenset({"500", "429", "timeout", "cut", "malformed"})
MALFORMED_AFTER_TOKENS = 2
MIN_IMAGE_SIDE, MAX_IMAGE_SIDE, MAX_IMAGES = 64, 2048, 10
MAX_DIRECTIVE_TOKENS = 1_000_000
MIN_RATE, MAX_RATE = 1.0, 100_000.0
MAX_EMBED_INPUTS = 2048

# Every part has a length cap, so scanning a long message stays linear even when it is full of
# unterminated "[[tokens:" openings.
_DIRECTIVE = re.compile(
    r"\[\[\s*(fail|slow|tokens)(?:@([\w.-]{1,64}))?\s*:\s*([^\]]{0,32}?)\s*\]\]",
    re.IGNORECASE,
)
_SIZE = re.compile(r"^(\d{1,5})x(\d{1,5})$")


@dataclass(frozen=True, slots=True)
class Directives:
    """What `[[...]]` markers in a message asked for, and the message without them."""

    text: str
    failure: str | None = None
    tokens_per_second: float | None = None
    tokens: int | None = None


def parse_directives(text: str, *, provider: str) -> Directives:
    """Directives in `text`; the last one of each kind wins. Values out of range are refused.

    >>> parse_directives("hi [[tokens:3]]", provider="sim")
    Directives(text='hi', failure=None, tokens_per_second=None, tokens=3)
    """
    failure: str | None = None
    rate: float | None = None
    tokens: int | None = None
    for match in _DIRECTIVE.finditer(text):
        kind, scope, value = match.group(1).lower(), match.group(2), match.group(3)
        if scope is not None and scope != provider:
            continue  # `[[fail@alpha:500]]` only affects the provider named alpha
        try:
            if kind == "fail":
                if value not in FAILURES:
                    raise ValueError(value)
                failure = value
            elif kind == "slow":
                rate = float(value)
                if not (math.isfinite(rate) and MIN_RATE <= rate <= MAX_RATE):
                    raise ValueError(value)
            else:
                tokens = int(value)
                if not 0 <= tokens <= MAX_DIRECTIVE_TOKENS:
                    raise ValueError(value)
        except ValueError:
            raise injected(
                ProviderBadRequest(
                    f"bad simulated directive {match.group(0)!r} (tokens: 0..{MAX_DIRECTIVE_TOKENS}"
                    f", slow: {MIN_RATE:g}..{MAX_RATE:g}, fail: {', '.join(sorted(FAILURES))})",
                    provider=provider,
                )
            ) from None
    clean = " ".join(_DIRECTIVE.sub(" ", text).split())
    return Directives(clean, failure, rate, tokens)


def injected(error: _E) -> _E:
    """Mark `error` as asked for by one request (see `ProviderError.injected`)."""
    error.injected = True
    return error


def parse_size(size: str, *, provider: str) -> tuple[int, int]:
    """(width, height) of a "WxH" size with both sides in 64..2048."""
    match = _SIZE.match(size)
    if match is None:
        raise ProviderBadRequest(f"image size must be WxH, got {size!r}", provider=provider)
    width, height = int(match.group(1)), int(match.group(2))  # at most 5 digits each
    if not all(MIN_IMAGE_SIDE <= side <= MAX_IMAGE_SIDE for side in (width, height)):
        raise ProviderBadRequest(
            f"image sides must be {MIN_IMAGE_SIDE}..{MAX_IMAGE_SIDE}, got {size!r}",
            provider=provider,
        )
    return width, height


class SimulatedProvider:
    """See the module docstring.

    `directives` is the default for a config that leaves `directives` unset: the app passes
    "is this development?"; anything else that builds one gets the safe default, off.
    """

    kind = "simulated"

    def __init__(
        self,
        name: str,
        cfg: SimulatedProviderConfig,
        sleep: Sleep = asyncio.sleep,
        *,
        directives: bool = False,
    ) -> None:
        self.name = name
        self._cfg = cfg
        self._sleep = sleep
        self.directives = cfg.directives if cfg.directives is not None else directives
        self.last_rate_limit: RateLimitInfo | None = None

    def __repr__(self) -> str:
        return f"<SimulatedProvider {self.name!r} seed={self._cfg.seed}>"

    def _directives(self, text: str) -> Directives:
        if not self.directives:
            return Directives(text)  # fault injection is off: the markers are plain text
        return parse_directives(text, provider=self.name)

    def _failure(self, directives: Directives) -> tuple[str | None, bool]:
        """The failure to simulate, and whether a directive (one request) asked for it."""
        if directives.failure is not None:
            return directives.failure, True
        return (None if self._cfg.failure == "none" else self._cfg.failure), False

    async def _fail_fast(self, failure: str | None, is_injected: bool) -> None:
        """Raise for the failures that happen before any output; return for the others."""
        error: ProviderError | None = None
        if failure == "500":
            error = ProviderUnavailable("simulated HTTP 500", provider=self.name, status=500)
        elif failure == "429":
            error = ProviderRateLimited(
                "simulated HTTP 429", provider=self.name, retry_after=self._cfg.retry_after
            )
        elif failure == "timeout":
            await self._sleep(self._cfg.first_token_latency)
            error = ProviderTimeout("simulated read timeout", provider=self.name)
        if error is not None:
            raise injected(error) if is_injected else error

    async def stream_chat(self, request: ChatRequest) -> AsyncGenerator[StreamEvent, None]:
        last = next((m for m in reversed(request.messages) if m.role == "user"), None)
        directives = self._directives(last.content if last is not None else "")
        # A turn's images are described first ("I see 2 images: ..."), so a demo shows them.
        seen = (
            [*simulated_pieces(describe_images(last.images)), "\n\n"]
            if last and last.images
            else []
        )
        if request.max_tokens < 1:
            raise ProviderBadRequest("max_tokens must be at least 1", provider=self.name)
        failure, is_injected = self._failure(directives)
        await self._fail_fast(failure, is_injected)
        limit = request.max_tokens
        if failure == "cut":
            limit = min(limit, self._cfg.cut_after_tokens)
        elif failure == "malformed":
            limit = min(limit, MALFORMED_AFTER_TOKENS)
        interval = 1 / (directives.tokens_per_second or self._cfg.tokens_per_second)
        await self._sleep(self._cfg.first_token_latency)
        emitted, truncated = 0, False
        # Lazy: a piece is made only when it is about to be sent, and never past `limit`.
        for piece in itertools.chain(seen, self._pieces(request, directives)):
            if emitted == limit:
                truncated = True
                break
            if emitted:
                await self._sleep(interval)
            yield TextDelta(piece)
            emitted += 1
        if failure == "cut":
            error: ProviderError = ProviderUnavailable("stream cut", provider=self.name)
            raise injected(error) if is_injected else error
        if failure == "malformed":
            error = ProviderBadResponse("simulated malformed chunk", provider=self.name)
            raise injected(error) if is_injected else error
        images = sum(len(m.images) for m in request.messages) * SIMULATED_IMAGE_TOKENS
        yield UsageReport(Usage(simulated_prompt_tokens(request.messages) + images, emitted))
        yield Finish("length" if truncated else "stop")

    def _pieces(self, request: ChatRequest, directives: Directives) -> Iterator[str]:
        """A cited answer when the prompt lists sources (and no length is forced)."""
        sources = listed_sources(request.messages) if directives.tokens is None else []
        if sources:
            return iter_cited_pieces(directives.text, cited_sentences(sources))
        return iter_reply_pieces(directives.text, self._cfg.seed, directives.tokens)

    async def generate_images(self, request: ImageRequest) -> list[GeneratedImage]:
        directives = self._directives(request.prompt)
        width, height = parse_size(request.size, provider=self.name)
        if not 1 <= request.n <= MAX_IMAGES:
            raise ProviderBadRequest(f"n must be 1..{MAX_IMAGES}", provider=self.name)
        await self._fail_whole_call(*self._failure(directives))
        # Pillow is CPU-bound: keep the event loop free while it draws and encodes.
        datas = await asyncio.to_thread(
            lambda: [
                render_png(directives.text, self._cfg.seed, index, width, height)
                for index in range(request.n)
            ]
        )
        return [GeneratedImage(data=data, mime_type="image/png") for data in datas]

    async def _fail_whole_call(self, failure: str | None, is_injected: bool) -> None:
        """Failure injection for non-streaming calls: cut/malformed have no stream to spoil."""
        await self._fail_fast(failure, is_injected)
        error: ProviderError | None = None
        if failure == "cut":
            error = ProviderUnavailable("simulated connection reset", provider=self.name)
        elif failure == "malformed":
            error = ProviderBadResponse("simulated malformed body", provider=self.name)
        if error is not None:
            raise injected(error) if is_injected else error

    async def embed(self, model: str, inputs: Sequence[str]) -> EmbeddingResult:
        await self._fail_whole_call(*self._failure(Directives(text="")))
        if len(inputs) > MAX_EMBED_INPUTS:
            raise ProviderBadRequest(
                f"at most {MAX_EMBED_INPUTS} inputs per call, got {len(inputs)}",
                provider=self.name,
            )
        # Hashing every word is linear in the input (up to the body limit): off the event loop.
        return await asyncio.to_thread(_embed_all, list(inputs))

    async def list_models(self) -> list[str]:
        return list(MODELS)

    async def aclose(self) -> None:
        """Nothing to release; present to satisfy `Provider`."""


def _embed_all(inputs: list[str]) -> EmbeddingResult:
    tokens = sum(len(simulated_pieces(text)) for text in inputs)
    vectors = [hashed_embedding(text) for text in inputs]
    return EmbeddingResult(vectors=vectors, usage=Usage(tokens, 0))
