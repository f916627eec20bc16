"""What the model sees: the current branch of a conversation, cut to its context window.

A conversation is a tree (edits and regenerations are siblings, `lockgate.conversations.tree`);
the history of a new reply is the path from the message it follows up to the root, never a
sibling branch. Replies that failed or are empty are left out (the person saw an error, not an
answer). Trimming to a model's window is done per candidate by
`lockgate.calls.context.fit_to_context`; `branch_rows` reads only as much of the path as the
largest window could hold, so a send costs the same at message 10 and at message 1,000.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from lockgate.conversations.tree import MessageTree
from lockgate.models import Conversation, Message, MessageRole, MessageStatus
from lockgate.providers.base import ChatMessage
from lockgate.providers.tokenizer import PER_MESSAGE_OVERHEAD, estimate_tokens

USABLE = frozenset({MessageStatus.COMPLETE, MessageStatus.INCOMPLETE, MessageStatus.CANCELLED})


def shown_branch(conversation: Conversation, rows: Sequence[Message]) -> list[Message]:
    """The branch the person sees, from every row of the conversation (an export or a share
    snapshot reads them all anyway): the current leaf's path to the root, oldest first, its
    usable turns only (a reply still being written is left out). As `MessageTree.leaf`, a
    missing or stale leaf means the newest message."""
    by_id = {row.id: row for row in rows}
    leaf = by_id.get(conversation.current_message_id) if conversation.current_message_id else None
    if leaf is None and rows:
        leaf = max(rows, key=lambda row: row.seq)
    path: list[Message] = []
    while leaf is not None and len(path) <= len(rows):  # bounded even if the rows had a cycle
        path.append(leaf)
        leaf = by_id.get(leaf.parent_id) if leaf.parent_id is not None else None
    return usable(path[::-1])


def usable(rows: Sequence[Message]) -> list[Message]:
    """The turns worth sending: every user message, and the replies that hold an answer."""
    return [
        row
        for row in rows
        if row.role == MessageRole.USER
        or (row.role == MessageRole.ASSISTANT and row.status in USABLE and row.content)
    ]


def to_chat_messages(rows: Sequence[Message]) -> list[ChatMessage]:
    return [
        ChatMessage(role="user" if r.role == MessageRole.USER else "assistant", content=r.content)
        for r in rows
    ]


async def branch_rows(
    tree: MessageTree,
    conversation_id: uuid.UUID,
    leaf_id: uuid.UUID | None,
    *,
    budget_tokens: int,
    page: int = 64,
) -> list[Message]:
    """The path from ``leaf_id`` up to the root, oldest first, read a page at a time until it
    holds more tokens than ``budget_tokens`` (the largest candidate's context window). Rows
    further up could not be part of any candidate's request: `fit_to_context` counts tokens
    with the same estimate, so nothing it would keep is left unread."""
    rows: list[Message] = []
    used = 0
    start = leaf_id
    while start is not None:
        batch = await tree.path(conversation_id, start, limit=page)
        rows.extend(batch)
        used += sum(estimate_tokens(row.content) + PER_MESSAGE_OVERHEAD for row in batch)
        if len(batch) < page or used > budget_tokens:
            break
        start = batch[-1].parent_id
    rows.reverse()
    return rows
