"""Export and import bodies."""

from __future__ import annotations

import uuid
from typing import Literal

from pydantic import BaseModel, Field


class ImportOut(BaseModel):
    """What an import created: every conversation is the importer's, with new ids."""

    format: Literal["lockgate", "chatgpt"] = Field(description="The format the file was read as")
    conversations: int
    messages: int
    conversation_ids: list[uuid.UUID] = Field(description="The new conversations, in file order")
