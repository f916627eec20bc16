"""Export: one conversation or all of them, as Lockgate JSON or Markdown, streamed.

All conversations come as one download in either format: Lockgate JSON is one document (what
the import reads back, so a whole account moves in one file), Markdown a zip with one file per
conversation (what people open in an editor or a notes app; one huge Markdown file is not).
Both are streamed a page of conversations at a time, each page read in a short transaction of
its own, so a large account is never built in memory and a slow download holds no connection.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Mapping, Sequence
from datetime import datetime
from typing import Literal
from urllib.parse import quote

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from lockgate.attachments.repository import AttachmentRepository
from lockgate.clock import Clock
from lockgate.db.engine import reading
from lockgate.models import Attachment, Conversation, Message, MessageRole
from lockgate.transfer import markdown
from lockgate.transfer.repository import TransferRepository
from lockgate.transfer.schema import (
    ExportedConversation,
    ExportedImage,
    ExportedMessage,
    ExportHeader,
)
from lockgate.transfer.zipstream import ZipStream

ExportFormat = Literal["json", "markdown"]
PAGE = 20
"""Conversations per read: with their messages, what is held in memory at once."""


Images = Mapping[uuid.UUID, Sequence[Attachment]]
"""A page's attached images, by message id."""


def exported(
    conversation: Conversation, messages: Sequence[Message], images: Images | None = None
) -> ExportedConversation:
    images = images or {}
    replies = [m for m in messages if m.role == MessageRole.ASSISTANT and m.model]
    return ExportedConversation(
        id=conversation.id,
        title=conversation.title,
        system_prompt=conversation.system_prompt,
        created_at=conversation.created_at,
        updated_at=conversation.updated_at,
        model=replies[-1].model if replies else None,
        messages=[
            ExportedMessage(
                id=m.id,
                parent_id=m.parent_id,
                role=m.role,
                content=m.content,
                status=m.status,
                model=m.model,
                provider=m.provider,
                created_at=m.created_at,
                finished_at=m.finished_at,
                input_tokens=m.input_tokens,
                output_tokens=m.output_tokens,
                cost_usd=m.cost_usd,
                latency_ms=m.latency_ms,
                cached=m.cached,
                error_code=m.error_code,
                error_message=m.error_message,
                images=[
                    ExportedImage(
                        name=a.name,
                        mime_type=a.mime_type,
                        width=a.width,
                        height=a.height,
                        byte_size=a.byte_size,
                    )
                    for a in images.get(m.id, ())
                ],
            )
            for m in messages
        ],
    )


class Exporter:
    """Streams one user's conversations (``only``: just that one, already checked as theirs)."""

    def __init__(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        clock: Clock,
        user_id: uuid.UUID,
        *,
        only: uuid.UUID | None = None,
    ) -> None:
        self.sessionmaker = sessionmaker
        self.clock = clock
        self.user_id = user_id
        self.only = only

    async def pages(self) -> AsyncIterator[tuple[list[tuple[Conversation, list[Message]]], Images]]:
        after: tuple[datetime, uuid.UUID] | None = None
        while True:
            async with self.sessionmaker() as session:
                await reading(session)
                repo = TransferRepository(session)
                rows = await repo.conversations_page(
                    self.user_id, after=after, limit=PAGE, only=self.only
                )
                grouped = await repo.messages_of([c.id for c in rows])
                images: dict[uuid.UUID, list[Attachment]] = {}
                ids = [m.id for c in rows for m in grouped[c.id] if m.role == MessageRole.USER]
                for message_id, attachment in await AttachmentRepository(session).of_messages(ids):
                    images.setdefault(message_id, []).append(attachment)
            if not rows:
                return
            yield [(c, grouped[c.id]) for c in rows], images
            if len(rows) < PAGE:
                return
            after = (rows[-1].created_at, rows[-1].id)

    async def json(self) -> AsyncIterator[bytes]:
        header = ExportHeader(exported_at=self.clock()).model_dump_json()
        yield header[:-1].encode() + b',"conversations":['
        first = True
        async for page, images in self.pages():
            parts = [exported(c, messages, images).model_dump_json() for c, messages in page]
            chunk = ",".join(parts)
            yield (chunk if first else "," + chunk).encode()
            first = False
        yield b"]}\n"

    async def markdown_zip(self) -> AsyncIterator[bytes]:
        archive = ZipStream()
        now = self.clock()
        used: set[str] = set()
        async for page, images in self.pages():
            for conversation, messages in page:
                name = _unique(markdown.file_stem(conversation), used) + ".md"
                text = markdown.render(conversation, messages, now, images)
                archive.add(name, text.encode(), conversation.updated_at)
            yield archive.take()
        archive.close()
        yield archive.take()

    async def markdown_one(self) -> AsyncIterator[bytes]:
        now = self.clock()
        async for page, images in self.pages():
            for conversation, messages in page:
                yield markdown.render(conversation, messages, now, images).encode()


def _unique(stem: str, used: set[str]) -> str:
    name, n = stem, 1
    while name.lower() in used:
        n += 1
        name = f"{stem} ({n})"
    used.add(name.lower())
    return name


def download_name(stem: str, extension: str) -> str:
    """``Content-Disposition`` for a download: an ASCII name, and the real one (RFC 6266)."""
    ascii_name = stem.encode("ascii", "ignore").decode() or "conversation"
    ascii_name = ascii_name.replace('"', "").replace("\\", "")
    return (
        f'attachment; filename="{ascii_name}.{extension}"; '
        f"filename*=UTF-8''{quote(stem + '.' + extension)}"
    )
