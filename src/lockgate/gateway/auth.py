"""``Authorization: Bearer lg-…`` → the key and its owner, or a 401 the SDKs understand."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Annotated

from fastapi import Depends, Request

from lockgate.deps import SessionDep, StateDep
from lockgate.errors import NotAuthenticated
from lockgate.gate.budget import BudgetLimit
from lockgate.keys.service import KEY_PREFIX, KeyService
from lockgate.models import ApiKey, User

TOUCH_INTERVAL = timedelta(seconds=60)


class InvalidApiKey(NotAuthenticated):
    code = "invalid_api_key"
    message = "Invalid API key. Send `Authorization: Bearer lg-…` with a key from /api/v1/keys."


@dataclass(frozen=True, slots=True)
class KeyContext:
    key: ApiKey
    user: User

    @property
    def key_id(self) -> uuid.UUID:
        return self.key.id

    def budget_limits(self, tz: str) -> list[BudgetLimit]:
        limits = []
        if self.key.daily_budget_usd is not None:
            limits.append(
                BudgetLimit(f"key:{self.key.id}:daily", self.key.daily_budget_usd, "daily", tz)
            )
        if self.key.monthly_budget_usd is not None:
            limits.append(
                BudgetLimit(
                    f"key:{self.key.id}:monthly", self.key.monthly_budget_usd, "monthly", tz
                )
            )
        return limits


async def get_key_context(request: Request, state: StateDep, db: SessionDep) -> KeyContext:
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token.startswith(KEY_PREFIX):
        raise InvalidApiKey()
    service = KeyService(db, state.config.settings.secret_key.get_secret_value(), ())
    found = await service.resolve(token)
    if found is None:
        raise InvalidApiKey()
    key, user = found
    now = state.clock()
    if key.revoked_at is not None:
        raise InvalidApiKey("This API key was revoked.", code="revoked_api_key")
    if key.expires_at is not None and now >= key.expires_at:
        raise InvalidApiKey("This API key has expired.", code="expired_api_key")
    if not user.is_active:
        raise InvalidApiKey("The account that owns this key is disabled.")
    if key.last_used_at is None or now - key.last_used_at >= TOUCH_INTERVAL:
        await service.touch(key.id, now)
    await db.commit()
    request.state.user_id = str(user.id)
    return KeyContext(key=key, user=user)


CurrentKey = Annotated[KeyContext, Depends(get_key_context)]
