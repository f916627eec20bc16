"""Every preset query. Ownership is part of every lookup."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from lockgate.models import Preset


class PresetRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get_owned(self, preset_id: uuid.UUID, user_id: uuid.UUID) -> Preset | None:
        return await self.session.scalar(
            select(Preset).where(Preset.id == preset_id, Preset.user_id == user_id)
        )

    async def list_owned(self, user_id: uuid.UUID) -> Sequence[Preset]:
        return (await self.session.scalars(select(Preset).where(Preset.user_id == user_id))).all()

    async def add(self, preset: Preset) -> Preset:
        self.session.add(preset)
        await self.session.flush()
        return preset

    async def delete(self, preset: Preset) -> None:
        await self.session.execute(delete(Preset).where(Preset.id == preset.id))
