"""Creating, listing, revoking and resolving virtual keys.

Keys look like ``lg-<43 url-safe characters>``; the table keeps an HMAC-SHA256 of the whole key
(keyed with ``LOCKGATE_SECRET_KEY``) under a unique index, so resolving a key is one indexed
lookup and a leaked database holds no usable key.
"""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from lockgate.auth.security import token_hash
from lockgate.errors import NotFound, Unprocessable
from lockgate.keys.schemas import KeyCreate
from lockgate.models import ApiKey, User

KEY_PREFIX = "lg-"


class KeyNotFound(NotFound):
    message = "API key not found."


def new_secret() -> str:
    return KEY_PREFIX + secrets.token_urlsafe(32)


class KeyService:
    def __init__(self, db: AsyncSession, secret_key: str, models: Sequence[str]) -> None:
        self.db = db
        self.secret_key = secret_key
        self.models = set(models)

    def hash(self, key: str) -> str:
        return token_hash(self.secret_key, key)

    async def create(self, user: User, body: KeyCreate, now: datetime) -> tuple[ApiKey, str]:
        unknown = sorted(set(body.allowed_models or ()) - self.models)
        if unknown:
            raise Unprocessable(
                f"Unknown models in allowed_models: {', '.join(unknown)}.", code="unknown_model"
            )
        if body.expires_at is not None and body.expires_at <= now:
            raise Unprocessable("expires_at must be in the future.")
        secret = new_secret()
        key = ApiKey(
            user_id=user.id,
            name=body.name,
            prefix=secret[:10],
            key_hash=self.hash(secret),
            daily_budget_usd=body.daily_budget_usd,
            monthly_budget_usd=body.monthly_budget_usd,
            rpm=body.rpm,
            tpm=body.tpm,
            allowed_models=body.allowed_models,
            expires_at=body.expires_at,
            created_at=now,
        )
        self.db.add(key)
        await self.db.flush()
        return key, secret

    async def list(self, user: User, *, everyone: bool) -> Sequence[ApiKey]:
        stmt = select(ApiKey).order_by(ApiKey.created_at.desc(), ApiKey.id.desc())
        if not everyone:
            stmt = stmt.where(ApiKey.user_id == user.id)
        return (await self.db.scalars(stmt)).all()

    async def revoke(self, user: User, key_id: uuid.UUID, now: datetime) -> ApiKey:
        key = await self.db.get(ApiKey, key_id)
        if key is None or (key.user_id != user.id and not user.is_admin):
            raise KeyNotFound()
        if key.revoked_at is None:
            key.revoked_at = now
        await self.db.flush()
        return key

    async def resolve_hash(self, key_hash: str) -> tuple[ApiKey, User] | None:
        row = (
            await self.db.execute(
                select(ApiKey, User)
                .join(User, User.id == ApiKey.user_id)
                .where(ApiKey.key_hash == key_hash)
            )
        ).first()
        return (row[0], row[1]) if row else None
