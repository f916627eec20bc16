"""Prompt library bodies."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, StringConstraints

# A title is what `/` in the composer filters on, so it is short and never blank.
PromptTitle = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
# Same ceiling as a system prompt; a body of only whitespace inserts nothing, so it is refused.
PromptContent = Annotated[str, StringConstraints(min_length=1, max_length=20_000, pattern=r"\S")]


class PromptCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    title: PromptTitle
    content: PromptContent


class PromptUpdate(BaseModel):
    """Omitted fields are left as they are."""

    model_config = ConfigDict(extra="forbid")

    title: PromptTitle | None = None
    content: PromptContent | None = None


class PromptOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    title: str
    content: str
    created_at: datetime
    updated_at: datetime


class PromptList(BaseModel):
    """Every saved prompt of the user, by title (there are at most ``limit``)."""

    items: list[PromptOut]
    limit: int
