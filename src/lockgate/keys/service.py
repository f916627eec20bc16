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

from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from lockgate.auth.security import token_hash
from lockgate.errors import Conflict, NotFound, Unprocessable
from lockgate.keys.schemas import KeyCreate, KeyStatus
from lockgate.models import ApiKey, User

KEY_PREFIX = "lg-"
MAX_ACTIVE_KEYS = 100
"""Per user: a bound on what a script gone wrong can create (revoked and expired keys do not
count)."""


class KeyNotFound(NotFound):
    message = "API key not found."


class TooManyKeys(Conflict):
    code = "too_many_keys"
    message = (
        f"You already have {MAX_ACTIVE_KEYS} active API keys: revoke one you no longer use first."
    )


def key_status(key: ApiKey, now: datetime) -> KeyStatus:
    if key.revoked_at is not None:
        return "revoked"
    if key.expires_at is not None and key.expires_at <= now:
        return "expired"
    return "active"


def new_secret() -> str:
    return KEY_PREFIX + secrets.token_urlsafe(32)


class KeyService:
    def __init__(self, db: AsyncSession, secret_key: str, models: Sequence[str]) -> None:
        self.db = db
        self.secret_key = secret_key
        self.models = set(models)

    def hash(self, key: str) -> str:
        return token_hash(self.secret_key, key)

    def check(self, body: KeyCreate, now: datetime) -> list[str] | None:
        """The body's rules beyond its types; the allowed models without duplicates, in order."""
        allowed = None if body.allowed_models is None else list(dict.fromkeys(body.allowed_models))
        if allowed is not None and not allowed:
            raise Unprocessable(
                "allowed_models is empty: list at least one model, or leave it out to allow "
                "every model.",
                code="no_allowed_models",
            )
        unknown = sorted(set(allowed or ()) - self.models)
        if unknown:
            raise Unprocessable(
                f"Unknown models in allowed_models: {', '.join(unknown)}.", code="unknown_model"
            )
        if body.expires_at is not None and body.expires_at <= now:
            raise Unprocessable("expires_at must be in the future.", code="expiry_in_past")
        daily, monthly = body.daily_budget_usd, body.monthly_budget_usd
        if daily is not None and monthly is not None and daily > monthly:
            raise Unprocessable(
                f"The daily budget (${daily:f}) is larger than the monthly budget (${monthly:f}).",
                code="daily_budget_above_monthly",
            )
        return allowed

    async def create(self, user: User, body: KeyCreate, now: datetime) -> tuple[ApiKey, str]:
        allowed = self.check(body, now)
        if await self.active_count(user, now) >= MAX_ACTIVE_KEYS:
            raise TooManyKeys()
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
            allowed_models=allowed,
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

    async def active_count(self, user: User, now: datetime) -> int:
        stmt = select(func.count()).where(
            ApiKey.user_id == user.id,
            ApiKey.revoked_at.is_(None),
            or_(ApiKey.expires_at.is_(None), ApiKey.expires_at > now),
        )
        return int(await self.db.scalar(stmt) or 0)

    async def get(self, user: User, key_id: uuid.UUID) -> ApiKey:
        """The key, if it is the user's (admins: anyone's); else 404, whether or not it exists."""
        key = await self.db.get(ApiKey, key_id)
        if key is None or (key.user_id != user.id and not user.is_admin):
            raise KeyNotFound()
        return key

    async def revoke(self, user: User, key_id: uuid.UUID, now: datetime) -> ApiKey:
        key = await self.get(user, key_id)
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
