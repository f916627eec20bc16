"""Password hashing and opaque tokens.

Passwords: argon2id (argon2-cffi), hashed in a worker thread so the event loop never stalls.
Tokens: 256 random bits, shown to the client once; the server keeps only an HMAC-SHA256 keyed
with ``LOCKGATE_SECRET_KEY``, so a leaked database holds nothing usable.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

import anyio.to_thread
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

COMMON_PASSWORDS = frozenset(
    [
        "password",
        "password1",
        "password12",
        "password123",
        "password1234",
        "passw0rd",
        "123456789",
        "1234567890",
        "12345678910",
        "qwertyuiop",
        "qwerty123",
        "qwerty1234",
        "1q2w3e4r5t",
        "1qaz2wsx3edc",
        "iloveyou12",
        "letmein123",
        "welcome123",
        "admin12345",
        "administrator",
        "changeme123",
        "abcdefghij",
        "abc1234567",
        "0987654321",
        "1111111111",
        "aaaaaaaaaa",
        "trustno1234",
        "football12",
        "baseball12",
        "sunshine12",
        "princess12",
        "dragon1234",
        "monkey1234",
        "superman12",
        "starwars12",
        "whatever12",
        "qazwsxedc123",
        "zaq12wsxcde",
        "1234qwerty",
        "qwertyuiop123",
    ]
)


UNUSABLE_PASSWORD = "!"
"""The ``password_hash`` of an account made by single sign-on: no password can match it (it is
no argon2 hash), and checking one takes as long as for any other account."""


class PasswordHashing:
    """argon2id with configurable cost (lower it only in tests)."""

    def __init__(self, time_cost: int = 3, memory_kib: int = 65536, parallelism: int = 4) -> None:
        self._hasher = PasswordHasher(
            time_cost=time_cost, memory_cost=memory_kib, parallelism=parallelism
        )
        # Verifying against this keeps sign-in time equal for unknown and known emails.
        self._dummy = self._hasher.hash(secrets.token_urlsafe(16))

    async def hash(self, password: str) -> str:
        return await anyio.to_thread.run_sync(self._hasher.hash, password)

    async def verify(self, password_hash: str | None, password: str) -> bool:
        usable = password_hash if password_hash and password_hash != UNUSABLE_PASSWORD else None

        def check() -> bool:
            try:
                return self._hasher.verify(usable or self._dummy, password)
            except (VerificationError, InvalidHashError):
                return False

        ok = await anyio.to_thread.run_sync(check)
        return ok and usable is not None


def password_problem(password: str, email: str, min_length: int) -> str | None:
    """Why ``password`` is too weak, or None. Example: ``password_problem("abc", "a@b.c", 10)``."""
    if len(password) < min_length:
        return f"The password must be at least {min_length} characters long."
    if len(password) > 1024:
        return "The password must be at most 1024 characters long."
    if len(set(password)) < 4:
        return "The password needs more different characters."
    lowered = password.lower()
    if lowered in COMMON_PASSWORDS:
        return "This password is too common; choose another."
    local = email.split("@", 1)[0].lower()
    if lowered == email.lower() or (len(local) >= 4 and local in lowered):
        return "The password must not contain your email address."
    return None


def new_token() -> str:
    return secrets.token_urlsafe(32)


def token_hash(secret_key: str, token: str) -> str:
    return hmac.new(secret_key.encode(), token.encode(), hashlib.sha256).hexdigest()


def hashes_equal(a: str, b: str) -> bool:
    return hmac.compare_digest(a, b)
