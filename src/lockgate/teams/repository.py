"""Every query of the teams package."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from lockgate.auth.emails import InvalidEmail, normalize_email
from lockgate.models import ApiKey, Team, TeamMember, User


class TeamRepository:
    def __init__(self, db: AsyncSession) -> None:
        self.db = db

    async def membership(self, user_id: uuid.UUID) -> TeamMember | None:
        return await self.db.get(TeamMember, user_id)

    async def team(self, team_id: uuid.UUID) -> Team | None:
        return await self.db.get(Team, team_id)

    async def by_name(self, name: str) -> Team | None:
        return await self.db.scalar(select(Team).where(func.lower(Team.name) == name.lower()))

    async def teams(self, only: uuid.UUID | None = None) -> Sequence[tuple[Team, int]]:
        """Teams by name with their member counts (``only``: that one team)."""
        counts = (
            select(TeamMember.team_id, func.count().label("n"))
            .group_by(TeamMember.team_id)
            .subquery()
        )
        stmt = (
            select(Team, func.coalesce(counts.c.n, 0))
            .outerjoin(counts, counts.c.team_id == Team.id)
            .order_by(func.lower(Team.name), Team.id)
        )
        if only is not None:
            stmt = stmt.where(Team.id == only)
        return [(team, int(count)) for team, count in (await self.db.execute(stmt)).all()]

    async def members(self, team_id: uuid.UUID) -> Sequence[tuple[TeamMember, str]]:
        stmt = (
            select(TeamMember, User.email)
            .join(User, User.id == TeamMember.user_id)
            .where(TeamMember.team_id == team_id)
            .order_by(User.email)
        )
        return [(row, email) for row, email in (await self.db.execute(stmt)).all()]

    async def user_by_email(self, email: str) -> User | None:
        """The account of ``email`` in any spelling (`normalize_email`)."""
        try:
            canonical = normalize_email(email)
        except InvalidEmail:
            return None
        return await self.db.scalar(select(User).where(User.email == canonical))

    async def keys(self, team_id: uuid.UUID) -> Sequence[tuple[ApiKey, str]]:
        """The keys that pay into the team: its own, and its members' that name no other."""
        members = select(TeamMember.user_id).where(TeamMember.team_id == team_id)
        stmt = (
            select(ApiKey, User.email)
            .join(User, User.id == ApiKey.user_id)
            .where(
                or_(
                    ApiKey.team_id == team_id,
                    ApiKey.team_id.is_(None) & ApiKey.user_id.in_(members),
                )
            )
            .order_by(ApiKey.created_at.desc(), ApiKey.id.desc())
        )
        return [(row, email) for row, email in (await self.db.execute(stmt)).all()]

    async def key(self, key_id: uuid.UUID) -> ApiKey | None:
        return await self.db.get(ApiKey, key_id)
