"""Folder bodies."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

FolderName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]


class FolderIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: FolderName


class FolderOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    name: str
    conversation_count: int = Field(
        default=0, description="Conversations in the folder, archived ones not counted"
    )
    created_at: datetime
    updated_at: datetime


class FolderList(BaseModel):
    """Every folder of the user, by name (case-insensitive)."""

    items: list[FolderOut]
