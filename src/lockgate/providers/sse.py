"""A minimal server-sent-events reader, enough for OpenAI and Anthropic streams.

Follows the WHATWG rules that matter here: `event:` and `data:` fields (one optional space
after the colon), multi-line data joined with "\\n", comment lines (`: keep-alive`) ignored,
a blank line dispatching the event. An event still pending at end of input is dispatched too:
whether the stream was complete is the caller's call (OpenAI's `[DONE]`, Anthropic's
`message_stop`), and a half-written JSON line then fails JSON parsing, which is the clearer error.

Lines are cut from the raw body here (`LineDecoder`), not by the HTTP client's `readline`:
aiohttp's refuses lines longer than its buffer (128 KiB by default), and one SSE line can be much
longer (a large tool-call argument arrives as a single `data:` line). Line endings are the three
SSE allows (CRLF, LF, CR) and only those: a U+2028 inside a JSON string is not a line break.

The decoders are plain classes fed one chunk or line at a time, so that `iter_sse_chunks`, which
the providers use, turns body chunks into events in a single generator; `iter_lines` and
`iter_sse` are the same steps one at a time.
"""

from __future__ import annotations

import codecs
from collections.abc import AsyncGenerator, AsyncIterable
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class ServerSentEvent:
    event: str
    data: str


class LineDecoder:
    """UTF-8 lines without their endings, from body chunks cut anywhere (mid-line, mid-character,
    between the CR and LF of a CRLF); `end` gives a last line that had no ending.

    Memory and time are linear in the line length whatever the chunking: the pieces of an
    unfinished line are kept in a list and joined once, when its end arrives.
    """

    def __init__(self) -> None:
        self._decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        self._pieces: list[str] = []
        self._held_cr = False  # the last chunk ended with CR: it may be half of a CRLF

    def feed(self, chunk: bytes) -> list[str]:
        text = self._decoder.decode(chunk)
        if self._held_cr:
            text = "\r" + text
        self._held_cr = text.endswith("\r")
        if self._held_cr:
            text = text[:-1]
        if "\r" in text:
            text = text.replace("\r\n", "\n").replace("\r", "\n")
        if "\n" not in text:
            if text:
                self._pieces.append(text)
            return []
        lines = text.split("\n")
        last = lines.pop()
        if self._pieces:
            self._pieces.append(lines[0])
            lines[0] = "".join(self._pieces)
        self._pieces = [last] if last else []
        return lines

    def end(self) -> list[str]:
        text = "".join(self._pieces) + self._decoder.decode(b"", final=True)
        if self._held_cr:
            text += "\r"
        self._pieces, self._held_cr = [], False
        lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
        if not lines[-1]:
            lines.pop()  # what follows the last line ending is not a line
        return lines


class EventDecoder:
    """Server-sent events from lines, one `line` call at a time (see the module docstring)."""

    def __init__(self) -> None:
        self._event = ""
        self._data: list[str] = []

    def line(self, line: str) -> ServerSentEvent | None:
        """The event this line completes, if it is the blank line ending one."""
        if not line:
            event = ServerSentEvent(self._event or "message", "\n".join(self._data))
            done = bool(self._data)
            self._event, self._data = "", []
            return event if done else None
        if line.startswith(":"):
            return None
        name, _, value = line.partition(":")
        value = value.removeprefix(" ")
        if name == "data":
            self._data.append(value)
        elif name == "event":
            self._event = value
        return None

    def end(self) -> ServerSentEvent | None:
        """The event still pending at end of input, if any."""
        return self.line("")


async def iter_lines(chunks: AsyncIterable[bytes]) -> AsyncGenerator[str, None]:
    """The lines of a body given as chunks (see `LineDecoder`)."""
    decoder = LineDecoder()
    async for chunk in chunks:
        for line in decoder.feed(chunk):
            yield line
    for line in decoder.end():
        yield line


async def iter_sse(lines: AsyncIterable[str]) -> AsyncGenerator[ServerSentEvent, None]:
    """Events from an iterable of lines without their line endings (`iter_lines(...)`)."""
    decoder = EventDecoder()
    async for line in lines:
        if (event := decoder.line(line)) is not None:
            yield event
    if (event := decoder.end()) is not None:
        yield event


async def iter_sse_chunks(chunks: AsyncIterable[bytes]) -> AsyncGenerator[ServerSentEvent, None]:
    """`iter_sse(iter_lines(chunks))` in one generator: a stream pays one generator step per
    event instead of one per line and per event (this is the gateway's hot path)."""
    lines = LineDecoder()
    events = EventDecoder()
    async for chunk in chunks:
        for line in lines.feed(chunk):
            if (event := events.line(line)) is not None:
                yield event
    for line in lines.end():
        if (event := events.line(line)) is not None:
            yield event
    if (event := events.end()) is not None:
        yield event
