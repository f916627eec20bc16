"""Every prompt query. Ownership is part of every lookup."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from lockgate.models import Prompt


class PromptRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get_owned(self, prompt_id: uuid.UUID, user_id: uuid.UUID) -> Prompt | None:
        return await self.session.scalar(
            select(Prompt).where(Prompt.id == prompt_id, Prompt.user_id == user_id)
        )

    async def list_owned(self, user_id: uuid.UUID) -> Sequence[Prompt]:
        stmt = (
            select(Prompt)
            .where(Prompt.user_id == user_id)
            .order_by(func.lower(Prompt.title), Prompt.created_at, Prompt.id)
        )
        return (await self.session.scalars(stmt)).all()

    async def count_owned(self, user_id: uuid.UUID) -> int:
        stmt = select(func.count()).select_from(Prompt).where(Prompt.user_id == user_id)
        return int(await self.session.scalar(stmt) or 0)

    async def add(self, prompt: Prompt) -> Prompt:
        self.session.add(prompt)
        await self.session.flush()
        return prompt

    async def delete(self, prompt: Prompt) -> None:
        await self.session.execute(delete(Prompt).where(Prompt.id == prompt.id))
