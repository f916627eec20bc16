"""Response cache purge bodies."""

from __future__ import annotations

from pydantic import BaseModel, Field

SCOPE_PATTERN = (
    r"^(global|(user|key|team):[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}"
    r"-[0-9a-fA-F]{12})$"
)


class CachePurged(BaseModel):
    removed: int = Field(description="Cached answers removed")
