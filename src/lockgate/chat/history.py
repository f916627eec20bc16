"""What the model sees: the active branch of a conversation, cut to its context window.

Regenerated replies are siblings (same ``parent_id``); only the newest usable sibling of each
user message is part of the history. Trimming keeps the system prompt and drops the oldest
turns first; the newest user message is always kept, or the request is refused.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from lockgate.errors import Unprocessable
from lockgate.models import Message, MessageRole, MessageStatus
from lockgate.providers.base import ChatMessage
from lockgate.providers.tokenizer import estimate_tokens

USABLE = frozenset({MessageStatus.COMPLETE, MessageStatus.INCOMPLETE, MessageStatus.CANCELLED})
PER_MESSAGE_OVERHEAD = 4


class ContextTooLong(Unprocessable):
    code = "context_length_exceeded"


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


def _cost(message: ChatMessage) -> int:
    return estimate_tokens(message.content) + PER_MESSAGE_OVERHEAD


def fit_to_context(
    system_prompt: str,
    turns: Sequence[ChatMessage],
    *,
    context_window: int,
    max_tokens: int,
    model: str,
) -> list[ChatMessage]:
    """Newest turns first until the window (minus the reply's ``max_tokens``) is full."""
    budget = context_window - max_tokens
    system = [ChatMessage(role="system", content=system_prompt)] if system_prompt.strip() else []
    used = sum(_cost(m) for m in system)
    if not turns or used + _cost(turns[-1]) > budget:
        raise ContextTooLong(
            f"The message is too long for {model}: its context window is {context_window} tokens "
            f"and {max_tokens} are kept for the reply. Shorten it or lower max_tokens."
        )
    kept: list[ChatMessage] = []
    for message in reversed(turns):
        cost = _cost(message)
        if used + cost > budget:
            break
        kept.append(message)
        used += cost
    kept.reverse()
    # A history must not start with an assistant turn (Anthropic rejects it, others get confused).
    while kept and kept[0].role == "assistant":
        kept.pop(0)
    return system + kept


def to_chat_messages(rows: Sequence[Message]) -> list[ChatMessage]:
    return [
        ChatMessage(role="user" if r.role == MessageRole.USER else "assistant", content=r.content)
        for r in rows
    ]
