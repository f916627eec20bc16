"""The HTTP/1.1 protocol ``lockgate serve`` runs: uvicorn's httptools one, with header limits.

uvicorn's httptools protocol has no limit on a request's head: a 1 MiB header or 10,000 headers
were parsed and handed to the app (issue 12). This subclass applies :class:`HeaderLimits` while
the head arrives, and answers 431 and closes the connection as soon as it is over:

* every complete header (and the request target) is counted as the parser reports it, so the
  101st header or the byte past ``max_bytes`` stops the parse there;
* a head still incomplete after ``max_bytes`` plus some slack for framing has arrived (one
  endless header) is refused before the parser buffers more of it;
* a head still incomplete ``max_seconds`` after its first byte is answered 408: a client
  trickling a header a byte at a time would otherwise hold its connection forever (uvicorn's
  keep-alive timeout stops counting at the first byte of a request).

After the 431 the server stops writing but keeps reading, and discarding, for up to
``LINGER_SECONDS`` (nginx's "lingering close"): closing at once, with the rest of the client's
headers unread, would make the kernel reset the connection and the client would see a reset
instead of the 431.

At shutdown uvicorn tells each open connection to finish (`shutdown`) and waits for them, and
only then runs the app's lifespan shutdown. A live chat reply keeps its SSE connection open, so
the app would hear of the shutdown only after uvicorn's timeout had cut its listeners. The
protocol therefore calls the app's ``SHUTDOWN_HOOK`` (a callable the lifespan puts in its state)
first: replies get their grace while their listeners are still connected, and a reply cut at the
end of it sends them its final event.

``uvicorn.run(..., http=limited_http_protocol(limits))``: a ``functools.partial`` of a
module-level class, so it is pickled by reference to the worker processes.
"""

from __future__ import annotations

import asyncio
import functools
from typing import Any, cast

from uvicorn.protocols.http.httptools_impl import STATUS_LINE, HttpToolsProtocol

from lockgate.errors import AppError
from lockgate.header_limits import (
    HEADER_FRAMING,
    HeaderLimits,
    HeadersTooLarge,
    HeadersTooSlow,
    error_body,
)
from lockgate.observability.logging import get_logger

SHUTDOWN_HOOK = "lockgate.on_server_shutdown"
"""Key in the lifespan state of a no-argument callable run when the server starts shutting down."""
LINGER_SECONDS = 2.0
_SLACK = 4096
"""Raw bytes allowed past ``max_bytes`` in an unfinished head: the request line's method and
version, line ends and whitespace that the exact count leaves out."""


class LimitedHttpToolsProtocol(HttpToolsProtocol):
    """:class:`HttpToolsProtocol` refusing a head over ``limits`` with a 431 (or 408)."""

    def __init__(self, *args: Any, limits: HeaderLimits, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.limits = limits
        self._refusal: AppError | None = None
        self._count = 0
        self._size = 0
        self._in_head = False
        """From a request's first byte to the end of its headers."""
        self._head_bytes = 0
        self._ended_in_chunk = False
        self._linger: asyncio.TimerHandle | None = None
        self._deadline: asyncio.TimerHandle | None = None

    def data_received(self, data: bytes) -> None:
        if self._refusal is not None:
            return  # refused: what is still arriving is read and dropped until the close
        self._ended_in_chunk = False
        super().data_received(data)
        if self._refusal is not None or not self._in_head:
            return
        if self._deadline is None:  # only for a head that spans chunks: rare, and costs nothing
            self._deadline = self.loop.call_later(self.limits.max_seconds, self._too_slow)
        if not self._ended_in_chunk:  # else the chunk also held the end of the last request
            self._head_bytes += len(data)
        if self._head_bytes > self.limits.max_bytes + _SLACK:
            self._refuse(
                HeadersTooLarge(
                    f"The request target and headers are larger than {self.limits.max_bytes} bytes."
                )
            )

    def on_message_begin(self) -> None:
        self._in_head, self._count, self._size = True, 0, 0
        super().on_message_begin()

    def on_url(self, url: bytes) -> None:
        self._add(0, len(url))
        super().on_url(url)

    def on_header(self, name: bytes, value: bytes) -> None:
        self._add(1, len(name) + len(value) + HEADER_FRAMING)
        super().on_header(name, value)

    def on_headers_complete(self) -> None:
        self._in_head, self._head_bytes = False, 0
        self._cancel_deadline()
        super().on_headers_complete()

    def on_message_complete(self) -> None:
        self._ended_in_chunk = True
        super().on_message_complete()

    def send_400_response(self, msg: str) -> None:
        # The parser reports a callback's exception as an invalid request: answer ours instead.
        if self._refusal is not None:
            self._write_refusal(self._refusal)
            return
        super().send_400_response(msg)

    def _add(self, count: int, size: int) -> None:
        if not self._in_head:
            return  # chunked trailers: part of the body, not the head
        self._count += count
        self._size += size
        try:
            self.limits.check(self._count, self._size)
        except HeadersTooLarge as exc:
            self._refusal = exc
            raise  # stops the parser; it then calls send_400_response

    def _too_slow(self) -> None:
        self._deadline = None
        if self._in_head and self._refusal is None and not self.transport.is_closing():
            self._refuse(
                HeadersTooSlow(
                    f"The request headers did not arrive within {self.limits.max_seconds:g} "
                    "seconds."
                )
            )

    def _cancel_deadline(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None

    def _refuse(self, exc: AppError) -> None:
        self._refusal = exc
        self._write_refusal(exc)

    def _write_refusal(self, exc: AppError) -> None:
        get_logger("lockgate.request").warning(
            "request_head_refused", status=exc.status, reason=exc.message, client=self.client
        )
        if self.cycle is not None and not self.cycle.response_complete:
            # A pipelined earlier request still answering: its writes are dropped from now on
            # (as after a client disconnect), never written after this response or its EOF.
            self.cycle.disconnected = True
            self.cycle.message_event.set()
        body = error_body(exc)
        content = [STATUS_LINE[exc.status]]
        for name, value in self.server_state.default_headers:
            content += [name, b": ", value, b"\r\n"]
        content += [
            b"content-type: application/json\r\n",
            b"content-length: ",
            str(len(body)).encode(),
            b"\r\nconnection: close\r\n\r\n",
            body,
        ]
        self.transport.write(b"".join(content))
        if not self.transport.can_write_eof():
            self.transport.close()
            return
        self.transport.write_eof()
        self._linger = self.loop.call_later(LINGER_SECONDS, self.transport.close)

    def shutdown(self) -> None:
        hook = self.app_state.get(SHUTDOWN_HOOK)
        if callable(hook):
            hook()
        super().shutdown()

    def connection_lost(self, exc: Exception | None) -> None:
        if self._linger is not None:
            self._linger.cancel()
        self._cancel_deadline()
        super().connection_lost(exc)


def limited_http_protocol(limits: HeaderLimits) -> type[asyncio.Protocol]:
    """The ``http`` argument of ``uvicorn.run`` for these limits."""
    factory = functools.partial(LimitedHttpToolsProtocol, limits=limits)
    return cast(type[asyncio.Protocol], factory)
