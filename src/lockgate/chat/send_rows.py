"""The rows a send writes, as a job for the group writer (``db/writer.py``).

A send reads without the write lock (the conversation, the branch, the history), asks the cache
and the gate, and only then writes: the user message, the reply's ``streaming`` placeholder, the
conversation's new leaf and (first message) its title. That write is one job, committed with
other messages' writes in one transaction; the send answers its first event only after the
commit, so a message the person saw acknowledged (the ``message`` event with its id) is saved.

Everything the job needs is passed by value (ids, text), never an object of the request's
session: the job runs in the writer's session, maybe twice (the writer re-runs each job of a
failed group alone), and reads the positions (``seq``) it takes inside its own transaction.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.exc import NoResultFound
from sqlalchemy.ext.asyncio import AsyncSession

from lockgate.conversations.repository import ConversationRepository, MessageRepository
from lockgate.conversations.service import ConversationNotFound
from lockgate.conversations.tree import MessageTree
from lockgate.models import Message, MessageRole, MessageStatus


@dataclass(frozen=True, slots=True)
class ReplyOf:
    """Who answers: the admitted candidate's model and provider, saved on the placeholder."""

    model: str
    provider: str


@dataclass(frozen=True, slots=True)
class SentRows:
    user_message: Message
    reply: Message
    siblings: dict[uuid.UUID, list[uuid.UUID]]


Extra = Callable[[AsyncSession, SentRows], Awaitable[None]]
"""More rows of the same send, written in the job's transaction once its messages exist (the
images it links, the sources its reply is given); like the job, safe to run again."""


@dataclass(frozen=True, slots=True)
class SendWrite:
    """A user message after ``parent_id`` and its reply's placeholder (`write`)."""

    conversation_id: uuid.UUID
    parent_id: uuid.UUID | None
    content: str
    title: str | None  # set only if the conversation has none yet
    reply_of: ReplyOf
    now: datetime
    extras: tuple[Extra, ...] = ()

    async def write(self, db: AsyncSession) -> SentRows:
        """Four statements: both positions (and the title) reserved at once, both rows inserted
        at once, the new leaf, the user message's siblings (its reply has none yet)."""
        reply_seq = await next_seq(db, self.conversation_id, self.now, count=2, title=self.title)
        user_message = Message(
            id=uuid.uuid4(),
            conversation_id=self.conversation_id,
            seq=reply_seq - 1,
            parent_id=self.parent_id,
            role=MessageRole.USER,
            content=self.content,
            status=MessageStatus.COMPLETE,
            created_at=self.now,
            updated_at=self.now,
            finished_at=self.now,
        )
        reply = _placeholder_row(
            self.conversation_id, user_message.id, reply_seq, self.reply_of, self.now
        )
        db.add_all([user_message, reply])
        await db.flush()
        tree = MessageTree(db)
        await tree.set_leaf_id(self.conversation_id, reply.id)  # where the person now is
        siblings = await tree.siblings(self.conversation_id, [user_message])
        siblings[reply.id] = [reply.id]
        rows = SentRows(user_message, reply, siblings)
        for extra in self.extras:
            await extra(db, rows)
        return rows


@dataclass(frozen=True, slots=True)
class RegenerateWrite:
    """Another answer of ``parent`` (a user message): a new placeholder, the new leaf."""

    conversation_id: uuid.UUID
    parent: Message
    reply_of: ReplyOf
    now: datetime
    extras: tuple[Extra, ...] = ()

    async def write(self, db: AsyncSession) -> SentRows:
        reply = await placeholder(db, self.conversation_id, self.parent.id, self.reply_of, self.now)
        siblings = await MessageTree(db).siblings(self.conversation_id, [self.parent, reply])
        rows = SentRows(self.parent, reply, siblings)
        for extra in self.extras:
            await extra(db, rows)
        return rows


async def placeholder(
    db: AsyncSession,
    conversation_id: uuid.UUID,
    parent_id: uuid.UUID,
    reply_of: ReplyOf,
    now: datetime,
) -> Message:
    """The reply's row, ``streaming`` and empty, made the conversation's current leaf."""
    seq = await next_seq(db, conversation_id, now)
    reply = await MessageRepository(db).add(
        _placeholder_row(conversation_id, parent_id, seq, reply_of, now)
    )
    await MessageTree(db).set_leaf_id(conversation_id, reply.id)  # where the person now is
    return reply


def _placeholder_row(
    conversation_id: uuid.UUID, parent_id: uuid.UUID, seq: int, reply_of: ReplyOf, now: datetime
) -> Message:
    return Message(
        id=uuid.uuid4(),
        conversation_id=conversation_id,
        seq=seq,
        created_at=now,
        updated_at=now,
        parent_id=parent_id,
        role=MessageRole.ASSISTANT,
        content="",
        status=MessageStatus.STREAMING,
        model=reply_of.model,
        provider=reply_of.provider,
    )


async def next_seq(
    db: AsyncSession,
    conversation_id: uuid.UUID,
    now: datetime,
    *,
    count: int = 1,
    title: str | None = None,
) -> int:
    """Reserve ``count`` positions, the last returned (and name an untitled conversation
    ``title``); the conversation may have been deleted since it was read."""
    try:
        return await ConversationRepository(db).next_seq(
            conversation_id, now, count=count, title=title
        )
    except NoResultFound:
        raise ConversationNotFound() from None
