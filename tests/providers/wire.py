"""Upstream wire formats, replayed through `httpx.MockTransport`.

The payloads copy what OpenAI and Anthropic actually send (field order, nulls, the usage chunk
with `choices: []`, Anthropic's `ping` and content-block framing), so the parsers are tested
against the real shapes rather than against our own idea of them.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable, Iterable
from datetime import UTC, datetime
from typing import Any

import httpx

from lockgate.providers import ProviderError, StreamEvent

API_KEY = "sk-test-SECRET-0123456789abcdef"
FIXED_NOW = datetime(2025, 1, 1, 12, 0, 0, tzinfo=UTC)


def fixed_clock() -> datetime:
    return FIXED_NOW


def _openai_chunk(delta: dict[str, Any], finish_reason: str | None = None) -> dict[str, Any]:
    return {
        "id": "chatcmpl-B9MHDbslfkBeAs8l4bebGdFOJ6PeG",
        "object": "chat.completion.chunk",
        "created": 1741570283,
        "model": "gpt-4o-mini-2024-07-18",
        "service_tier": "default",
        "system_fingerprint": "fp_06737a9306",
        "choices": [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish_reason}],
        "usage": None,
    }


OPENAI_USAGE_CHUNK: dict[str, Any] = {
    "id": "chatcmpl-B9MHDbslfkBeAs8l4bebGdFOJ6PeG",
    "object": "chat.completion.chunk",
    "created": 1741570283,
    "model": "gpt-4o-mini-2024-07-18",
    "service_tier": "default",
    "system_fingerprint": "fp_06737a9306",
    "choices": [],
    "usage": {
        "prompt_tokens": 9,
        "completion_tokens": 3,
        "total_tokens": 12,
        "prompt_tokens_details": {"cached_tokens": 0, "audio_tokens": 0},
        "completion_tokens_details": {
            "reasoning_tokens": 0,
            "audio_tokens": 0,
            "accepted_prediction_tokens": 0,
            "rejected_prediction_tokens": 0,
        },
    },
}

OPENAI_CHUNKS: list[dict[str, Any]] = [
    _openai_chunk({"role": "assistant", "content": "", "refusal": None}),
    _openai_chunk({"content": "Hello"}),
    _openai_chunk({"content": " there"}),
    _openai_chunk({"content": "!"}),
    _openai_chunk({}, finish_reason="stop"),
    OPENAI_USAGE_CHUNK,
]


def openai_sse(chunks: Iterable[dict[str, Any] | str], *, done: bool = True) -> bytes:
    """`data: ...` lines as OpenAI frames them; strings are sent verbatim (for bad JSON)."""
    lines = [
        f"data: {chunk if isinstance(chunk, str) else json.dumps(chunk)}\n\n" for chunk in chunks
    ]
    if done:
        lines.append("data: [DONE]\n\n")
    return "".join(lines).encode()


OPENAI_STREAM = openai_sse(OPENAI_CHUNKS)

ANTHROPIC_EVENTS: list[tuple[str, dict[str, Any]]] = [
    (
        "message_start",
        {
            "type": "message_start",
            "message": {
                "id": "msg_01XFDUDYJgAACzvnptvVoYEL",
                "type": "message",
                "role": "assistant",
                "model": "claude-3-5-haiku-20241022",
                "content": [],
                "stop_reason": None,
                "stop_sequence": None,
                "usage": {
                    "input_tokens": 25,
                    "cache_creation_input_tokens": 0,
                    "cache_read_input_tokens": 0,
                    "output_tokens": 1,
                },
            },
        },
    ),
    (
        "content_block_start",
        {"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}},
    ),
    ("ping", {"type": "ping"}),
    (
        "content_block_delta",
        {"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": "Hi"}},
    ),
    (
        "content_block_delta",
        {
            "type": "content_block_delta",
            "index": 0,
            "delta": {"type": "text_delta", "text": " there."},
        },
    ),
    ("content_block_stop", {"type": "content_block_stop", "index": 0}),
    (
        "message_delta",
        {
            "type": "message_delta",
            "delta": {"stop_reason": "end_turn", "stop_sequence": None},
            "usage": {"output_tokens": 15},
        },
    ),
    ("message_stop", {"type": "message_stop"}),
]


def anthropic_sse(events: Iterable[tuple[str, dict[str, Any] | str]]) -> bytes:
    """`event: NAME\\ndata: {...}\\n\\n` frames, as Anthropic sends them."""
    frames = [
        f"event: {name}\ndata: {data if isinstance(data, str) else json.dumps(data)}\n\n"
        for name, data in events
    ]
    return "".join(frames).encode()


ANTHROPIC_STREAM = anthropic_sse(ANTHROPIC_EVENTS)


class Exchange:
    """A MockTransport that records every request and answers with `respond(request)`."""

    def __init__(self, respond: Callable[[httpx.Request], httpx.Response]) -> None:
        self.requests: list[httpx.Request] = []
        self._respond = respond
        self.closed = False
        self.transport = _ClosingMockTransport(self._handle, self)

    def _handle(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        return self._respond(request)

    @property
    def last(self) -> httpx.Request:
        return self.requests[-1]

    def last_json(self) -> Any:
        return json.loads(self.last.content)


class _ClosingMockTransport(httpx.MockTransport):
    def __init__(self, handler: Callable[[httpx.Request], httpx.Response], owner: Exchange) -> None:
        super().__init__(handler)
        self._owner = owner

    async def aclose(self) -> None:
        self._owner.closed = True


def replying(
    status: int = 200, *, content: bytes = b"", headers: dict[str, str] | None = None
) -> Exchange:
    """An exchange answering every request with the same status, body and headers."""
    return Exchange(lambda _: httpx.Response(status, content=content, headers=headers))


def event_stream(content: bytes, headers: dict[str, str] | None = None) -> Exchange:
    return replying(
        200, content=content, headers={"content-type": "text/event-stream", **(headers or {})}
    )


def raising(exc_type: type[httpx.TransportError], message: str) -> Exchange:
    """An exchange whose every request fails in transport with `exc_type`."""

    def respond(request: httpx.Request) -> httpx.Response:
        raise exc_type(message, request=request)

    return Exchange(respond)


class ChunkStream(httpx.AsyncByteStream):
    """A response body sent in `chunks`, then failing or hanging if asked; records closing."""

    def __init__(
        self, chunks: list[bytes], error: Exception | None = None, *, hang: bool = False
    ) -> None:
        self._chunks = chunks
        self._error = error
        self._hang = hang
        self.closed = False

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for chunk in self._chunks:
            yield chunk
        if self._error is not None:
            raise self._error
        if self._hang:
            await asyncio.Event().wait()

    async def aclose(self) -> None:
        self.closed = True


async def collect(stream: AsyncIterator[StreamEvent]) -> list[StreamEvent]:
    return [event async for event in stream]


async def collect_until_error(
    stream: AsyncIterator[StreamEvent],
) -> tuple[list[StreamEvent], ProviderError]:
    """The events yielded before the stream raised, and the `ProviderError` it raised."""
    events: list[StreamEvent] = []
    try:
        async for event in stream:
            events.append(event)
    except ProviderError as exc:
        return events, exc
    raise AssertionError(f"stream ended without an error after {events}")
