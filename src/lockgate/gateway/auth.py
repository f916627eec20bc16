"""``Authorization: Bearer lg-…`` (or ``x-api-key: lg-…``, as Anthropic's SDKs send it) → the
key and its owner, or a 401 the SDKs understand.

Resolved keys come from the per-process `KeyCache` (see keys/cache.py for how a revocation
reaches every replica at once); only a key not seen for `key_cache_seconds` costs a database
lookup. ``last_used_at`` is stamped at most once a minute, by the batched usage writer.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Annotated

from fastapi import Depends, Request

from lockgate.auth.security import token_hash
from lockgate.deps import StateDep
from lockgate.errors import NotAuthenticated
from lockgate.keys.cache import KeyInfo
from lockgate.keys.service import KEY_PREFIX, KeyService

TOUCH_INTERVAL = timedelta(seconds=60)


class InvalidApiKey(NotAuthenticated):
    code = "invalid_api_key"
    message = (
        "Invalid API key. Send `Authorization: Bearer lg-…` (or `x-api-key: lg-…`) with a key "
        "from /api/v1/keys."
    )


@dataclass(frozen=True, slots=True)
class KeyContext:
    key: KeyInfo

    @property
    def key_id(self) -> uuid.UUID:
        return self.key.id

    @property
    def user_id(self) -> uuid.UUID:
        return self.key.user_id


async def get_key_context(request: Request, state: StateDep) -> KeyContext:
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    token = token.strip() if scheme.lower() == "bearer" else ""
    if not token:
        token = request.headers.get("x-api-key", "").strip()
    if not token.startswith(KEY_PREFIX):
        raise InvalidApiKey()
    secret = state.config.settings.secret_key.get_secret_value()
    key_hash = token_hash(secret, token)

    async def lookup() -> KeyInfo | None:
        async with state.sessionmaker() as db:
            found = await KeyService(db, secret, ()).resolve_hash(key_hash)
        return KeyInfo.of(*found, state.config.file.gate.budgets.timezone) if found else None

    info = await state.key_cache.load(key_hash, lookup)
    if info is None:
        raise InvalidApiKey()
    now = state.clock()
    if info.revoked_at is not None:
        raise InvalidApiKey("This API key was revoked.", code="revoked_api_key")
    if info.expires_at is not None and now >= info.expires_at:
        raise InvalidApiKey("This API key has expired.", code="expired_api_key")
    if not info.user_active:
        raise InvalidApiKey("The account that owns this key is disabled.")
    if info.last_used_at is None or now - info.last_used_at >= TOUCH_INTERVAL:
        state.usage_writer.touch(info.id, now)
        state.key_cache.stamp(key_hash, now)
    request.state.user_id = str(info.user_id)
    return KeyContext(key=info)


CurrentKey = Annotated[KeyContext, Depends(get_key_context)]
