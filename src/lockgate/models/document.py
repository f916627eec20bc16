"""Documents uploaded into a conversation, their chunks, and the sources a reply was given.

Only the extracted text is kept (as chunks), never the uploaded bytes: retrieval needs the text,
and a file we do not keep cannot leak. Deleting a conversation cascades to its documents and
chunks in the database; their vectors are removed by `lockgate.documents.index`.
"""

from __future__ import annotations

import enum
import uuid
from datetime import datetime

from sqlalchemy import Enum, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from lockgate.db.base import Base, IdMixin, utcnow


class DocumentStatus(enum.StrEnum):
    INDEXING = "indexing"  # parsed and stored; chunks being embedded
    READY = "ready"  # every chunk searchable
    FAILED = "failed"  # embedding failed; `error` says why (the text is kept, retry by re-upload)


class Document(IdMixin, Base):
    __tablename__ = "documents"
    __table_args__ = (
        Index("ix_documents_conversation", "conversation_id", "created_at"),
        Index("ix_documents_user", "user_id"),
    )

    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    conversation_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("conversations.id", ondelete="CASCADE")
    )
    file_name: Mapped[str] = mapped_column(String(255))
    kind: Mapped[str] = mapped_column(String(16))  # pdf | docx | markdown | text | code
    byte_size: Mapped[int]
    pages: Mapped[int | None]  # PDFs only
    chunk_count: Mapped[int]
    status: Mapped[DocumentStatus] = mapped_column(
        Enum(
            DocumentStatus,
            name="document_status",
            native_enum=False,
            create_constraint=True,
            length=16,
            values_callable=lambda e: [m.value for m in e],
        ),
        default=DocumentStatus.INDEXING,
    )
    error: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class DocumentChunk(IdMixin, Base):
    __tablename__ = "document_chunks"
    __table_args__ = (Index("ix_document_chunks_document", "document_id", "ordinal", unique=True),)

    document_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("documents.id", ondelete="CASCADE"))
    ordinal: Mapped[int]
    page: Mapped[int | None]  # 1-based, PDFs only
    text: Mapped[str] = mapped_column(Text)


class MessageSource(IdMixin, Base):
    """Source [position] given to a reply. The chunk may be deleted later (its document was):
    the citation then says so instead of pointing at nothing."""

    __tablename__ = "message_sources"
    __table_args__ = (Index("ix_message_sources_message", "message_id", "position", unique=True),)

    message_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("messages.id", ondelete="CASCADE"))
    position: Mapped[int]  # the n of [n]
    chunk_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("document_chunks.id", ondelete="SET NULL"), index=True
    )
    document_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("documents.id", ondelete="SET NULL"), index=True
    )
    file_name: Mapped[str] = mapped_column(String(255))
    page: Mapped[int | None]
    similarity: Mapped[float]
