"""Every query of search: candidates by words, hits resolved under their owner, and the indexer's
bookkeeping (``message_embeddings``). Ownership is part of every read that serves a user."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, Row, Select, and_, delete, func, insert, or_, select, true
from sqlalchemy.ext.asyncio import AsyncSession

from lockgate.models import Conversation, Message, MessageEmbedding, MessageRole, MessageStatus

SEARCHABLE_ROLES = (MessageRole.USER, MessageRole.ASSISTANT)
# The final saved text: a reply still streaming is indexed once it ends; a failed one holds none.
FINAL = (MessageStatus.COMPLETE, MessageStatus.INCOMPLETE, MessageStatus.CANCELLED)


@dataclass(frozen=True, slots=True)
class Found:
    """A message as a hit shows it."""

    message_id: uuid.UUID
    conversation_id: uuid.UUID
    title: str
    archived: bool
    role: MessageRole
    content: str
    created_at: datetime


@dataclass(frozen=True, slots=True)
class ToIndex:
    message_id: uuid.UUID
    user_id: uuid.UUID
    conversation_id: uuid.UUID
    content: str


def _searchable() -> list[ColumnElement[bool]]:
    return [Message.role.in_(SEARCHABLE_ROLES), Message.status.in_(FINAL)]


class SearchRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def by_words(
        self, user_id: uuid.UUID, words: Sequence[str], *, limit: int
    ) -> list[Found]:
        """The newest ``limit`` of the user's messages holding any of ``words``."""
        if not words:
            return []
        any_word = or_(*(Message.content.icontains(w, autoescape=True) for w in words))
        stmt = (
            _found_select()
            .where(Conversation.user_id == user_id, any_word, *_searchable())
            .order_by(Message.created_at.desc(), Message.id.desc())
            .limit(limit)
        )
        return [_found(row) for row in (await self.session.execute(stmt)).all()]

    async def owned(self, user_id: uuid.UUID, ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, Found]:
        """Those of ``ids`` that are the user's searchable messages (others are simply absent)."""
        if not ids:
            return {}
        stmt = _found_select().where(
            Conversation.user_id == user_id, Message.id.in_(ids), *_searchable()
        )
        return {f.message_id: f for f in map(_found, (await self.session.execute(stmt)).all())}

    async def to_index(
        self, embedder: str, *, after: uuid.UUID | None, limit: int
    ) -> list[ToIndex]:
        """Searchable messages without a row of ``embedder``, in id order after ``after``."""
        stmt = (
            _to_index_select(embedder)
            .where(Message.id > after if after is not None else true())
            .order_by(Message.id)
            .limit(limit)
        )
        return [ToIndex(r[0], r[1], r[2], r[3]) for r in (await self.session.execute(stmt)).all()]

    async def to_index_among(self, embedder: str, ids: Sequence[uuid.UUID]) -> list[ToIndex]:
        """Of ``ids`` and their parents (a reply's question), those not indexed yet."""
        if not ids:
            return []
        parents = select(Message.parent_id).where(
            Message.id.in_(ids), Message.parent_id.is_not(None)
        )
        stmt = _to_index_select(embedder).where(or_(Message.id.in_(ids), Message.id.in_(parents)))
        return [ToIndex(r[0], r[1], r[2], r[3]) for r in (await self.session.execute(stmt)).all()]

    async def mark_indexed(
        self, rows: Sequence[tuple[ToIndex, int]], embedder: str, now: datetime
    ) -> set[uuid.UUID]:
        """Remember ``(message, passages)`` as indexed by ``embedder``; returns the messages
        deleted meanwhile (skipped: their row would break the foreign key)."""
        if not rows:
            return set()
        ids = [m.message_id for m, _ in rows]
        alive = set(
            (await self.session.scalars(select(Message.id).where(Message.id.in_(ids)))).all()
        )
        await self.session.execute(
            delete(MessageEmbedding).where(MessageEmbedding.message_id.in_(ids))
        )
        values = [
            {
                "message_id": m.message_id,
                "user_id": m.user_id,
                "embedder": embedder,
                "chunks": chunks,
                "indexed_at": now,
            }
            for m, chunks in rows
            if m.message_id in alive
        ]
        if values:
            await self.session.execute(insert(MessageEmbedding), values)
        return set(ids) - alive

    async def forget(self, user_id: uuid.UUID | None = None) -> None:
        """Forget what was indexed (one user's, or everyone's): the next sweep embeds it again."""
        stmt = delete(MessageEmbedding)
        if user_id is not None:
            stmt = stmt.where(MessageEmbedding.user_id == user_id)
        await self.session.execute(stmt)

    async def indexed_count(self, user_id: uuid.UUID, embedder: str) -> int:
        return int(
            await self.session.scalar(
                select(func.count()).where(
                    MessageEmbedding.user_id == user_id, MessageEmbedding.embedder == embedder
                )
            )
            or 0
        )


def _found_select() -> Select[
    uuid.UUID, uuid.UUID, str, datetime | None, MessageRole, str, datetime
]:
    return select(
        Message.id,
        Message.conversation_id,
        Conversation.title,
        Conversation.archived_at,
        Message.role,
        Message.content,
        Message.created_at,
    ).join(Conversation, Conversation.id == Message.conversation_id)


def _found(
    row: Row[uuid.UUID, uuid.UUID, str, datetime | None, MessageRole, str, datetime],
) -> Found:
    message_id, conversation_id, title, archived_at, role, content, created_at = row
    return Found(
        message_id, conversation_id, title, archived_at is not None, role, content, created_at
    )


def _to_index_select(
    embedder: str,
) -> Select[uuid.UUID, uuid.UUID, uuid.UUID, str]:
    done = and_(MessageEmbedding.message_id == Message.id, MessageEmbedding.embedder == embedder)
    return (
        select(Message.id, Conversation.user_id, Message.conversation_id, Message.content)
        .join(Conversation, Conversation.id == Message.conversation_id)
        .outerjoin(MessageEmbedding, done)
        .where(MessageEmbedding.message_id.is_(None), *_searchable())
    )
