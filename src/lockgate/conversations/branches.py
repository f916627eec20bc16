"""Reading and choosing a conversation's branch (see `lockgate.conversations.tree`).

A page of a branch is its newest ``limit`` messages, oldest first, each with its siblings so a
client can draw "< 2/3 >" and switch; ``next_cursor`` names the message the older page starts at.
Switching only moves the conversation's current leaf: nothing is generated or paid.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from lockgate.conversations.pagination import InvalidCursor, decode_cursor, encode_cursor
from lockgate.conversations.schemas import MessageOut, MessagePage
from lockgate.conversations.tree import MessageTree, oldest_first
from lockgate.errors import Conflict, NotFound
from lockgate.models import Conversation, Message


class MessageNotFound(NotFound):
    message = "Message not found."


class ReplyInProgress(Conflict):
    code = "reply_in_progress"
    message = (
        "An answer is still being written in this conversation. Stop it or let it finish "
        "before editing a message, regenerating an answer or switching branches."
    )


async def with_siblings(
    tree: MessageTree, conversation_id: uuid.UUID, messages: Sequence[Message]
) -> list[MessageOut]:
    siblings = await tree.siblings(conversation_id, messages)
    return [
        MessageOut.model_validate(m).model_copy(update={"sibling_ids": siblings[m.id]})
        for m in messages
    ]


async def branch_page(
    tree: MessageTree, conversation: Conversation, *, limit: int, cursor: str | None
) -> MessagePage:
    """The current branch's newest ``limit`` messages (or those above ``cursor``)."""
    if cursor:
        start = await tree.get(conversation.id, decode_cursor(cursor, m=uuid.UUID)["m"])
        if start is None:  # a message of another conversation (or none): not a cursor of ours
            raise InvalidCursor()
    else:
        start = await tree.leaf(conversation)
    if start is None:
        return MessagePage(items=[], next_cursor=None)
    path = await tree.path(conversation.id, start.id, limit=limit + 1)
    items = oldest_first(path[:limit])
    more = path[limit] if len(path) > limit else None
    return MessagePage(
        items=await with_siblings(tree, conversation.id, items),
        next_cursor=encode_cursor(m=str(more.id)) if more is not None else None,
    )


async def ensure_idle(tree: MessageTree, conversation_id: uuid.UUID) -> None:
    """Refuse to change branches while a reply streams: it would go on spending out of sight
    (its Stop button is on the branch being left), and a fork under it would read it half
    written. Checked in the database, so a reply live on another replica counts too."""
    if await tree.streaming(conversation_id):
        raise ReplyInProgress()


async def select_branch(
    tree: MessageTree, conversation: Conversation, message_id: uuid.UUID
) -> Message:
    """Make the branch through ``message_id`` current; returns its leaf."""
    leaf = await tree.newest_leaf_under(conversation.id, message_id)
    if leaf is None:
        raise MessageNotFound()
    await ensure_idle(tree, conversation.id)
    await tree.set_leaf(conversation, leaf.id)
    return leaf
