"""Server-Sent Events framing for chat streams.

Events: ``message`` (ids), ``delta`` (text), ``usage`` (tokens, cost), ``done`` (final message),
``error`` (code, message, final message). Each is ``event: <name>\\ndata: <json>\\n\\n``.
"""

from __future__ import annotations

from typing import Any

import orjson

SSE_HEADERS = {
    "Cache-Control": "no-cache, no-transform",
    "X-Accel-Buffering": "no",  # nginx: do not buffer the stream
}


def encode(event: str, data: Any) -> bytes:
    return b"event: " + event.encode() + b"\ndata: " + orjson.dumps(data, default=str) + b"\n\n"
