"""Every query of the documents package. Ownership is in the query: a row of another user is
never loaded, so it cannot be returned by mistake."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from lockgate.models import (
    Conversation,
    Document,
    DocumentChunk,
    DocumentStatus,
    Message,
    MessageSource,
)


class DocumentRepository:
    def __init__(self, db: AsyncSession) -> None:
        self.db = db

    async def owned(self, document_id: uuid.UUID, user_id: uuid.UUID) -> Document | None:
        return await self.db.scalar(
            select(Document).where(Document.id == document_id, Document.user_id == user_id)
        )

    async def in_conversation(
        self, conversation_id: uuid.UUID, user_id: uuid.UUID
    ) -> list[Document]:
        rows = await self.db.scalars(
            select(Document)
            .where(Document.conversation_id == conversation_id, Document.user_id == user_id)
            .order_by(Document.created_at, Document.id)
        )
        return list(rows)

    async def count_in_conversation(self, conversation_id: uuid.UUID) -> int:
        count = await self.db.scalar(
            select(func.count()).where(Document.conversation_id == conversation_id)
        )
        return int(count or 0)

    async def usage_of(self, user_id: uuid.UUID) -> tuple[int, int]:
        """(documents, bytes) the user holds, over every conversation."""
        row = (
            await self.db.execute(
                select(func.count(), func.coalesce(func.sum(Document.byte_size), 0)).where(
                    Document.user_id == user_id
                )
            )
        ).one()
        return int(row[0]), int(row[1])

    async def has_ready(self, conversation_id: uuid.UUID, user_id: uuid.UUID) -> bool:
        found = await self.db.scalar(
            select(Document.id)
            .where(
                Document.conversation_id == conversation_id,
                Document.user_id == user_id,
                Document.status == DocumentStatus.READY,
            )
            .limit(1)
        )
        return found is not None

    async def chunks_for(
        self, chunk_ids: Sequence[uuid.UUID], conversation_id: uuid.UUID, user_id: uuid.UUID
    ) -> dict[uuid.UUID, tuple[DocumentChunk, Document]]:
        """The chunks among ``chunk_ids`` that belong to this user's ready documents of this
        conversation (a second check behind the index's tags)."""
        if not chunk_ids:
            return {}
        rows = await self.db.execute(
            select(DocumentChunk, Document)
            .join(Document, Document.id == DocumentChunk.document_id)
            .where(
                DocumentChunk.id.in_(chunk_ids),
                Document.user_id == user_id,
                Document.conversation_id == conversation_id,
                Document.status == DocumentStatus.READY,
            )
        )
        return {row[0].id: (row[0], row[1]) for row in rows}

    async def owned_chunk(
        self, chunk_id: uuid.UUID, user_id: uuid.UUID
    ) -> tuple[DocumentChunk, Document] | None:
        row = (
            await self.db.execute(
                select(DocumentChunk, Document)
                .join(Document, Document.id == DocumentChunk.document_id)
                .where(DocumentChunk.id == chunk_id, Document.user_id == user_id)
            )
        ).first()
        return None if row is None else (row[0], row[1])

    async def citations(
        self, conversation_id: uuid.UUID, user_id: uuid.UUID
    ) -> list[MessageSource]:
        rows = await self.db.scalars(
            select(MessageSource)
            .join(Message, Message.id == MessageSource.message_id)
            .join(Conversation, Conversation.id == Message.conversation_id)
            .where(Conversation.id == conversation_id, Conversation.user_id == user_id)
            .order_by(Message.seq, MessageSource.position)
        )
        return list(rows)

    async def delete(self, document: Document) -> None:
        await self.db.execute(delete(Document).where(Document.id == document.id))
