"""Every query of user administration: search, the admin count, sessions and keys to revoke."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from lockgate.models import ApiKey, Invite, User, UserLimits, UserSession


class AdminRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def user(self, user_id: uuid.UUID) -> User | None:
        return await self.session.get(User, user_id)

    async def search(
        self,
        *,
        query: str | None,
        status: str,
        limit: int,
        after: tuple[str, uuid.UUID] | None,
    ) -> Sequence[tuple[User, bool]]:
        """Users by email (keyset on ``(email, id)``), with whether they have an override."""
        has_override = (
            select(UserLimits.user_id)
            .where(UserLimits.user_id == User.id)
            .exists()
            .label("has_override")
        )
        stmt = select(User, has_override).order_by(User.email, User.id)
        if query:
            stmt = stmt.where(User.email.contains(query, autoescape=True))
        if status == "active":
            stmt = stmt.where(User.is_active.is_(True))
        elif status == "disabled":
            stmt = stmt.where(User.is_active.is_(False))
        elif status == "admin":
            stmt = stmt.where(User.is_admin.is_(True))
        if after is not None:
            email, last = after
            stmt = stmt.where((User.email > email) | ((User.email == email) & (User.id > last)))
        rows = (await self.session.execute(stmt.limit(limit))).all()
        return [(row[0], bool(row[1])) for row in rows]

    async def lock_active_admins(self) -> list[uuid.UUID]:
        """The active admins' ids, their rows locked until the transaction ends (PostgreSQL;
        SQLite's write transactions are serial already), so two admins demoting each other at
        once cannot both see the other one left."""
        stmt = (
            select(User.id)
            .where(User.is_admin.is_(True), User.is_active.is_(True))
            .order_by(User.id)
            .with_for_update()
        )
        return list((await self.session.scalars(stmt)).all())

    async def active_keys(self, user_id: uuid.UUID, now: datetime) -> Sequence[ApiKey]:
        stmt = select(ApiKey).where(
            ApiKey.user_id == user_id,
            ApiKey.revoked_at.is_(None),
            (ApiKey.expires_at.is_(None)) | (ApiKey.expires_at > now),
        )
        return (await self.session.scalars(stmt)).all()

    async def count_active_sessions(self, user_id: uuid.UUID, now: datetime) -> int:
        stmt = (
            select(func.count())
            .select_from(UserSession)
            .where(
                UserSession.user_id == user_id,
                UserSession.revoked_at.is_(None),
                UserSession.expires_at > now,
            )
        )
        return await self.session.scalar(stmt) or 0

    async def revoke_sessions(self, user_id: uuid.UUID, now: datetime) -> int:
        result = await self.session.execute(
            update(UserSession)
            .where(UserSession.user_id == user_id, UserSession.revoked_at.is_(None))
            .values(revoked_at=now)
        )
        return int(getattr(result, "rowcount", 0) or 0)

    async def pending_invites(self, now: datetime) -> Sequence[Invite]:
        stmt = (
            select(Invite)
            .where(Invite.used_at.is_(None), Invite.revoked_at.is_(None), Invite.expires_at > now)
            .order_by(Invite.created_at.desc(), Invite.id.desc())
            .limit(500)
        )
        return (await self.session.scalars(stmt)).all()

    async def invite(self, invite_id: uuid.UUID) -> Invite | None:
        return await self.session.get(Invite, invite_id)
