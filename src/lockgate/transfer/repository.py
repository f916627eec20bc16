"""Every query of export and import. Ownership is part of every lookup."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import and_, insert, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from lockgate.models import Conversation, Message

INSERT_BATCH = 500
"""Rows per statement: large enough to be fast, small enough to bound one round trip."""
BULK = {"render_nulls": True}
"""Without it the ORM leaves a NULL column out of its INSERT (so a server default applies) and
so splits a batch wherever the NULLs change: a question (no model) then an answer (no parent)
was one statement per row. The rows carry every column, so NULL means NULL."""


class TransferRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def conversations_page(
        self,
        user_id: uuid.UUID,
        *,
        after: tuple[datetime, uuid.UUID] | None,
        limit: int,
        only: uuid.UUID | None = None,
    ) -> Sequence[Conversation]:
        """Oldest first (a stable order for a long export); ``after`` is the previous page's
        last (created_at, id). ``only`` narrows it to one conversation (still owned)."""
        stmt = select(Conversation).where(Conversation.user_id == user_id)
        if only is not None:
            stmt = stmt.where(Conversation.id == only)
        if after is not None:
            at, last_id = after
            stmt = stmt.where(
                or_(
                    Conversation.created_at > at,
                    and_(Conversation.created_at == at, Conversation.id > last_id),
                )
            )
        stmt = stmt.order_by(Conversation.created_at, Conversation.id).limit(limit)
        return (await self.session.scalars(stmt)).all()

    async def messages_of(
        self, conversation_ids: Sequence[uuid.UUID]
    ) -> dict[uuid.UUID, list[Message]]:
        """Each conversation's messages in order."""
        grouped: dict[uuid.UUID, list[Message]] = {cid: [] for cid in conversation_ids}
        if not conversation_ids:
            return grouped
        stmt = (
            select(Message)
            .where(Message.conversation_id.in_(conversation_ids))
            .order_by(Message.conversation_id, Message.seq)
        )
        for message in (await self.session.scalars(stmt)).all():
            grouped[message.conversation_id].append(message)
        return grouped

    async def insert_conversations(self, rows: Sequence[dict[str, Any]]) -> None:
        for start in range(0, len(rows), INSERT_BATCH):
            batch = list(rows[start : start + INSERT_BATCH])
            await self.session.execute(insert(Conversation), batch, execution_options=BULK)

    async def insert_messages(self, rows: Sequence[dict[str, Any]]) -> None:
        for start in range(0, len(rows), INSERT_BATCH):
            batch = list(rows[start : start + INSERT_BATCH])
            await self.session.execute(insert(Message), batch, execution_options=BULK)
