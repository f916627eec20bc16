"""A question in a conversation with documents: the best passages, as numbered sources.

Top-k by cosine similarity over a floor, in the asker's documents of this conversation only
(the index filters by owner and conversation; the rows are checked again here). A conversation
without a ready document costs nothing: no embedding, no search::

    sources = await retriever.retrieve(db, user_id, conversation_id, "What did Q3 cost?")
    system = with_sources(conversation.system_prompt, sources)   # documents.prompt
    retriever.record(db, reply.id, sources)                      # which sources it was given
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from lockgate.clock import Clock
from lockgate.documents.index import DocumentIndex
from lockgate.documents.prompt import Source
from lockgate.documents.repository import DocumentRepository
from lockgate.documents_settings import DocumentsConfig
from lockgate.models import MessageSource


class Retriever:
    def __init__(self, index: DocumentIndex, config: DocumentsConfig, clock: Clock) -> None:
        self.index = index
        self.config = config
        self.clock = clock

    async def retrieve(
        self, db: AsyncSession, user_id: uuid.UUID, conversation_id: uuid.UUID, question: str
    ) -> list[Source]:
        repository = DocumentRepository(db)
        if not question.strip() or not await repository.has_ready(conversation_id, user_id):
            return []
        matches = await self.index.search(
            user_id,
            conversation_id,
            question,
            k=self.config.top_k,
            min_similarity=self.config.min_similarity,
            now=self.clock().timestamp(),
        )
        ids = [uuid.UUID(m.id) for m in matches]
        rows = await repository.chunks_for(ids, conversation_id, user_id)
        sources: list[Source] = []
        for match, chunk_id in zip(matches, ids, strict=True):
            found = rows.get(chunk_id)
            if found is None:
                continue  # deleted since it was indexed
            chunk, document = found
            sources.append(
                Source(
                    position=len(sources) + 1,
                    chunk_id=chunk.id,
                    document_id=document.id,
                    file_name=document.file_name,
                    page=chunk.page,
                    text=chunk.text,
                    similarity=match.similarity,
                )
            )
        return sources

    @staticmethod
    def record(db: AsyncSession, message_id: uuid.UUID, sources: Sequence[Source]) -> None:
        """The sources a reply was given, in the caller's transaction."""
        for source in sources:
            db.add(
                MessageSource(
                    message_id=message_id,
                    position=source.position,
                    chunk_id=source.chunk_id,
                    document_id=source.document_id,
                    file_name=source.file_name,
                    page=source.page,
                    similarity=source.similarity,
                )
            )
