"""Every auth query."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from lockgate.auth.emails import normalize_email
from lockgate.models import Invite, User, UserSession


class UserRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def by_email(self, email: str) -> User | None:
        """The account of ``email`` in any spelling (:func:`normalize_email`)."""
        canonical = normalize_email(email)
        return await self.session.scalar(select(User).where(User.email == canonical))

    async def count(self) -> int:
        return await self.session.scalar(select(func.count()).select_from(User)) or 0

    async def add(self, user: User) -> User:
        self.session.add(user)
        await self.session.flush()
        return user


class SessionRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(self, row: UserSession) -> UserSession:
        self.session.add(row)
        await self.session.flush()
        return row

    async def by_token_hash(self, token_hash: str) -> tuple[UserSession, User] | None:
        row = (
            await self.session.execute(
                select(UserSession, User)
                .join(User, User.id == UserSession.user_id)
                .where(UserSession.token_hash == token_hash)
            )
        ).first()
        return (row[0], row[1]) if row else None

    async def active_for_user(self, user_id: uuid.UUID, now: datetime) -> Sequence[UserSession]:
        return (
            await self.session.scalars(
                select(UserSession)
                .where(
                    UserSession.user_id == user_id,
                    UserSession.revoked_at.is_(None),
                    UserSession.expires_at > now,
                )
                .order_by(UserSession.last_seen_at.desc())
            )
        ).all()

    async def touch(self, session_id: uuid.UUID, now: datetime) -> None:
        await self.session.execute(
            update(UserSession).where(UserSession.id == session_id).values(last_seen_at=now)
        )

    async def revoke(self, session_id: uuid.UUID, now: datetime) -> None:
        await self.session.execute(
            update(UserSession)
            .where(UserSession.id == session_id, UserSession.revoked_at.is_(None))
            .values(revoked_at=now)
        )

    async def revoke_own(self, user_id: uuid.UUID, session_id: uuid.UUID, now: datetime) -> bool:
        result = await self.session.execute(
            update(UserSession)
            .where(
                UserSession.id == session_id,
                UserSession.user_id == user_id,
                UserSession.revoked_at.is_(None),
            )
            .values(revoked_at=now)
        )
        return bool(getattr(result, "rowcount", 0))

    async def revoke_all_except(
        self, user_id: uuid.UUID, keep: uuid.UUID | None, now: datetime
    ) -> None:
        stmt = update(UserSession).where(
            UserSession.user_id == user_id, UserSession.revoked_at.is_(None)
        )
        if keep is not None:
            stmt = stmt.where(UserSession.id != keep)
        await self.session.execute(stmt.values(revoked_at=now))


class InviteRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(self, invite: Invite) -> Invite:
        self.session.add(invite)
        await self.session.flush()
        return invite

    async def claim(self, code_hash: str, user_id: uuid.UUID, email: str, now: datetime) -> bool:
        """Mark an unused, unrevoked, unexpired invite (for anyone, or for ``email``) as used by
        ``user_id``; atomic against double use."""
        result = await self.session.execute(
            update(Invite)
            .where(
                Invite.code_hash == code_hash,
                Invite.used_at.is_(None),
                Invite.revoked_at.is_(None),
                Invite.expires_at > now,
                or_(Invite.email.is_(None), Invite.email == email),
            )
            .values(used_at=now, used_by=user_id)
        )
        return bool(getattr(result, "rowcount", 0))
