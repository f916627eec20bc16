"""Folder logic: ownership, names unique per user (whatever their case), a bound per user."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from lockgate.clock import Clock
from lockgate.errors import Conflict, NotFound
from lockgate.folders.repository import FolderRepository
from lockgate.folders.schemas import FolderIn, FolderList, FolderOut
from lockgate.models import Folder

MAX_FOLDERS = 200


class FolderNotFound(NotFound):
    message = "Folder not found."


class FolderNameTaken(Conflict):
    code = "folder_name_taken"


class TooManyFolders(Conflict):
    code = "too_many_folders"
    message = f"You have {MAX_FOLDERS} folders, the most there can be; delete one first."


class FolderService:
    def __init__(self, db: AsyncSession, clock: Clock) -> None:
        self.db = db
        self.clock = clock
        self.folders = FolderRepository(db)

    async def get(self, folder_id: uuid.UUID, user_id: uuid.UUID) -> Folder:
        folder = await self.folders.get_owned(folder_id, user_id)
        if folder is None:
            raise FolderNotFound()
        return folder

    async def list(self, user_id: uuid.UUID) -> FolderList:
        folders = sorted(await self.folders.list_owned(user_id), key=lambda f: f.name.casefold())
        counts = await self.folders.counts(user_id)
        return FolderList(
            items=[
                FolderOut.model_validate(f).model_copy(
                    update={"conversation_count": counts.get(f.id, 0)}
                )
                for f in folders
            ]
        )

    async def create(self, user_id: uuid.UUID, body: FolderIn) -> FolderOut:
        existing = await self.folders.list_owned(user_id)
        if len(existing) >= MAX_FOLDERS:
            raise TooManyFolders()
        self._check_free(body.name, existing, None)
        now = self.clock()
        folder = await self.folders.add(
            Folder(user_id=user_id, name=body.name, created_at=now, updated_at=now)
        )
        return FolderOut.model_validate(folder)

    async def rename(self, folder_id: uuid.UUID, user_id: uuid.UUID, body: FolderIn) -> FolderOut:
        folder = await self.get(folder_id, user_id)
        self._check_free(body.name, await self.folders.list_owned(user_id), folder.id)
        folder.name = body.name
        folder.updated_at = self.clock()
        await self.db.flush()
        counts = await self.folders.counts(user_id)
        out = FolderOut.model_validate(folder)
        return out.model_copy(update={"conversation_count": counts.get(folder.id, 0)})

    async def delete(self, folder_id: uuid.UUID, user_id: uuid.UUID) -> None:
        await self.folders.delete(await self.get(folder_id, user_id))

    @staticmethod
    def _check_free(name: str, folders: Sequence[Folder], own: uuid.UUID | None) -> None:
        """ "Work" and "work" side by side would be two folders no one can tell apart."""
        key = name.casefold()
        for folder in folders:
            if folder.id != own and folder.name.casefold() == key:
                raise FolderNameTaken(f"You already have a folder named “{folder.name}”.")
