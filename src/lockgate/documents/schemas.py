"""Pydantic I/O of /api/v1/documents, passages and citations."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel, ConfigDict

from lockgate.models import DocumentStatus


class DocumentOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    conversation_id: uuid.UUID
    file_name: str
    kind: str
    byte_size: int
    pages: int | None
    chunk_count: int
    status: DocumentStatus
    error: str | None
    created_at: datetime


class DocumentList(BaseModel):
    items: list[DocumentOut]


class PassageOut(BaseModel):
    """One chunk: what a citation points at."""

    chunk_id: uuid.UUID
    document_id: uuid.UUID
    file_name: str
    page: int | None
    text: str


class CitationOut(BaseModel):
    """Source [position] of a reply. ``chunk_id`` is null once its document was deleted."""

    model_config = ConfigDict(from_attributes=True)

    message_id: uuid.UUID
    position: int
    chunk_id: uuid.UUID | None
    document_id: uuid.UUID | None
    file_name: str
    page: int | None


class CitationList(BaseModel):
    items: list[CitationOut]
