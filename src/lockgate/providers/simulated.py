"""An offline provider: plausible, deterministic replies with real timing and real failures.

Development, demos and the integration/load suites run against it, so it behaves like an
upstream in every way the gate can observe: first-token latency, a token rate, usage, and each
failure mode. Everything is a pure function of (prompt, seed) and time only passes through the
injected `sleep`, so tests pass a no-op and never wait.

Directives in the last user message steer one call (they are removed before the prompt is
echoed or hashed)::

    [[fail:500]]  [[fail:429]]  [[fail:timeout]]  [[fail:cut]]  [[fail:malformed]]
    [[slow:N]]    N tokens per second instead of the configured rate
    [[tokens:N]]  a reply of exactly N tokens (still capped by max_tokens)
    [[fail@NAME:500]]  any directive scoped to the provider named NAME (fallback tests)

`fail:cut` streams `cut_after_tokens` deltas then raises `ProviderUnavailable`, like a dropped
connection; `fail:malformed` streams two deltas then raises `ProviderBadResponse`;
`fail:timeout` waits the first-token latency then raises `ProviderTimeout`. A directive wins
over the configured `failure`. An unknown directive value is a `ProviderBadRequest`, so a typo
in a test fails loudly instead of silently not injecting anything.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncGenerator, Awaitable, Callable, Sequence
from dataclasses import dataclass

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
    ProviderRateLimited,
    ProviderTimeout,
    ProviderUnavailable,
)
from lockgate.providers.simulated_content import hashed_embedding, render_png, reply_pieces
from lockgate.providers.tokenizer import simulated_pieces, simulated_prompt_tokens

Sleep = Callable[[float], Awaitable[None]]

MODELS = ("sim-small", "sim-large", "sim-image", "sim-embed")
FAILURES = frozenset({"500", "429", "timeout", "cut", "malformed"})
MALFORMED_AFTER_TOKENS = 2
MIN_IMAGE_SIDE, MAX_IMAGE_SIDE, MAX_IMAGES = 64, 2048, 10

_DIRECTIVE = re.compile(
    r"\[\[\s*(fail|slow|tokens)(?:@([\w.-]+))?\s*:\s*([^\]]*?)\s*\]\]", re.IGNORECASE
)
_SIZE = re.compile(r"^(\d+)x(\d+)$")


@dataclass(frozen=True, slots=True)
class Directives:
    """What `[[...]]` markers in a message asked for, and the message without them."""

    text: str
    failure: str | None = None
    tokens_per_second: float | None = None
    tokens: int | None = None


def parse_directives(text: str, *, provider: str) -> Directives:
    """Directives in `text`; the last one of each kind wins."""
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
                if not rate > 0:
                    raise ValueError(value)
            else:
                tokens = int(value)
                if tokens < 0:
                    raise ValueError(value)
        except ValueError:
            raise ProviderBadRequest(
                f"bad simulated directive {match.group(0)!r}", provider=provider
            ) from None
    clean = " ".join(_DIRECTIVE.sub(" ", text).split())
    return Directives(clean, failure, rate, tokens)


def parse_size(size: str, *, provider: str) -> tuple[int, int]:
    """(width, height) of a "WxH" size with both sides in 64..2048."""
    match = _SIZE.match(size)
    if match is None:
        raise ProviderBadRequest(f"image size must be WxH, got {size!r}", provider=provider)
    width, height = int(match.group(1)), int(match.group(2))
    if not all(MIN_IMAGE_SIDE <= side <= MAX_IMAGE_SIDE for side in (width, height)):
        raise ProviderBadRequest(
            f"image sides must be {MIN_IMAGE_SIDE}..{MAX_IMAGE_SIDE}, got {size!r}",
            provider=provider,
        )
    return width, height


class SimulatedProvider:
    """See the module docstring."""

    kind = "simulated"

    def __init__(
        self, name: str, cfg: SimulatedProviderConfig, sleep: Sleep = asyncio.sleep
    ) -> None:
        self.name = name
        self._cfg = cfg
        self._sleep = sleep
        self.last_rate_limit: RateLimitInfo | None = None

    def __repr__(self) -> str:
        return f"<SimulatedProvider {self.name!r} seed={self._cfg.seed}>"

    def _failure(self, directives: Directives) -> str | None:
        configured = None if self._cfg.failure == "none" else self._cfg.failure
        return directives.failure or configured

    async def _fail_fast(self, failure: str | None) -> None:
        """Raise for the failures that happen before any output; return for the others."""
        if failure == "500":
            raise ProviderUnavailable("simulated HTTP 500", provider=self.name, status=500)
        if failure == "429":
            raise ProviderRateLimited(
                "simulated HTTP 429", provider=self.name, retry_after=self._cfg.retry_after
            )
        if failure == "timeout":
            await self._sleep(self._cfg.first_token_latency)
            raise ProviderTimeout("simulated read timeout", provider=self.name)

    async def stream_chat(self, request: ChatRequest) -> AsyncGenerator[StreamEvent, None]:
        last_user = next((m.content for m in reversed(request.messages) if m.role == "user"), "")
        directives = parse_directives(last_user, provider=self.name)
        if request.max_tokens < 1:
            raise ProviderBadRequest("max_tokens must be at least 1", provider=self.name)
        failure = self._failure(directives)
        await self._fail_fast(failure)
        pieces = reply_pieces(directives.text, self._cfg.seed, directives.tokens)
        truncated = len(pieces) > request.max_tokens
        pieces = pieces[: request.max_tokens]
        if failure == "cut":
            pieces = pieces[: self._cfg.cut_after_tokens]
        elif failure == "malformed":
            pieces = pieces[:MALFORMED_AFTER_TOKENS]
        interval = 1 / (directives.tokens_per_second or self._cfg.tokens_per_second)
        await self._sleep(self._cfg.first_token_latency)
        for position, piece in enumerate(pieces):
            if position:
                await self._sleep(interval)
            yield TextDelta(piece)
        if failure == "cut":
            raise ProviderUnavailable("stream cut", provider=self.name)
        if failure == "malformed":
            raise ProviderBadResponse("simulated malformed chunk", provider=self.name)
        yield UsageReport(Usage(simulated_prompt_tokens(request.messages), len(pieces)))
        yield Finish("length" if truncated else "stop")

    async def generate_images(self, request: ImageRequest) -> list[GeneratedImage]:
        directives = parse_directives(request.prompt, provider=self.name)
        width, height = parse_size(request.size, provider=self.name)
        if not 1 <= request.n <= MAX_IMAGES:
            raise ProviderBadRequest(f"n must be 1..{MAX_IMAGES}", provider=self.name)
        await self._fail_whole_call(self._failure(directives))
        # Pillow is CPU-bound: keep the event loop free while it draws and encodes.
        datas = await asyncio.to_thread(
            lambda: [
                render_png(directives.text, self._cfg.seed, index, width, height)
                for index in range(request.n)
            ]
        )
        return [GeneratedImage(data=data, mime_type="image/png") for data in datas]

    async def _fail_whole_call(self, failure: str | None) -> None:
        """Failure injection for non-streaming calls: cut/malformed have no stream to spoil."""
        await self._fail_fast(failure)
        if failure == "cut":
            raise ProviderUnavailable("simulated connection reset", provider=self.name)
        if failure == "malformed":
            raise ProviderBadResponse("simulated malformed body", provider=self.name)

    async def embed(self, model: str, inputs: Sequence[str]) -> EmbeddingResult:
        await self._fail_whole_call(self._failure(Directives(text="")))
        tokens = sum(len(simulated_pieces(text)) for text in inputs)
        vectors = [hashed_embedding(text) for text in inputs]
        return EmbeddingResult(vectors=vectors, usage=Usage(tokens, 0))

    async def list_models(self) -> list[str]:
        return list(MODELS)

    async def aclose(self) -> None:
        """Nothing to release; present to satisfy `Provider`."""
