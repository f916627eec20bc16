"""A ``/v1/messages`` stream: Anthropic's events, from whichever attempt produces the answer.

From an Anthropic upstream the events are relayed as it sent them (``model`` set to the name
the client asked for), except that ``message_start`` and the pings before any content are held
back until the first content event: an attempt that fails before answering leaves nothing on the
wire, so the next candidate can start the message afresh. From an OpenAI-compatible upstream
(chunks) and from a text provider (the simulated one) the events are built here, in Anthropic's
order::

    message_start → ping → (content_block_start → content_block_delta* → content_block_stop)*
      → message_delta (stop_reason, usage) → message_stop

with text as ``text_delta`` and tool calls as ``tool_use`` blocks whose input arrives as
``input_json_delta``. Either way the runner sees the usual events (text, usage, finish, and
`Delivered` once a tool call or thinking went out), so budgets, retries and fallbacks work as
for every other call.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Callable
from typing import Any

from lockgate.calls.runner import Delivered, Event
from lockgate.gateway.messages_wire import event
from lockgate.gateway.relay import usage_of
from lockgate.providers.anthropic_wire import STOP_REASONS
from lockgate.providers.base import Finish, StreamEvent, TextDelta, Usage, UsageReport

CONTENT_EVENTS = frozenset({"content_block_start", "content_block_delta", "content_block_stop"})


def _tokens(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else 0


def billed_input(usage: dict[str, Any]) -> int:
    """Input tokens as billed: cache writes and reads included (as `WireUsage.billed_input`)."""
    return sum(
        _tokens(usage.get(name))
        for name in ("input_tokens", "cache_creation_input_tokens", "cache_read_input_tokens")
    )


def message_events(message: dict[str, Any]) -> list[Event]:
    """The runner's view of a non-streamed ``message`` (passed through or translated)."""
    events: list[Event] = []
    for block in message.get("content") or []:
        if not isinstance(block, dict):
            continue
        if block.get("type") == "text" and block.get("text"):
            events.append(TextDelta(str(block["text"])))
        else:
            events.append(Delivered())
    usage = message.get("usage")
    if isinstance(usage, dict):
        events.append(UsageReport(Usage(billed_input(usage), _tokens(usage.get("output_tokens")))))
    stop = message.get("stop_reason")
    events.append(Finish(STOP_REASONS.get(str(stop), str(stop or "unknown"))))
    return events


