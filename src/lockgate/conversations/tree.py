"""The message tree of a conversation: branches, siblings and the current leaf.

Editing a user message or regenerating an answer adds a sibling (same ``parent_id``) instead of
replacing anything, so a conversation is a tree of message rows. The conversation shows, and
the model sees, one branch of it: the path from the conversation's current leaf up to a root.

Every query is scoped to one conversation whose ownership the caller has already checked; a
message id from elsewhere reads as "not there". Paths are walked with a recursive CTE (same SQL
on SQLite and PostgreSQL), bounded by a depth limit so a read never walks more rows than asked::

    tree = MessageTree(db)
    leaf = await tree.leaf(conversation)            # the current leaf, or None when empty
    path = await tree.path(conversation.id, leaf.id, limit=64)   # leaf first, then its parents
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable, Sequence

from sqlalchemy import func, literal, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.attributes import set_committed_value

from lockgate.models import Conversation, Message, MessageStatus


class MessageTree:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, conversation_id: uuid.UUID, message_id: uuid.UUID) -> Message | None:
        """The message if it belongs to this conversation."""
        return await self.session.scalar(
            select(Message).where(
                Message.id == message_id, Message.conversation_id == conversation_id
            )
        )

    async def leaf(self, conversation: Conversation) -> Message | None:
        """The current leaf; without a valid one (never chosen, stale), the newest message."""
        if conversation.current_message_id is not None:
            current = await self.get(conversation.id, conversation.current_message_id)
            if current is not None:
                return current
        return await self.session.scalar(
            select(Message)
            .where(Message.conversation_id == conversation.id)
            .order_by(Message.seq.desc())
            .limit(1)
        )

    async def set_leaf(self, conversation: Conversation, message_id: uuid.UUID) -> None:
        """Make ``message_id`` the current leaf. Not an edit of the conversation: its
        ``updated_at`` (the sidebar's order) is left as it is, which an ORM flush would bump."""
        await self.set_leaf_id(conversation.id, message_id)
        set_committed_value(conversation, "current_message_id", message_id)

    async def set_leaf_id(self, conversation_id: uuid.UUID, message_id: uuid.UUID) -> None:
        """`set_leaf` by id, for a writer whose session does not hold the conversation."""
        await self.session.execute(
            update(Conversation)
            .where(Conversation.id == conversation_id)
            .values(current_message_id=message_id, updated_at=Conversation.updated_at)
        )

    async def path(
        self, conversation_id: uuid.UUID, start_id: uuid.UUID, *, limit: int
    ) -> list[Message]:
        """``start_id`` and its ancestors, nearest first, at most ``limit`` of them."""
        if limit < 1:
            return []
        walk = (
            select(Message.id, Message.parent_id, literal(0).label("depth"))
            .where(Message.id == start_id, Message.conversation_id == conversation_id)
            .cte("walk", recursive=True)
        )
        walk = walk.union_all(
            select(Message.id, Message.parent_id, walk.c.depth + 1)
            .join(walk, Message.id == walk.c.parent_id)
            .where(walk.c.depth < limit - 1)
        )
        stmt = select(Message).join(walk, Message.id == walk.c.id).order_by(walk.c.depth)
        return list((await self.session.scalars(stmt)).all())

    async def newest_leaf_under(
        self, conversation_id: uuid.UUID, message_id: uuid.UUID
    ) -> Message | None:
        """The newest message of ``message_id``'s subtree (itself included).

        A child is always created after its parent, so the newest message of a subtree has no
        children: it is a leaf, the one the person last worked on below that message.
        """
        below = (
            select(Message.id)
            .where(Message.id == message_id, Message.conversation_id == conversation_id)
            .cte("below", recursive=True)
        )
        below = below.union_all(select(Message.id).join(below, Message.parent_id == below.c.id))
        return await self.session.scalar(
            select(Message)
            .join(below, Message.id == below.c.id)
            .order_by(Message.seq.desc())
            .limit(1)
        )

    async def siblings(
        self, conversation_id: uuid.UUID, messages: Iterable[Message]
    ) -> dict[uuid.UUID, list[uuid.UUID]]:
        """For each message, the ids sharing its parent (itself included), oldest first."""
        messages = list(messages)
        if not messages:
            return {}
        parents = {m.parent_id for m in messages if m.parent_id is not None}
        wanted = [Message.parent_id.in_(parents)] if parents else []
        if any(m.parent_id is None for m in messages):
            wanted.append(Message.parent_id.is_(None))
        rows = await self.session.execute(
            select(Message.id, Message.parent_id)
            .where(Message.conversation_id == conversation_id, or_(*wanted))
            .order_by(Message.seq)
        )
        by_parent: defaultdict[uuid.UUID | None, list[uuid.UUID]] = defaultdict(list)
        for message_id, parent_id in rows:
            by_parent[parent_id].append(message_id)
        return {m.id: by_parent[m.parent_id] for m in messages}

    async def streaming(self, conversation_id: uuid.UUID) -> bool:
        """Whether a reply of this conversation is being generated (here or on a replica)."""
        count = await self.session.scalar(
            select(func.count())
            .select_from(Message)
            .where(
                Message.conversation_id == conversation_id,
                Message.status == MessageStatus.STREAMING,
            )
        )
        return bool(count)


def oldest_first(path: Sequence[Message]) -> list[Message]:
    """A path read leaf first, in reading order."""
    return list(reversed(path))
