"""HTTP only: /api/v1/prompts (the signed-in user's prompt library)."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, status

from lockgate.auth.deps import CurrentUser
from lockgate.deps import SessionDep, StateDep
from lockgate.http.ratelimit import endpoint_limit
from lockgate.openapi import error_responses
from lockgate.prompts.schemas import PromptCreate, PromptList, PromptOut, PromptUpdate
from lockgate.prompts.service import PromptService

router = APIRouter(prefix="/api/v1/prompts", tags=["prompts"])


async def get_service(db: SessionDep, state: StateDep) -> PromptService:
    return PromptService(db, state.clock)


ServiceDep = Annotated[PromptService, Depends(get_service)]
# Library edits share the conversations' budget: both are cheap UI writes by one person.
PromptsLimit = Annotated[None, Depends(endpoint_limit("conversations"))]


@router.get("", operation_id="listPrompts", responses=error_responses(401))
async def list_prompts(user: CurrentUser, service: ServiceDep) -> PromptList:
    """Every saved prompt of the user, ordered by title."""
    return await service.list(user.id)


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    operation_id="createPrompt",
    responses=error_responses(401, 403, 409, 422),
)
async def create_prompt(
    body: PromptCreate, user: CurrentUser, service: ServiceDep, _limit: PromptsLimit
) -> PromptOut:
    prompt = await service.create(user.id, body)
    await service.db.commit()
    return PromptOut.model_validate(prompt)


@router.patch(
    "/{prompt_id}",
    operation_id="updatePrompt",
    responses=error_responses(401, 403, 404, 422),
)
async def update_prompt(
    prompt_id: uuid.UUID,
    body: PromptUpdate,
    user: CurrentUser,
    service: ServiceDep,
    _limit: PromptsLimit,
) -> PromptOut:
    """Rename and/or rewrite a prompt; omitted fields are left as they are."""
    prompt = await service.update(prompt_id, user.id, body)
    await service.db.commit()
    return PromptOut.model_validate(prompt)


@router.delete(
    "/{prompt_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    operation_id="deletePrompt",
    responses=error_responses(401, 403, 404),
)
async def delete_prompt(
    prompt_id: uuid.UUID, user: CurrentUser, service: ServiceDep, _limit: PromptsLimit
) -> None:
    await service.delete(prompt_id, user.id)
    await service.db.commit()
