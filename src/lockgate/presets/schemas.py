"""Preset bodies."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from lockgate.conversations.schemas import MaxTokens, ModelName, SystemPrompt, Temperature

PresetName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]


class PresetIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: PresetName
    model: ModelName | None = Field(
        default=None, description="None: applying keeps the conversation's model"
    )
    temperature: Temperature | None = Field(default=None, description="0..2; None: default")
    max_tokens: MaxTokens | None = Field(default=None, description="None: the server's default")
    system_prompt: SystemPrompt = ""


class PresetOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    name: str
    model: str | None
    temperature: float | None
    max_tokens: int | None
    system_prompt: str
    created_at: datetime
    updated_at: datetime


class PresetList(BaseModel):
    """Every preset of the user, by name (case-insensitive)."""

    items: list[PresetOut]


class ApplyPreset(BaseModel):
    model_config = ConfigDict(extra="forbid")

    preset_id: uuid.UUID
