"""The provider contract: request/response types and the `Provider` protocol.

Everything above this package (chat, gateway, gate, images) talks to upstream models only through
these types, so swapping OpenAI for Anthropic or the offline simulator never changes callers::

    async for event in provider.stream_chat(ChatRequest("gpt-4o-mini", messages, max_tokens=256)):
        match event:
            case TextDelta(text=text): ...
            case UsageReport(usage=usage): ...
            case Finish(reason=reason): ...

Types are frozen dataclasses rather than pydantic models: they are built in hot loops (one per
streamed token) and never validated from untrusted input here.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, AsyncIterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal, Protocol, TypeAlias, cast, runtime_checkable

Role: TypeAlias = Literal["system", "user", "assistant"]


@dataclass(frozen=True, slots=True)
class ChatMessage:
    """One turn. `images` are a user turn's images as URLs (``data:`` or ``https://``, checked
    by lockgate.vision before they get here): the OpenAI and Anthropic providers send them as
    image parts or blocks after the text, a text-only provider (the simulated one) ignores them.
    The budget bounds each by its model's `max_image_tokens` (calls.candidates.plan)."""

    role: Role
    content: str
    images: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class ChatRequest:
    """One chat completion call.

    `model` is the *upstream* model name (the router has already mapped our public name).
    `max_tokens` is mandatory because the budget reservation is computed from it: a provider
    must never let the upstream generate more. `extra` carries OpenAI pass-through parameters
    (`seed`, `tools`, `response_format`, ...); the OpenAI provider merges them into the body.
    """

    model: str
    messages: Sequence[ChatMessage]
    max_tokens: int
    temperature: float | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)


MAX_REPORTED_TOKENS = 2**31 - 1
"""The most tokens a call may report in each direction: what the ledger's integer columns
(PostgreSQL ``INTEGER``) hold. No real call comes near it."""


@dataclass(frozen=True, slots=True)
class Usage:
    """Tokens as the upstream reported them, kept within [0, `MAX_REPORTED_TOKENS`]: a report
    beyond it (an upstream saying 10^20) is capped here, once for every provider, so its ledger
    row can still be written; it far exceeds any reservation, so the gate flags it and the
    budgets it lands in are over their limits (`lockgate.gate.overrun`)."""

    input_tokens: int
    output_tokens: int

    def __post_init__(self) -> None:
        for name in ("input_tokens", "output_tokens"):
            value = getattr(self, name)
            if not 0 <= value <= MAX_REPORTED_TOKENS:
                object.__setattr__(self, name, min(max(value, 0), MAX_REPORTED_TOKENS))


@dataclass(frozen=True, slots=True)
class TextDelta:
    text: str


@dataclass(frozen=True, slots=True)
class UsageReport:
    usage: Usage


@dataclass(frozen=True, slots=True)
class Finish:
    """End of a successful stream.

    `reason` uses OpenAI's vocabulary whatever the upstream ("stop", "length", "tool_calls",
    "content_filter"), so the gateway can forward it unchanged; "unknown" when the upstream
    never said.
    """

    reason: str


StreamEvent: TypeAlias = TextDelta | UsageReport | Finish


@dataclass(frozen=True, slots=True)
class ImageRequest:
    model: str
    prompt: str
    size: str
    n: int


@dataclass(frozen=True, slots=True)
class GeneratedImage:
    data: bytes
    mime_type: str


@dataclass(frozen=True, slots=True)
class EmbeddingResult:
    vectors: list[list[float]]
    usage: Usage


@dataclass(frozen=True, slots=True)
class RateLimitInfo:
    """What the upstream last told us about our remaining quota (its `x-ratelimit-*` headers).

    The gate uses it to skip a provider that is about to refuse us instead of spending a request
    to learn it. Reset times are seconds from `observed_at`; every field is optional because
    servers send any subset (OpenAI-compatible local servers usually send none).
    """

    remaining_requests: int | None = None
    remaining_tokens: int | None = None
    reset_requests_s: float | None = None
    reset_tokens_s: float | None = None
    limit_requests: int | None = None
    limit_tokens: int | None = None
    observed_at: datetime | None = None


