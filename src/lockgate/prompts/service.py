"""Prompt library logic: ownership and the per-user cap.

The cap keeps one account from filling the database through an endpoint that costs nothing;
a library of a few hundred prompts is already more than a `/` menu can usefully show.
"""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from lockgate.clock import Clock
from lockgate.errors import Conflict, NotFound
from lockgate.models import Prompt
from lockgate.prompts.repository import PromptRepository
from lockgate.prompts.schemas import PromptCreate, PromptList, PromptOut, PromptUpdate

MAX_PROMPTS_PER_USER = 200


class PromptNotFound(NotFound):
    message = "Prompt not found."


class PromptLimitReached(Conflict):
    code = "prompt_limit_reached"
    message = (
        f"You already have {MAX_PROMPTS_PER_USER} saved prompts, the most one account can keep. "
        "Delete one you no longer use, then save this one again."
    )


class PromptService:
    def __init__(self, db: AsyncSession, clock: Clock, limit: int = MAX_PROMPTS_PER_USER) -> None:
        self.db = db
        self.clock = clock
        self.limit = limit
        self.prompts = PromptRepository(db)

    async def get(self, prompt_id: uuid.UUID, user_id: uuid.UUID) -> Prompt:
        prompt = await self.prompts.get_owned(prompt_id, user_id)
        if prompt is None:
            raise PromptNotFound()
        return prompt

    async def list(self, user_id: uuid.UUID) -> PromptList:
        rows = await self.prompts.list_owned(user_id)
        return PromptList(items=[PromptOut.model_validate(p) for p in rows], limit=self.limit)

    async def create(self, user_id: uuid.UUID, body: PromptCreate) -> Prompt:
        if await self.prompts.count_owned(user_id) >= self.limit:
            raise PromptLimitReached()
        now = self.clock()
        return await self.prompts.add(
            Prompt(
                user_id=user_id,
                title=body.title,
                content=body.content,
                created_at=now,
                updated_at=now,
            )
        )

    async def update(self, prompt_id: uuid.UUID, user_id: uuid.UUID, body: PromptUpdate) -> Prompt:
        prompt = await self.get(prompt_id, user_id)
        if body.title is not None:
            prompt.title = body.title
        if body.content is not None:
            prompt.content = body.content
        prompt.updated_at = self.clock()
        await self.db.flush()
        return prompt

    async def delete(self, prompt_id: uuid.UUID, user_id: uuid.UUID) -> None:
        await self.prompts.delete(await self.get(prompt_id, user_id))
