"""Every conversation and message query. Ownership is part of every lookup."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, case, delete, exists, false, or_, select, true, update
from sqlalchemy.ext.asyncio import AsyncSession

from lockgate.models import Conversation, Message


class ConversationRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get_owned(
        self, conversation_id: uuid.UUID, user_id: uuid.UUID
    ) -> Conversation | None:
        return await self.session.scalar(
            select(Conversation).where(
                Conversation.id == conversation_id, Conversation.user_id == user_id
            )
        )

    async def add(self, conversation: Conversation) -> Conversation:
        self.session.add(conversation)
        await self.session.flush()
        return conversation

    async def list_owned(
        self,
        user_id: uuid.UUID,
        *,
        limit: int,
        after: tuple[bool, datetime, uuid.UUID] | None,
        query: str | None,
        folder_id: uuid.UUID | None = None,
        archived: bool = False,
    ) -> Sequence[Conversation]:
        """Pinned first, then newest activity; ``after`` is the (pinned, updated_at, id) of the
        previous page's end. Archived conversations are listed only with ``archived``."""
        stmt = select(Conversation).where(
            Conversation.user_id == user_id,
            Conversation.archived_at.is_not(None)
            if archived
            else Conversation.archived_at.is_(None),
        )
        if folder_id is not None:
            stmt = stmt.where(Conversation.folder_id == folder_id)
        if after is not None:
            stmt = stmt.where(_after(*after))
        if query:
            matches_message = exists().where(
                Message.conversation_id == Conversation.id,
                Message.content.icontains(query, autoescape=True),
            )
            stmt = stmt.where(
                or_(Conversation.title.icontains(query, autoescape=True), matches_message)
            )
        stmt = stmt.order_by(
            Conversation.pinned.desc(), Conversation.updated_at.desc(), Conversation.id.desc()
        ).limit(limit)
        return (await self.session.scalars(stmt)).all()

    async def delete(self, conversation: Conversation) -> None:
        await self.session.execute(delete(Conversation).where(Conversation.id == conversation.id))

    async def next_seq(
        self, conversation_id: uuid.UUID, now: datetime, *, count: int = 1, title: str | None = None
    ) -> int:
        """Reserve the next ``count`` message positions (the last is returned); also marks the
        conversation as active and, given a ``title``, names it if it has none yet."""
        values: dict[str, Any] = {"last_seq": Conversation.last_seq + count, "updated_at": now}
        if title is not None:
            untitled = or_(Conversation.title.is_(None), Conversation.title == "")
            values["title"] = case((untitled, title), else_=Conversation.title)
        result = await self.session.execute(
            update(Conversation)
            .where(Conversation.id == conversation_id)
            .values(**values)
            .returning(Conversation.last_seq)
        )
        return int(result.scalar_one())


def _after(pinned: bool, at: datetime, last_id: uuid.UUID) -> ColumnElement[bool]:
    """Rows after (pinned, at, last_id) in the order pinned DESC, updated_at DESC, id DESC."""
    later_same_group = or_(
        Conversation.updated_at < at,
        and_(Conversation.updated_at == at, Conversation.id < last_id),
    )
    if pinned:
        return or_(
            Conversation.pinned == false(), and_(Conversation.pinned == true(), later_same_group)
        )
    return and_(Conversation.pinned == false(), later_same_group)


class MessageRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(self, message: Message) -> Message:
        self.session.add(message)
        await self.session.flush()
        return message

    async def all_for(self, conversation_id: uuid.UUID) -> Sequence[Message]:
        stmt = select(Message).where(Message.conversation_id == conversation_id)
        return (await self.session.scalars(stmt.order_by(Message.seq))).all()

    async def get_owned(self, message_id: uuid.UUID, user_id: uuid.UUID) -> Message | None:
        return await self.session.scalar(
            select(Message)
            .join(Conversation, Conversation.id == Message.conversation_id)
            .where(Message.id == message_id, Conversation.user_id == user_id)
        )
