"""What the model sees: the active branch of a conversation, cut to its context window.

Regenerated replies are siblings (same ``parent_id``); only the newest usable sibling of each
user message is part of the history. Trimming to a model's window is done per candidate by
`lockgate.calls.context.fit_to_context`; `recent_rows` reads only as much of a conversation as
the largest window could hold, so a send costs the same at message 10 and at message 1,000.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from lockgate.conversations.repository import MessageRepository
from lockgate.models import Message, MessageRole, MessageStatus
from lockgate.providers.base import ChatMessage
from lockgate.providers.tokenizer import PER_MESSAGE_OVERHEAD, estimate_tokens

USABLE = frozenset({MessageStatus.COMPLETE, MessageStatus.INCOMPLETE, MessageStatus.CANCELLED})


def active_branch(rows: Sequence[Message], *, up_to: Message | None = None) -> list[Message]:
    """User messages and, for each, its newest usable reply, in order (through ``up_to``)."""
    latest_reply: dict[uuid.UUID, Message] = {}
    for row in rows:
        if (
            row.role == MessageRole.ASSISTANT
            and row.parent_id is not None
            and row.status in USABLE
            and row.content
        ):
            current = latest_reply.get(row.parent_id)
            if current is None or row.seq > current.seq:
                latest_reply[row.parent_id] = row
    branch: list[Message] = []
    for row in rows:
        if up_to is not None and row.seq > up_to.seq:
            break
        if row.role == MessageRole.USER:
            branch.append(row)
            reply = latest_reply.get(row.id)
            if reply is not None and (up_to is None or row.id != up_to.id):
                branch.append(reply)
    return branch


def to_chat_messages(rows: Sequence[Message]) -> list[ChatMessage]:
    return [
        ChatMessage(role="user" if r.role == MessageRole.USER else "assistant", content=r.content)
        for r in rows
    ]


async def recent_rows(
    messages: MessageRepository,
    conversation_id: uuid.UUID,
    *,
    budget_tokens: int,
    through_seq: int | None = None,
    page: int = 64,
) -> list[Message]:
    """The conversation's newest rows (through ``through_seq``), oldest first, read a page at a
    time until they hold more tokens than ``budget_tokens`` (the largest candidate's context
    window). Rows further back could not be part of any candidate's request: `fit_to_context`
    counts tokens with the same estimate, so nothing it would keep is left unread."""
    rows: list[Message] = []
    used = 0
    before = through_seq + 1 if through_seq is not None else None
    while True:
        batch = await messages.newest_before(conversation_id, before, page)
        rows.extend(batch)
        used += sum(estimate_tokens(row.content) + PER_MESSAGE_OVERHEAD for row in batch)
        if len(batch) < page or used > budget_tokens:
            break
        before = batch[-1].seq
    rows.reverse()
    return rows
