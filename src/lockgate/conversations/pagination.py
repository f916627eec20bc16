"""Opaque keyset cursors: base64url JSON of the last row's sort key.

Keyset (not offset) pagination stays correct and fast however deep the list goes.
"""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

from pydantic import TypeAdapter, ValidationError

from lockgate.errors import BadRequest


class InvalidCursor(BadRequest):
    code = "invalid_cursor"
    message = "The pagination cursor is not valid; start again without it."


def encode_cursor(**values: Any) -> str:
    raw = json.dumps(values, separators=(",", ":"), default=str).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str, **fields: Any) -> dict[str, Any]:
    """The cursor's fields, each validated as its type (see lockgate/inputs.py).

    A cursor comes back from the client, so it is user input: a forged one with a time without
    a zone, a year 1 date or a 10**30 sequence number reached the query (a 500); now it is a
    400 ``invalid_cursor``::

        decode_cursor(cursor, u=Instant, i=uuid.UUID)  # {"u": datetime(UTC), "i": UUID}
    """
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        data = json.loads(base64.urlsafe_b64decode(padded.encode()))
    except (binascii.Error, ValueError, UnicodeDecodeError):
        raise InvalidCursor() from None
    if not isinstance(data, dict) or any(k not in data for k in fields):
        raise InvalidCursor()
    try:
        return {k: TypeAdapter(kind).validate_python(data[k]) for k, kind in fields.items()}
    except ValidationError:
        raise InvalidCursor() from None
