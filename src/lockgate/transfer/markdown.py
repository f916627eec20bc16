"""A conversation as Markdown: the branch its owner sees, for people to read and keep.

Markdown is for reading, so it holds the active branch (each question with the reply shown in
the chat, `chat.history.shown_branch`), not every regeneration; Lockgate JSON keeps them all.
Message content is Markdown already and is written as it is.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping, Sequence
from datetime import datetime

from lockgate.chat.history import shown_branch
from lockgate.models import Attachment, Conversation, Message, MessageRole

UNTITLED = "Untitled conversation"
_UNSAFE = re.compile(r"[^\w\- ]+", re.UNICODE)
_SPACES = re.compile(r"[\s\-]+")


def _when(at: datetime) -> str:
    return at.strftime("%Y-%m-%d %H:%M UTC")


def _speaker(message: Message) -> str:
    if message.role == MessageRole.USER:
        return "You"
    if message.role == MessageRole.SYSTEM:
        return "System"
    return f"Assistant ({message.model})" if message.model else "Assistant"


def render(
    conversation: Conversation,
    messages: Sequence[Message],
    exported_at: datetime,
    images: Mapping[uuid.UUID, Sequence[Attachment]] | None = None,
) -> str:
    """The whole document; one heading per message, each with its time. An attached image is
    named, not embedded (its file stays on the server, owner-only)."""
    title = conversation.title or UNTITLED
    lines = [
        f"# {title}",
        "",
        f"- Created: {_when(conversation.created_at)}",
        f"- Updated: {_when(conversation.updated_at)}",
        f"- Exported from Lockgate: {_when(exported_at)}",
        "",
    ]
    if conversation.system_prompt:
        lines += ["## System prompt", "", conversation.system_prompt, ""]
    for message in shown_branch(conversation, messages):
        lines += ["---", "", f"### {_speaker(message)} · {_when(message.created_at)}", ""]
        lines += [message.content, ""]
        for image in (images or {}).get(message.id, ()):
            label = image.name or image.mime_type
            lines += [f"*[image: {label}, {image.width}x{image.height}, not exported]*", ""]
    return "\n".join(lines)


def file_stem(conversation: Conversation) -> str:
    """A file name every system accepts and people recognise: date, title, a short id
    (``Trip: Paris/Rome?`` → ``2026-12-06 Trip Paris Rome 0a1b2c3d``)."""
    title = _SPACES.sub(" ", _UNSAFE.sub(" ", conversation.title)).strip()[:80].strip()
    day = conversation.created_at.strftime("%Y-%m-%d")
    return f"{day} {title or 'Untitled'} {conversation.id.hex[:8]}"
