"""Search's I/O."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from lockgate.models import MessageRole

Meaning = Literal["used", "off", "unavailable"]


class Highlight(BaseModel):
    """A matched word in the snippet: characters ``start`` to ``end`` (exclusive)."""

    start: int
    end: int


class MessageHit(BaseModel):
    conversation_id: uuid.UUID
    conversation_title: str
    archived: bool = Field(description="The conversation is archived (it stays searchable)")
    message_id: uuid.UUID
    role: MessageRole
    created_at: datetime
    snippet: str = Field(description="Plain text around the match; never HTML")
    highlights: list[Highlight] = Field(description="The matched words in the snippet")
    matched_by: list[Literal["words", "meaning"]]
    similarity: float | None = Field(description="Cosine similarity of the best passage")
    score: float = Field(description="Reciprocal rank fusion of the words and meaning ranks")


class SearchPage(BaseModel):
    items: list[MessageHit]
    next_cursor: str | None
    meaning: Meaning = Field(
        description="used: ranked by meaning too; off: not configured; unavailable: the "
        "embedding model or the vector store failed (or the budget refused it), words only"
    )


class ReindexOut(BaseModel):
    queued: bool
