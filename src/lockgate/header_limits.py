"""Caps on a request's head (request target + headers): its size and its number of headers.

Without them a client could send a 1 MiB header or 10,000 headers and every one was parsed,
stored in the request scope and walked by each middleware (issue 12). One rule,
:class:`HeaderLimits`, is enforced twice:

* by the HTTP protocol ``lockgate serve`` runs (:mod:`lockgate.server_protocol`), while the head
  arrives: a refused head is never buffered past the cap, and the connection is closed; a head
  that trickles in for longer than ``max_seconds`` (slowloris) is answered 408 and closed;
* by :class:`lockgate.middleware.HeaderLimitMiddleware`, for any other ASGI server.

Both answer ``431 Request Header Fields Too Large`` with the usual error body::

    {"error": {"code": "headers_too_large", "message": "The request has 10000 headers; ..."}}

The size counts the request target and, per header, its name, value and 4 bytes of framing
(``": "`` and CRLF): close to the bytes on the wire, the same in both places.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import orjson

from lockgate.errors import AppError

HEADER_FRAMING = 4
"""``": "`` and CRLF around each header, counted in its size."""


class HeadersTooLarge(AppError):
    status = 431
    code = "headers_too_large"
    message = "The request headers are too large."


class HeadersTooSlow(AppError):
    status = 408
    code = "request_timeout"
    message = "The request headers took too long to arrive."


@dataclass(frozen=True, slots=True)
class HeaderLimits:
    """``max_bytes`` for the whole head, at most ``max_count`` headers, and ``max_seconds``
    from its first byte to its end (settings defaults; only the server protocol can time)."""

    max_bytes: int = 64 * 1024
    max_count: int = 100
    max_seconds: float = 30.0

    def check(self, count: int, size: int) -> None:
        """Raise :class:`HeadersTooLarge` when ``count`` headers or ``size`` bytes are over."""
        if count > self.max_count:
            raise HeadersTooLarge(
                f"The request has more than {self.max_count} headers; send fewer."
            )
        if size > self.max_bytes:
            raise HeadersTooLarge(
                f"The request target and headers are larger than {self.max_bytes} bytes."
            )

    def check_scope(self, target: int, headers: Iterable[tuple[bytes, bytes]]) -> None:
        """:meth:`check` for a parsed head: ``target`` bytes of path and query, and headers."""
        count, size = 0, target
        for name, value in headers:
            count += 1
            size += len(name) + len(value) + HEADER_FRAMING
        self.check(count, size)


def error_body(exc: AppError) -> bytes:
    """The JSON body of a 431, the same shape as every other error."""
    return orjson.dumps({"error": {"code": exc.code, "message": exc.message}})
