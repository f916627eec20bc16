"""Every query on ``user_limit_overrides``."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from lockgate.models import UserLimitOverride


class OverrideRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, user_id: uuid.UUID) -> UserLimitOverride | None:
        return await self.session.get(UserLimitOverride, user_id)

    async def all(self) -> Sequence[UserLimitOverride]:
        return (await self.session.scalars(select(UserLimitOverride))).all()

    async def for_users(self, user_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, UserLimitOverride]:
        if not user_ids:
            return {}
        rows = await self.session.scalars(
            select(UserLimitOverride).where(UserLimitOverride.user_id.in_(user_ids))
        )
        return {row.user_id: row for row in rows}

    def add(self, row: UserLimitOverride) -> None:
        self.session.add(row)

    async def remove(self, user_id: uuid.UUID) -> None:
        await self.session.execute(
            delete(UserLimitOverride).where(UserLimitOverride.user_id == user_id)
        )
