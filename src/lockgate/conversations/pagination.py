"""Opaque keyset cursors: base64url JSON of the last row's sort key.

Keyset (not offset) pagination stays correct and fast however deep the list goes.
"""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

from lockgate.errors import BadRequest


class InvalidCursor(BadRequest):
    code = "invalid_cursor"
    message = "The pagination cursor is not valid; start again without it."


def encode_cursor(**values: Any) -> str:
    raw = json.dumps(values, separators=(",", ":"), default=str).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str, *keys: str) -> dict[str, Any]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        data = json.loads(base64.urlsafe_b64decode(padded.encode()))
    except (binascii.Error, ValueError, UnicodeDecodeError):
        raise InvalidCursor() from None
    if not isinstance(data, dict) or any(k not in data for k in keys):
        raise InvalidCursor()
    return data
