"""HTTP only: /api/v1/folders."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, status

from lockgate.auth.deps import CurrentUser
from lockgate.deps import SessionDep, StateDep
from lockgate.folders.schemas import FolderIn, FolderList, FolderOut
from lockgate.folders.service import FolderService
from lockgate.http.ratelimit import endpoint_limit
from lockgate.openapi import error_responses

router = APIRouter(prefix="/api/v1/folders", tags=["folders"])


async def get_service(db: SessionDep, state: StateDep) -> FolderService:
    return FolderService(db, state.clock)


ServiceDep = Annotated[FolderService, Depends(get_service)]
# Organising is conversation management: the same per-user limit.
Limit = Annotated[None, Depends(endpoint_limit("conversations"))]


@router.get("", operation_id="listFolders", responses=error_responses(401))
async def list_folders(user: CurrentUser, service: ServiceDep) -> FolderList:
    """Own folders by name, each with how many (unarchived) conversations it holds."""
    return await service.list(user.id)


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    operation_id="createFolder",
    responses=error_responses(401, 403, 409, 422),
)
async def create_folder(
    body: FolderIn, user: CurrentUser, service: ServiceDep, _limit: Limit
) -> FolderOut:
    folder = await service.create(user.id, body)
    await service.db.commit()
    return folder


@router.patch(
    "/{folder_id}",
    operation_id="renameFolder",
    responses=error_responses(401, 403, 404, 409, 422),
)
async def rename_folder(
    folder_id: uuid.UUID, body: FolderIn, user: CurrentUser, service: ServiceDep, _limit: Limit
) -> FolderOut:
    folder = await service.rename(folder_id, user.id, body)
    await service.db.commit()
    return folder


@router.delete(
    "/{folder_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    operation_id="deleteFolder",
    responses=error_responses(401, 403, 404),
)
async def delete_folder(
    folder_id: uuid.UUID, user: CurrentUser, service: ServiceDep, _limit: Limit
) -> None:
    """Delete a folder; its conversations are kept, moved out of it (unfiled)."""
    await service.delete(folder_id, user.id)
    await service.db.commit()
