"""ChatGPT's ``conversations.json`` → Lockgate JSON conversations.

ChatGPT stores each conversation as a tree: ``mapping`` holds nodes (``id``, ``parent``,
``children``, ``message``) and ``current_node`` is the leaf of the branch the user last saw. We
import that branch, walked from the leaf up to the root and read back in order::

    {"title": "…", "create_time": 1717000000.1, "update_time": …, "current_node": "n3",
     "mapping": {"n3": {"parent": "n2", "message": {"author": {"role": "assistant"},
                 "content": {"content_type": "text", "parts": ["Hello"]},
                 "create_time": …, "metadata": {"model_slug": "gpt-4o"}}}, …}}

What is kept: user and assistant messages with text (``text``; the text parts of
``multimodal_text``, an image part becoming ``[image]``). What is skipped: system and tool
messages, nodes hidden from the conversation (``is_visually_hidden_from_conversation``),
messages addressed to a tool (``recipient`` other than ``all``), reasoning and browsing
displays, empty messages, and replies before the first question (Lockgate hangs every reply
on a question). Consecutive assistant messages (a reply split by a tool call) become one reply.
Nothing here can cost money: imported messages are rows, never sent to a provider.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from lockgate.models import MessageRole, MessageStatus
from lockgate.transfer.errors import ImportInvalid
from lockgate.transfer.schema import (
    MAX_MESSAGE_CHARS,
    MAX_TITLE_CHARS,
    ExportedConversation,
    ExportedMessage,
)

TEXT_TYPES = frozenset({"text", "multimodal_text"})
ROLES = {"user": MessageRole.USER, "assistant": MessageRole.ASSISTANT}
LATEST = 253402300799  # 9999-12-31T23:59:59Z


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _time(value: Any) -> datetime | None:
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
        return None
    seconds = float(value)
    if not 0 <= seconds <= LATEST:
        return None
    return datetime.fromtimestamp(seconds, UTC)


def is_chatgpt(item: Any) -> bool:
    return isinstance(item, dict) and isinstance(item.get("mapping"), dict)


def _branch(mapping: dict[str, Any], current: Any) -> list[dict[str, Any]]:
    """The nodes from the root to ``current`` (or, without a usable one, to the last leaf)."""
    node_id = current if isinstance(current, str) and current in mapping else None
    if node_id is None:
        roots = [k for k, n in mapping.items() if _dict(n).get("parent") not in mapping]
        node_id = roots[0] if roots else None
        seen: set[str] = set()
        while node_id is not None and node_id not in seen:
            seen.add(node_id)
            children = [c for c in _dict(mapping[node_id]).get("children") or [] if c in mapping]
            if not children:
                break
            node_id = children[-1]
    path: list[dict[str, Any]] = []
    visited: set[str] = set()
    while isinstance(node_id, str) and node_id in mapping and node_id not in visited:
        visited.add(node_id)
        node = _dict(mapping[node_id])
        path.append(node)
        node_id = node.get("parent")
    path.reverse()
    return path


def _text(message: dict[str, Any]) -> str:
    content = _dict(message.get("content"))
    if content.get("content_type") not in TEXT_TYPES:
        return ""
    pieces: list[str] = []
    for part in content.get("parts") or []:
        if isinstance(part, str):
            if part.strip():
                pieces.append(part)
        elif isinstance(part, dict) and "image" in str(part.get("content_type", "")):
            pieces.append("[image]")
    return "\n\n".join(pieces).strip()


def _kept(message: dict[str, Any]) -> tuple[MessageRole, str] | None:
    role = ROLES.get(str(_dict(message.get("author")).get("role")))
    metadata = _dict(message.get("metadata"))
    if role is None or metadata.get("is_visually_hidden_from_conversation"):
        return None
    if message.get("recipient") not in (None, "all"):
        return None
    text = _text(message)
    return (role, text) if text else None


def convert(item: Any, where: str, now: datetime) -> ExportedConversation | None:
    """One ChatGPT conversation as a Lockgate one; None when it has no message to keep."""
    if not is_chatgpt(item):
        raise ImportInvalid(where, "not a ChatGPT conversation (no 'mapping' object)")
    created = _time(item.get("create_time"))
    messages: list[dict[str, Any]] = []
    last_user: uuid.UUID | None = None
    for node in _branch(item["mapping"], item.get("current_node")):
        message = _dict(node.get("message"))
        kept = _kept(message)
        if kept is None:
            continue
        role, text = kept
        at = _time(message.get("create_time")) or created or now
        model = _dict(message.get("metadata")).get("model_slug")
        model = model[:200] if isinstance(model, str) and model else None
        if role == MessageRole.ASSISTANT:
            if last_user is None:
                continue
            previous = messages[-1] if messages else None
            if previous is not None and previous["role"] == MessageRole.ASSISTANT:
                previous["content"] = f"{previous['content']}\n\n{text}"
                previous["model"] = previous["model"] or model
                continue
        row_id = uuid.uuid4()
        messages.append(
            {
                "id": row_id,
                # One chain, as Lockgate writes a conversation (conversations/tree.py): each
                # message follows the one before it, a reply its question.
                "parent_id": messages[-1]["id"] if messages else None,
                "role": role,
                "content": text,
                "status": MessageStatus.COMPLETE,
                "model": model if role == MessageRole.ASSISTANT else None,
                "created_at": at,
            }
        )
        if role == MessageRole.USER:
            last_user = row_id
    if not messages:
        return None
    for index, message in enumerate(messages):
        if len(message["content"]) > MAX_MESSAGE_CHARS:
            raise ImportInvalid(
                f"{where}.messages[{index}]", f"longer than {MAX_MESSAGE_CHARS} characters"
            )
    title = item.get("title")
    first, last = messages[0]["created_at"], messages[-1]["created_at"]
    updated = _time(item.get("update_time")) or last
    replies = [m["model"] for m in messages if m["model"]]
    return ExportedConversation(
        id=uuid.uuid4(),
        title=(title.strip() if isinstance(title, str) else "")[:MAX_TITLE_CHARS],
        created_at=created or first,
        updated_at=max(updated, created or first),
        model=replies[-1] if replies else None,
        messages=[ExportedMessage(**m) for m in messages],
    )
