"""A minimal server-sent-events reader, enough for OpenAI and Anthropic streams.

Follows the WHATWG rules that matter here: `event:` and `data:` fields (one optional space
after the colon), multi-line data joined with "\\n", comment lines (`: keep-alive`) ignored,
a blank line dispatching the event. An event still pending at end of input is dispatched too:
whether the stream was complete is the caller's call (OpenAI's `[DONE]`, Anthropic's
`message_stop`), and a half-written JSON line then fails JSON parsing, which is the clearer error.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, AsyncIterable
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class ServerSentEvent:
    event: str
    data: str


async def iter_sse(lines: AsyncIterable[str]) -> AsyncGenerator[ServerSentEvent, None]:
    """Events from an iterable of lines without their line endings (`Response.aiter_lines()`)."""
    event = ""
    data: list[str] = []
    async for line in lines:
        if not line:
            if data:
                yield ServerSentEvent(event or "message", "\n".join(data))
            event, data = "", []
            continue
        if line.startswith(":"):
            continue
        name, _, value = line.partition(":")
        value = value.removeprefix(" ")
        if name == "data":
            data.append(value)
        elif name == "event":
            event = value
    if data:
        yield ServerSentEvent(event or "message", "\n".join(data))