class MessageStream:
    """The SSE frames of one streamed ``/v1/messages`` answer (see the module docstring)."""

    def __init__(self, model: str) -> None:
        self.model = model
        self.id = f"msg_{uuid.uuid4().hex}"
        self.started = False  # message_start is out
        self.stopped = False  # message_stop is out (an Anthropic upstream sent it)
        self.delivered = False  # content is out: the answer can no longer be replaced
        self.text_only = True  # every content block so far is text (the cache stores only such)
        self._held: list[bytes] = []  # an Anthropic attempt's message_start and pings
        self._index = -1  # the newest content block
        self._open: str | None = None  # its type while it is open
        self._tools: dict[int, int] = {}  # OpenAI tool call index -> block index
        self._queue: asyncio.Queue[bytes | None] = asyncio.Queue()
        self._emit: Callable[[bytes], None] = self._queue.put_nowait

    async def get(self) -> bytes | None:
        """The next frame; None once the call is over."""
        return await self._queue.get()

    def close(self) -> None:
        self._queue.put_nowait(None)

    def _put(self, name: str, data: dict[str, Any]) -> None:
        self._emit(event(name, data))

    # -- an Anthropic upstream: relayed --------------------------------------------------------

    async def passthrough(
        self, events: AsyncIterator[tuple[str, dict[str, Any]]]
    ) -> AsyncIterator[Event]:
        """Relay an Anthropic stream; yield what the runner needs to know."""
        self._held = []
        input_tokens = output_tokens = 0
        stop: str | None = None
        async for kind, data in events:
            if kind == "message_start":
                message = data.get("message")
                if isinstance(message, dict):
                    message["model"] = self.model
                    usage = message.get("usage")
                    if isinstance(usage, dict):
                        input_tokens = billed_input(usage) or input_tokens
                        output_tokens = _tokens(usage.get("output_tokens")) or output_tokens
                self._held.append(event(kind, data))
                continue
            if kind == "ping" and not self.started:
                self._held.append(event(kind, data))
                continue
            if not self.started:
                self.started = self.delivered = True
                for frame in self._held:
                    self._queue.put_nowait(frame)
                yield Delivered()  # frames are out: this attempt can no longer be replaced
            self._put(kind, data)
            block = data.get("content_block") if kind == "content_block_start" else None
            if isinstance(block, dict) and block.get("type") != "text":
                self.text_only = False
            if kind in CONTENT_EVENTS:
                yield self._passthrough_content(kind, data)
            elif kind == "message_delta":
                usage = data.get("usage")
                if isinstance(usage, dict):
                    input_tokens = billed_input(usage) or input_tokens
                    output_tokens = _tokens(usage.get("output_tokens")) or output_tokens
                delta = data.get("delta")
                if isinstance(delta, dict) and delta.get("stop_reason"):
                    stop = str(delta["stop_reason"])
            elif kind == "message_stop":
                self.stopped = True
                yield UsageReport(Usage(input_tokens, output_tokens))
                yield Finish(STOP_REASONS.get(stop or "", stop or "unknown"))

    @staticmethod
    def _passthrough_content(kind: str, data: dict[str, Any]) -> Event:
        delta = data.get("delta")
        text = delta.get("text") if isinstance(delta, dict) else None
        if kind == "content_block_delta" and isinstance(delta, dict) and text:
            return TextDelta(str(text)) if delta.get("type") == "text_delta" else Delivered()
        return Delivered()

    # -- built here: OpenAI chunks, text ---------------------------------------------------------

    def _start(self) -> None:
        if self.started:
            return
        self.started = True
        message: dict[str, Any] = {
            "id": self.id,
            "type": "message",
            "role": "assistant",
            "model": self.model,
            "content": [],
            "stop_reason": None,
            "stop_sequence": None,
            "usage": {"input_tokens": 0, "output_tokens": 0},
        }
        self._put("message_start", {"type": "message_start", "message": message})
        self._put("ping", {"type": "ping"})

    def _close_block(self) -> None:
        if self._open is not None:
            self._put("content_block_stop", {"type": "content_block_stop", "index": self._index})
            self._open = None

    def _open_block(self, block: dict[str, Any]) -> None:
        self._start()
        self._close_block()
        self._index += 1
        self._open = str(block["type"])
        self.text_only = self.text_only and self._open == "text"
        self._put(
            "content_block_start",
            {"type": "content_block_start", "index": self._index, "content_block": block},
        )

    def text(self, value: str) -> None:
        if self._open != "text":
            self._open_block({"type": "text", "text": ""})
        self.delivered = True
        delta = {"type": "text_delta", "text": value}
        self._put(
            "content_block_delta",
            {"type": "content_block_delta", "index": self._index, "delta": delta},
        )

    def tool_json(self, index: int, partial: str) -> None:
        delta = {"type": "input_json_delta", "partial_json": partial}
        self._put(
            "content_block_delta",
            {"type": "content_block_delta", "index": index, "delta": delta},
        )

    async def translated(self, chunks: AsyncIterator[dict[str, Any]]) -> AsyncIterator[Event]:
        """Build events from an OpenAI-compatible stream's chunks."""
        async for chunk in chunks:
            usage = chunk.get("usage")
            reported = usage_of(usage) if isinstance(usage, dict) else None
            if reported is not None:
                yield UsageReport(reported)
            choices = chunk.get("choices")
            for choice in choices if isinstance(choices, list) else []:
                if not isinstance(choice, dict) or choice.get("index", 0) != 0:
                    continue
                delta = choice.get("delta")
                if isinstance(delta, dict):
                    content = delta.get("content")
                    if isinstance(content, str) and content:
                        self.text(content)
                        yield TextDelta(content)
                    calls = delta.get("tool_calls")
                    for call in calls if isinstance(calls, list) else []:
                        if self._tool_call(call):
                            yield Delivered()
                finish = choice.get("finish_reason")
                if finish:
                    yield Finish(str(finish))

    def _tool_call(self, call: Any) -> bool:
        """One tool call piece; True when something went out."""
        if not isinstance(call, dict):
            return False
        number = call.get("index", 0)
        number = number if isinstance(number, int) else 0
        function = call.get("function") if isinstance(call.get("function"), dict) else {}
        assert isinstance(function, dict)
        if number not in self._tools:
            block: dict[str, Any] = {
                "type": "tool_use",
                "id": call.get("id") or f"toolu_{uuid.uuid4().hex[:24]}",
                "name": function.get("name") or "",
                "input": {},
            }
            self._open_block(block)
            self._tools[number] = self._index
        arguments = function.get("arguments")
        if isinstance(arguments, str) and arguments:
            self.tool_json(self._tools[number], arguments)
        self.delivered = True
        return True

    async def texts(self, events: AsyncIterator[StreamEvent]) -> AsyncIterator[Event]:
        """Build events from a text provider's stream (the simulated one)."""
        async for item in events:
            if isinstance(item, TextDelta) and item.text:
                self.text(item.text)
            yield item

    def finish(self, stop_reason: str, usage: Usage) -> bytes:
        """The last frames of a message built here (the call is over, the queue closed): the
        open block closed, the stop reason and the usage, then ``message_stop``; nothing when
        an Anthropic upstream already sent them."""
        if self.stopped:
            return b""
        frames: list[bytes] = []
        self._emit = frames.append
        self._start()
        self._close_block()
        self._put(
            "message_delta",
            {
                "type": "message_delta",
                "delta": {"stop_reason": stop_reason, "stop_sequence": None},
                "usage": {
                    "input_tokens": usage.input_tokens,
                    "output_tokens": usage.output_tokens,
                },
            },
        )
        self._put("message_stop", {"type": "message_stop"})
        self.stopped = True
        return b"".join(frames)
