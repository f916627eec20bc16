"""Conversation logic: ownership, pagination, rename, system prompt, delete."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from lockgate.clock import Clock
from lockgate.conversations.branches import branch_page, select_branch
from lockgate.conversations.pagination import decode_cursor, encode_cursor
from lockgate.conversations.repository import ConversationRepository, MessageRepository
from lockgate.conversations.schemas import (
    ConversationCreate,
    ConversationDetail,
    ConversationOut,
    ConversationPage,
    ConversationUpdate,
    MessagePage,
)
from lockgate.conversations.tree import MessageTree
from lockgate.errors import NotFound
from lockgate.inputs import Instant
from lockgate.models import Conversation


class ConversationNotFound(NotFound):
    message = "Conversation not found."


class ConversationService:
    def __init__(self, db: AsyncSession, clock: Clock) -> None:
        self.db = db
        self.clock = clock
        self.conversations = ConversationRepository(db)
        self.messages = MessageRepository(db)
        self.tree = MessageTree(db)

    async def get(self, conversation_id: uuid.UUID, user_id: uuid.UUID) -> Conversation:
        conversation = await self.conversations.get_owned(conversation_id, user_id)
        if conversation is None:
            raise ConversationNotFound()
        return conversation

    async def create(self, user_id: uuid.UUID, body: ConversationCreate) -> Conversation:
        now = self.clock()
        return await self.conversations.add(
            Conversation(
                user_id=user_id,
                title=body.title or "",
                system_prompt=body.system_prompt,
                created_at=now,
                updated_at=now,
            )
        )

    async def list(
        self, user_id: uuid.UUID, *, limit: int, cursor: str | None, query: str | None
    ) -> ConversationPage:
        after = None
        if cursor:
            data = decode_cursor(cursor, u=Instant, i=uuid.UUID)
            after = (data["u"], data["i"])
        rows = await self.conversations.list_owned(
            user_id, limit=limit + 1, after=after, query=(query or "").strip() or None
        )
        items, more = rows[:limit], len(rows) > limit
        next_cursor = (
            encode_cursor(u=items[-1].updated_at.isoformat(), i=str(items[-1].id)) if more else None
        )
        return ConversationPage(
            items=[ConversationOut.model_validate(c) for c in items], next_cursor=next_cursor
        )

    async def message_page(
        self, conversation: Conversation, *, limit: int, cursor: str | None
    ) -> MessagePage:
        """A page of the current branch (the path from its leaf up), oldest first."""
        return await branch_page(self.tree, conversation, limit=limit, cursor=cursor)

    async def detail(
        self, conversation_id: uuid.UUID, user_id: uuid.UUID, *, limit: int
    ) -> ConversationDetail:
        conversation = await self.get(conversation_id, user_id)
        return await self._detail(conversation, limit=limit)

    async def switch_branch(
        self, conversation_id: uuid.UUID, user_id: uuid.UUID, message_id: uuid.UUID, *, limit: int
    ) -> ConversationDetail:
        """Show the branch through ``message_id``; the conversation keeps it for the next read
        and the next send. Not a change of content: ``updated_at`` stays."""
        conversation = await self.get(conversation_id, user_id)
        await select_branch(self.tree, conversation, message_id)
        return await self._detail(conversation, limit=limit)

    async def _detail(self, conversation: Conversation, *, limit: int) -> ConversationDetail:
        page = await self.message_page(conversation, limit=limit, cursor=None)
        base = ConversationOut.model_validate(conversation)
        return ConversationDetail(**base.model_dump(), messages=page)

    async def update(
        self, conversation_id: uuid.UUID, user_id: uuid.UUID, body: ConversationUpdate
    ) -> Conversation:
        conversation = await self.get(conversation_id, user_id)
        if body.title is not None:
            conversation.title = body.title
        if body.system_prompt is not None:
            conversation.system_prompt = body.system_prompt
        conversation.updated_at = self.clock()
        await self.db.flush()
        return conversation

    async def delete(self, conversation_id: uuid.UUID, user_id: uuid.UUID) -> None:
        conversation = await self.get(conversation_id, user_id)
        await self.conversations.delete(conversation)