class Provider(Protocol):
    """An upstream model service.

    `stream_chat` is an async generator: text deltas, then exactly one `UsageReport` when the
    upstream reports usage, then `Finish`. Every failure is raised as a `ProviderError` subclass
    (see `errors.py`), never as an HTTP client's exception. Stopping early releases the upstream
    connection when the generator is closed: cancel the task iterating it, or iterate inside
    `contextlib.aclosing(...)` (the concrete classes are typed as `AsyncGenerator` for that).
    Implementations own one HTTP session and release it in `aclose`.
    """

    @property
    def name(self) -> str: ...

    @property
    def kind(self) -> str: ...

    @property
    def last_rate_limit(self) -> RateLimitInfo | None: ...

    def stream_chat(self, request: ChatRequest) -> AsyncIterator[StreamEvent]: ...

    async def generate_images(self, request: ImageRequest) -> list[GeneratedImage]: ...

    async def embed(self, model: str, inputs: Sequence[str]) -> EmbeddingResult: ...

    async def list_models(self) -> list[str]: ...

    async def aclose(self) -> None: ...


@runtime_checkable
class OpenAIWire(Protocol):
    """A provider the /v1 gateway can hand OpenAI-format chat bodies to, whatever its own API.

    `chat_completion(body)` takes a `/v1/chat/completions` request body (with `model` already
    the upstream name and the token cap set) and returns a `chat.completion` object;
    `chat_completion_stream(body)` yields `chat.completion.chunk` objects, ending with the usage
    chunk (`choices: []`). Both raise `ProviderError`s only: an HTTP error before the first chunk,
    an error inside the stream, or a stream cut short. The stream is an async generator so that
    closing it (`contextlib.aclosing`) releases the upstream connection. `OpenAIProvider`
    passes bodies through; `AnthropicProvider` translates them to and from the Messages API.
    """

    async def chat_completion(self, body: Mapping[str, Any]) -> dict[str, Any]: ...

    def chat_completion_stream(
        self, body: Mapping[str, Any]
    ) -> AsyncGenerator[dict[str, Any], None]: ...


def openai_wire(provider: object) -> OpenAIWire | None:
    """The provider as an `OpenAIWire`, or None when it does not speak it.

    A provider class says so with ``speaks_openai_wire = True`` (tests/providers check the flag
    against the protocol for every provider class): ``isinstance`` against a runtime-checkable
    protocol walks its members on every call, which cost ~5 % of a ``/v1`` request's CPU when done
    per candidate per request (bench/profile.py).
    """
    return cast(OpenAIWire, provider) if getattr(provider, "speaks_openai_wire", False) else None


@runtime_checkable
class AnthropicWire(Protocol):
    """A provider the ``/v1/messages`` gateway can hand Anthropic Messages API bodies to as they
    are (`AnthropicProvider`): ``messages(body)`` returns the upstream's ``message`` object,
    ``messages_stream(body)`` yields its events as ``(type, data)`` up to ``message_stop``, and
    ``count_tokens(body)`` is the upstream's count of the input tokens. The caller sets
    ``model`` (the upstream name) and ``max_tokens`` (what the budget reserved for); errors are
    `ProviderError`s, as for `OpenAIWire`."""

    async def messages(self, body: Mapping[str, Any]) -> dict[str, Any]: ...
    def messages_stream(
        self, body: Mapping[str, Any]
    ) -> AsyncGenerator[tuple[str, dict[str, Any]], None]: ...
    async def count_tokens(self, body: Mapping[str, Any]) -> int: ...


def anthropic_wire(provider: object) -> AnthropicWire | None:
    """The provider as an `AnthropicWire`, or None: a class flag (``speaks_anthropic_wire``),
    for the same reason as `openai_wire`."""
    return (
        cast(AnthropicWire, provider) if getattr(provider, "speaks_anthropic_wire", False) else None
    )
