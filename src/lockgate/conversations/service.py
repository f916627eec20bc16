"""Conversation logic: ownership, pagination, rename, parameters, organising, delete."""

from __future__ import annotations

import uuid

from pydantic import StrictBool
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.attributes import flag_modified

from lockgate.clock import Clock
from lockgate.conversations.branches import branch_page, select_branch
from lockgate.conversations.pagination import decode_cursor, encode_cursor
from lockgate.conversations.parameters import Parameters, check
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
from lockgate.folders.repository import FolderRepository
from lockgate.folders.service import FolderNotFound
from lockgate.inputs import Instant
from lockgate.models import Conversation
from lockgate.settings import FileConfig

PARAMETER_FIELDS = ("model", "temperature", "max_tokens", "system_prompt")


class ConversationNotFound(NotFound):
    message = "Conversation not found."


def parameters_of(conversation: Conversation) -> Parameters:
    return Parameters(
        model=conversation.model,
        temperature=conversation.temperature,
        max_tokens=conversation.max_tokens,
        system_prompt=conversation.system_prompt,
    )


def set_parameters(conversation: Conversation, params: Parameters) -> None:
    conversation.model = params.model
    conversation.temperature = params.temperature
    conversation.max_tokens = params.max_tokens
    conversation.system_prompt = params.system_prompt


class ConversationService:
    def __init__(self, db: AsyncSession, clock: Clock, *, file: FileConfig) -> None:
        """``file``: the configured models, which a conversation's parameters are checked
        against (conversations/parameters.py)."""
        self.db = db
        self.clock = clock
        self.file = file
        self.conversations = ConversationRepository(db)
        self.messages = MessageRepository(db)
        self.tree = MessageTree(db)
        self.folders = FolderRepository(db)

    async def get(self, conversation_id: uuid.UUID, user_id: uuid.UUID) -> Conversation:
        return await owned_conversation(self.db, conversation_id, user_id)

    async def folder(self, folder_id: uuid.UUID, user_id: uuid.UUID) -> uuid.UUID:
        """``folder_id`` if the user owns it; another user's folder is a 404 like a missing one."""
        if await self.folders.get_owned(folder_id, user_id) is None:
            raise FolderNotFound()
        return folder_id

    async def create(self, user_id: uuid.UUID, body: ConversationCreate) -> Conversation:
        params = Parameters(body.model, body.temperature, body.max_tokens, body.system_prompt)
        check(params, self.file)
        folder_id = await self.folder(body.folder_id, user_id) if body.folder_id else None
        now = self.clock()
        conversation = Conversation(
            user_id=user_id,
            title=body.title or "",
            folder_id=folder_id,
            created_at=now,
            updated_at=now,
        )
        set_parameters(conversation, params)
        return await self.conversations.add(conversation)

    async def list(
        self,
        user_id: uuid.UUID,
        *,
        limit: int,
        cursor: str | None,
        query: str | None,
        folder_id: uuid.UUID | None = None,
        archived: bool = False,
    ) -> ConversationPage:
        after = None
        if cursor:
            data = decode_cursor(cursor, p=StrictBool, u=Instant, i=uuid.UUID)
            after = (data["p"], data["u"], data["i"])
        if folder_id is not None:
            await self.folder(folder_id, user_id)
        rows = await self.conversations.list_owned(
            user_id,
            limit=limit + 1,
            after=after,
            query=(query or "").strip() or None,
            folder_id=folder_id,
            archived=archived,
        )
        items, more = rows[:limit], len(rows) > limit
        last = items[-1] if more else None
        next_cursor = (
            encode_cursor(p=last.pinned, u=last.updated_at.isoformat(), i=str(last.id))
            if last is not None
            else None
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
        """Title and parameters are changes to the conversation (``updated_at`` moves);
        folder, pin and archive only organise it (``updated_at`` stays, so does its place)."""
        conversation = await self.get(conversation_id, user_id)
        given = body.model_fields_set
        changed = False
        if body.title is not None:
            conversation.title = body.title
            changed = True
        if any(name in given for name in PARAMETER_FIELDS):
            current = parameters_of(conversation)
            params = Parameters(
                model=body.model if "model" in given else current.model,
                temperature=body.temperature if "temperature" in given else current.temperature,
                max_tokens=body.max_tokens if "max_tokens" in given else current.max_tokens,
                system_prompt=(
                    body.system_prompt if body.system_prompt is not None else current.system_prompt
                ),
            )
            check(params, self.file)
            set_parameters(conversation, params)
            changed = True
        await self._organise(conversation, user_id, body)
        if changed:
            conversation.updated_at = self.clock()
        else:
            # Included in the UPDATE as it is, so the column's onupdate does not move it.
            flag_modified(conversation, "updated_at")
        await self.db.flush()
        return conversation

    async def _organise(
        self, conversation: Conversation, user_id: uuid.UUID, body: ConversationUpdate
    ) -> None:
        if "folder_id" in body.model_fields_set:
            folder_id = body.folder_id
            conversation.folder_id = (
                await self.folder(folder_id, user_id) if folder_id is not None else None
            )
        if body.pinned is not None:
            conversation.pinned = body.pinned
        if body.archived is not None and body.archived != (conversation.archived_at is not None):
            conversation.archived_at = self.clock() if body.archived else None

    async def delete(self, conversation_id: uuid.UUID, user_id: uuid.UUID) -> None:
        conversation = await self.get(conversation_id, user_id)
        await self.conversations.delete(conversation)


async def owned_conversation(
    db: AsyncSession, conversation_id: uuid.UUID, user_id: uuid.UUID
) -> Conversation:
    """The user's conversation; another user's is a 404 like a missing one."""
    conversation = await ConversationRepository(db).get_owned(conversation_id, user_id)
    if conversation is None:
        raise ConversationNotFound()
    return conversation
