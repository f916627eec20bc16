"""Every folder query. Ownership is part of every lookup."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from lockgate.models import Conversation, Folder


class FolderRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get_owned(self, folder_id: uuid.UUID, user_id: uuid.UUID) -> Folder | None:
        return await self.session.scalar(
            select(Folder).where(Folder.id == folder_id, Folder.user_id == user_id)
        )

    async def list_owned(self, user_id: uuid.UUID) -> Sequence[Folder]:
        stmt = select(Folder).where(Folder.user_id == user_id)
        return (await self.session.scalars(stmt)).all()

    async def counts(self, user_id: uuid.UUID) -> dict[uuid.UUID, int]:
        """Conversations per folder (archived ones not counted), in one grouped query."""
        stmt = (
            select(Conversation.folder_id, func.count())
            .where(
                Conversation.user_id == user_id,
                Conversation.folder_id.is_not(None),
                Conversation.archived_at.is_(None),
            )
            .group_by(Conversation.folder_id)
        )
        rows = (await self.session.execute(stmt)).all()
        return {folder_id: count for folder_id, count in rows if folder_id is not None}

    async def add(self, folder: Folder) -> Folder:
        self.session.add(folder)
        await self.session.flush()
        return folder

    async def delete(self, folder: Folder) -> None:
        """Its conversations stay, unfiled: ``folder_id`` is ``ON DELETE SET NULL``."""
        await self.session.execute(delete(Folder).where(Folder.id == folder.id))
