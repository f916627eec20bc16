"""Share tokens: 256 random bits in the URL, only their SHA-256 in the database.

A token is looked up by its hash (a unique index), so no comparison of secrets happens in
Python at all; a fast hash is enough because the token is random, not a password. A string that
cannot be a token is refused before any query, with the same 404 as an unknown one.
"""

from __future__ import annotations

import hashlib
import re
import secrets

TOKEN_BYTES = 32
TOKEN_PATTERN = re.compile(r"^[A-Za-z0-9_-]{43}$")  # token_urlsafe(32): 43 characters


def new_token() -> str:
    return secrets.token_urlsafe(TOKEN_BYTES)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def well_formed(token: str) -> bool:
    return TOKEN_PATTERN.fullmatch(token) is not None
