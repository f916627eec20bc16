"""HTTP only: /api/v1/presets, and applying one to a conversation."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, status

from lockgate.auth.deps import CurrentUser
from lockgate.conversations.schemas import ConversationOut
from lockgate.deps import SessionDep, StateDep
from lockgate.http.ratelimit import endpoint_limit
from lockgate.openapi import error_responses
from lockgate.presets.schemas import ApplyPreset, PresetIn, PresetList, PresetOut
from lockgate.presets.service import PresetService

router = APIRouter(prefix="/api/v1", tags=["presets"])


async def get_service(db: SessionDep, state: StateDep) -> PresetService:
    return PresetService(db, state.clock, file=state.config.file)


ServiceDep = Annotated[PresetService, Depends(get_service)]
Limit = Annotated[None, Depends(endpoint_limit("conversations"))]


@router.get("/presets", operation_id="listPresets", responses=error_responses(401))
async def list_presets(user: CurrentUser, service: ServiceDep) -> PresetList:
    """Own parameter presets, by name."""
    return await service.list(user.id)


@router.post(
    "/presets",
    status_code=status.HTTP_201_CREATED,
    operation_id="createPreset",
    responses=error_responses(401, 403, 409, 422),
)
async def create_preset(
    body: PresetIn, user: CurrentUser, service: ServiceDep, _limit: Limit
) -> PresetOut:
    """Save a named set of parameters (checked like a conversation's)."""
    preset = await service.create(user.id, body)
    await service.db.commit()
    return PresetOut.model_validate(preset)


@router.delete(
    "/presets/{preset_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    operation_id="deletePreset",
    responses=error_responses(401, 403, 404),
)
async def delete_preset(
    preset_id: uuid.UUID, user: CurrentUser, service: ServiceDep, _limit: Limit
) -> None:
    """Delete a preset; conversations it was applied to keep their parameters."""
    await service.delete(preset_id, user.id)
    await service.db.commit()


@router.post(
    "/conversations/{conversation_id}/preset",
    operation_id="applyPreset",
    responses=error_responses(401, 403, 404, 422),
)
async def apply_preset(
    conversation_id: uuid.UUID,
    body: ApplyPreset,
    user: CurrentUser,
    service: ServiceDep,
    _limit: Limit,
) -> ConversationOut:
    """Set the conversation's parameters from a preset (its model only if the preset has one)."""
    conversation = await service.apply(body.preset_id, conversation_id, user.id)
    await service.db.commit()
    return ConversationOut.model_validate(conversation)
