"""Upstream wire formats, served by a real local HTTP server.

The payloads copy what OpenAI and Anthropic actually send (field order, nulls, the usage chunk
with `choices: []`, Anthropic's `ping` and content-block framing), so the parsers are tested
against the real shapes rather than against our own idea of them.

`Upstream` is a small HTTP/1.1 server on 127.0.0.1 (port 0) written on asyncio streams rather
than a framework, because the tests need what frameworks smooth over: a body written in several
pieces (to cut lines, even characters, across reads), a connection closed mid-body, a reply that
waits on an `asyncio.Event` before its headers or between two pieces (a stalled upstream, or a
test deciding when the rest may come), a request whose body is never read (a stalled upload),
and knowing when the client has closed its connections. It records every request::

    upstream.reply(event_stream(OPENAI_STREAM))
    await collect(provider.stream_chat(request))
    assert upstream.last.path == "/v1/chat/completions"
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http import HTTPStatus
from typing import Any, Protocol, TypeVar
from urllib.parse import parse_qsl, urlsplit

from multidict import CIMultiDict, CIMultiDictProxy

from lockgate.providers import ProviderError, StreamEvent

API_KEY = "sk-test-SECRET-0123456789abcdef"
FIXED_NOW = datetime(2025, 1, 1, 12, 0, 0, tzinfo=UTC)
WAIT = 5.0
"""Upper bound, in seconds, on any wait for the server in a test (it normally takes ms)."""


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

OPENAI_COMPLETION: dict[str, Any] = {
    "id": "chatcmpl-B9MBs8CjcvOU2jLn4n570S5qMJKcT",
    "object": "chat.completion",
    "created": 1741569952,
    "model": "gpt-4o-mini-2024-07-18",
    "choices": [
        {
            "index": 0,
            "message": {
                "role": "assistant",
                "content": None,
                "tool_calls": [
                    {
                        "id": "call_12345xyz",
                        "type": "function",
                        "function": {"name": "get_weather", "arguments": '{"location":"Paris"}'},
                    }
                ],
                "refusal": None,
                "annotations": [],
            },
            "logprobs": None,
            "finish_reason": "tool_calls",
        }
    ],
    "usage": {
        "prompt_tokens": 82,
        "completion_tokens": 17,
        "total_tokens": 99,
        "prompt_tokens_details": {"cached_tokens": 0, "audio_tokens": 0},
        "completion_tokens_details": {"reasoning_tokens": 0, "audio_tokens": 0},
    },
    "service_tier": "default",
    "system_fingerprint": "fp_06737a9306",
}


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


@dataclass(frozen=True)
class Recorded:
    """One request as the server received it; `headers` is case-insensitive."""

    method: str
    target: str
    headers: CIMultiDictProxy[str]
    body: bytes

    @property
    def path(self) -> str:
        return urlsplit(self.target).path

    @property
    def query(self) -> dict[str, str]:
        return dict(parse_qsl(urlsplit(self.target).query))

    def json(self) -> Any:
        return json.loads(self.body)


BodyPart = bytes | asyncio.Event
"""A piece of a reply body: bytes are written (and drained) on their own, an Event is waited for
(while watching for the client hanging up) before what follows."""


@dataclass(frozen=True)
class Reply:
    """What the server answers. A body of one piece goes with Content-Length, anything else is
    chunked, one chunk per piece; `cut` closes the connection where the body should end."""

    status: int = 200
    headers: Mapping[str, str] = field(default_factory=dict)
    body: Sequence[BodyPart] = ()
    before_headers: asyncio.Event | None = None
    cut: bool = False


Responder = Callable[[Recorded], Reply]


def replying(
    status: int = 200, *, content: bytes = b"", headers: Mapping[str, str] | None = None
) -> Reply:
    return Reply(status, dict(headers or {}), [content] if content else [])


def json_reply(payload: Any, status: int = 200, headers: Mapping[str, str] | None = None) -> Reply:
    return Reply(
        status,
        {"content-type": "application/json", **(headers or {})},
        [json.dumps(payload).encode()],
    )


def event_stream(
    *body: BodyPart, headers: Mapping[str, str] | None = None, cut: bool = False
) -> Reply:
    """A 200 `text/event-stream` reply written in the given pieces."""
    return Reply(200, {"content-type": "text/event-stream", **(headers or {})}, body, cut=cut)


class Upstream:
    """The local server; see the module docstring. Use it through the `upstream` fixture."""

    def __init__(self) -> None:
        self.requests: list[Recorded] = []
        self.stall_request_bodies = False
        self.connections_opened = 0
        self._respond: Responder = lambda _: Reply()
        self._server: asyncio.Server | None = None
        self._handlers: set[asyncio.Task[None]] = set()
        self._open = 0
        self._changed = asyncio.Condition()

    @property
    def url(self) -> str:
        assert self._server is not None
        host, port = self._server.sockets[0].getsockname()[:2]
        return f"http://{host}:{port}"

    @property
    def last(self) -> Recorded:
        return self.requests[-1]

    @property
    def open_connections(self) -> int:
        return self._open

    def reply(self, reply: Reply | Responder) -> None:
        """Answer every following request with `reply`, or with `reply(request)`."""
        self._respond = reply if callable(reply) else lambda _: reply

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
        for task in list(self._handlers):
            task.cancel()
        await asyncio.gather(*self._handlers, return_exceptions=True)
        if self._server is not None:
            await self._server.wait_closed()

    async def wait_for_connections(self, count: int) -> None:
        """Until exactly `count` client connections are open (0: the client hung up on all)."""
        async with asyncio.timeout(WAIT), self._changed:
            await self._changed.wait_for(lambda: self._open == count)

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._handlers.add(task)
        await self._count(+1)
        self.connections_opened += 1
        try:
            while await self._exchange(reader, writer):
                pass
        except (asyncio.IncompleteReadError, ConnectionError):
            pass  # the client went away
        finally:
            writer.close()
            with contextlib.suppress(ConnectionError):
                await writer.wait_closed()
            await self._count(-1)
            self._handlers.discard(task)

    async def _count(self, delta: int) -> None:
        async with self._changed:
            self._open += delta
            self._changed.notify_all()

    async def _exchange(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> bool:
        """One request and its reply; False when the connection is to be closed."""
        try:
            head = await reader.readuntil(b"\r\n\r\n")
        except asyncio.IncompleteReadError:
            return False
        request_line, *header_lines = head.decode("latin-1").split("\r\n")[:-2]
        method, target, _ = request_line.split(" ", 2)
        headers: CIMultiDict[str] = CIMultiDict()
        for line in header_lines:
            name, _, value = line.partition(":")
            headers.add(name.strip(), value.strip())
        if self.stall_request_bodies:  # read nothing more: the client's send buffers fill up
            await asyncio.Event().wait()  # never set; `stop` cancels this
        body = await reader.readexactly(int(headers.get("content-length", "0")))
        recorded = Recorded(method, target, CIMultiDictProxy(headers), body)
        self.requests.append(recorded)
        return await self._write(self._respond(recorded), reader, writer)

    async def _write(
        self, reply: Reply, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> bool:
        if reply.before_headers is not None and not await self._wait(reply.before_headers, reader):
            return False
        one_piece = len(reply.body) <= 1 and all(isinstance(p, bytes) for p in reply.body)
        chunked = not one_piece or reply.cut
        headers = dict(reply.headers)
        if chunked:
            headers["transfer-encoding"] = "chunked"
        else:
            headers["content-length"] = str(sum(len(p) for p in reply.body if isinstance(p, bytes)))
        try:
            phrase = HTTPStatus(reply.status).phrase
        except ValueError:
            phrase = "Unknown"
        lines = [f"HTTP/1.1 {reply.status} {phrase}", *(f"{k}: {v}" for k, v in headers.items())]
        writer.write(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1"))
        await writer.drain()
        for piece in reply.body:
            if isinstance(piece, asyncio.Event):
                if not await self._wait(piece, reader):
                    return False
                continue
            writer.write(b"%x\r\n%s\r\n" % (len(piece), piece) if chunked else piece)
            await writer.drain()
        if reply.cut:
            return False
        if chunked:
            writer.write(b"0\r\n\r\n")
            await writer.drain()
        return True

    @staticmethod
    async def _wait(event: asyncio.Event, reader: asyncio.StreamReader) -> bool:
        """Wait for `event`; False if the client closes its connection first."""
        released = asyncio.ensure_future(event.wait())
        hung_up = asyncio.ensure_future(reader.read(1))
        try:
            await asyncio.wait({released, hung_up}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for waiter in (released, hung_up):
                waiter.cancel()
            await asyncio.gather(released, hung_up, return_exceptions=True)
        return released.done() and not released.cancelled()


class Closable(Protocol):
    async def aclose(self) -> None: ...


ClosableT = TypeVar("ClosableT", bound=Closable)


class Closer:
    """Remembers providers to close at teardown: `provider = closing(OpenAIProvider(...))`."""

    def __init__(self) -> None:
        self.opened: list[Closable] = []

    def __call__(self, provider: ClosableT) -> ClosableT:
        self.opened.append(provider)
        return provider

    async def aclose(self) -> None:
        for provider in self.opened:
            await provider.aclose()


async def collect(stream: AsyncIterator[StreamEvent]) -> list[StreamEvent]:
    return [event async for event in stream]


async def collect_all(stream: AsyncIterator[dict[str, Any]]) -> list[dict[str, Any]]:
    return [chunk async for chunk in stream]


async def collect_until_error(
    stream: AsyncIterator[Any],
) -> tuple[list[Any], ProviderError]:
    """The items yielded before the stream raised, and the `ProviderError` it raised."""
    events: list[Any] = []
    try:
        async for event in stream:
            events.append(event)
    except ProviderError as exc:
        return events, exc
    raise AssertionError(f"stream ended without an error after {events}")
