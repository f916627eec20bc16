"""Preset logic: the same parameter rules as a conversation's, names unique per user.

Applying a preset sets the conversation's temperature, max tokens and system prompt to the
preset's (``None`` back to the server's default) and its model only when the preset names one,
so a "Concise" preset without a model works with whatever model the conversation uses. The
result is checked as a whole (a preset's max tokens may be more than the conversation's model
allows: ``max_tokens_too_large``, nothing changed).
"""

from __future__ import annotations

import uuid
from dataclasses import replace

from sqlalchemy.ext.asyncio import AsyncSession

from lockgate.clock import Clock
from lockgate.conversations.parameters import Parameters, check
from lockgate.conversations.service import ConversationService, set_parameters
from lockgate.errors import Conflict, NotFound
from lockgate.models import Conversation, Preset
from lockgate.presets.repository import PresetRepository
from lockgate.presets.schemas import PresetIn, PresetList, PresetOut
from lockgate.settings import FileConfig

MAX_PRESETS = 100


class PresetNotFound(NotFound):
    message = "Preset not found."


class PresetNameTaken(Conflict):
    code = "preset_name_taken"


class TooManyPresets(Conflict):
    code = "too_many_presets"
    message = f"You have {MAX_PRESETS} presets, the most there can be; delete one first."


def parameters_of(preset: Preset) -> Parameters:
    return Parameters(preset.model, preset.temperature, preset.max_tokens, preset.system_prompt)


class PresetService:
    def __init__(self, db: AsyncSession, clock: Clock, *, file: FileConfig) -> None:
        self.db = db
        self.clock = clock
        self.file = file
        self.presets = PresetRepository(db)

    async def get(self, preset_id: uuid.UUID, user_id: uuid.UUID) -> Preset:
        preset = await self.presets.get_owned(preset_id, user_id)
        if preset is None:
            raise PresetNotFound()
        return preset

    async def list(self, user_id: uuid.UUID) -> PresetList:
        presets = sorted(await self.presets.list_owned(user_id), key=lambda p: p.name.casefold())
        return PresetList(items=[PresetOut.model_validate(p) for p in presets])

    async def create(self, user_id: uuid.UUID, body: PresetIn) -> Preset:
        params = Parameters(body.model, body.temperature, body.max_tokens, body.system_prompt)
        check(params, self.file)
        existing = await self.presets.list_owned(user_id)
        if len(existing) >= MAX_PRESETS:
            raise TooManyPresets()
        key = body.name.casefold()
        for preset in existing:
            if preset.name.casefold() == key:
                raise PresetNameTaken(f"You already have a preset named “{preset.name}”.")
        now = self.clock()
        return await self.presets.add(
            Preset(
                user_id=user_id,
                name=body.name,
                model=params.model,
                temperature=params.temperature,
                max_tokens=params.max_tokens,
                system_prompt=params.system_prompt,
                created_at=now,
                updated_at=now,
            )
        )

    async def delete(self, preset_id: uuid.UUID, user_id: uuid.UUID) -> None:
        await self.presets.delete(await self.get(preset_id, user_id))

    async def apply(
        self, preset_id: uuid.UUID, conversation_id: uuid.UUID, user_id: uuid.UUID
    ) -> Conversation:
        conversations = ConversationService(self.db, self.clock, file=self.file)
        conversation = await conversations.get(conversation_id, user_id)
        preset = parameters_of(await self.get(preset_id, user_id))
        params = replace(preset, model=preset.model or conversation.model)
        check(params, self.file)
        set_parameters(conversation, params)
        conversation.updated_at = self.clock()
        await self.db.flush()
        return conversation
