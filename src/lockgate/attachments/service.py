"""Uploading, serving and deleting attachments; the endpoint commits.

An upload is read as it streams in and refused as soon as it passes the byte limit, checked
(`checks.check_image`), counted against the user's quota, and only then written: a refused
file leaves nothing behind, on disk or in the database.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncSession

from lockgate.attachments.checks import Limits, check_image, check_size
from lockgate.attachments.errors import AttachmentInUse, AttachmentNotFound, QuotaExceeded
from lockgate.attachments.repository import AttachmentRepository
from lockgate.attachments.storage import AttachmentStorage
from lockgate.clock import Clock
from lockgate.models import Attachment
from lockgate.quotas import counting_for

MAX_NAME = 255


@dataclass(frozen=True, slots=True)
class Quota:
    """Per user (``LOCKGATE_ATTACHMENT_QUOTA_FILES`` / ``..._BYTES``)."""

    files: int
    bytes: int


def display_name(name: str | None) -> str:
    """The browser's file name, for display: its last path part, printable, at most 255."""
    base = (name or "").replace("\\", "/").rsplit("/", 1)[-1]
    return "".join(ch for ch in base if ch.isprintable())[:MAX_NAME].strip()


class AttachmentService:
    def __init__(
        self,
        db: AsyncSession,
        *,
        clock: Clock,
        storage: AttachmentStorage,
        limits: Limits,
        quota: Quota,
    ) -> None:
        self.db = db
        self.clock = clock
        self.storage = storage
        self.limits = limits
        self.quota = quota
        self.repo = AttachmentRepository(db)

    async def upload(
        self, user_id: uuid.UUID, name: str | None, body: AsyncIterator[bytes]
    ) -> Attachment:
        """Check, count and store one image; the caller commits (and on failure discards)."""
        data = await self._read(body)
        checked = check_image(data, self.limits)
        await counting_for(self.db, user_id)  # concurrent uploads are counted one at a time
        files, used = await self.repo.usage(user_id)
        if files + 1 > self.quota.files:
            raise QuotaExceeded(
                f"You have {files} attachments stored; at most {self.quota.files} are allowed. "
                "Delete conversations with images to make room."
            )
        if used + len(data) > self.quota.bytes:
            raise QuotaExceeded(
                f"This image ({len(data)} bytes) would take your attachments past "
                f"{self.quota.bytes} bytes ({used} used). "
                "Delete conversations with images to make room."
            )
        attachment = Attachment(
            id=uuid.uuid4(),
            user_id=user_id,
            name=display_name(name),
            mime_type=checked.mime_type,
            byte_size=len(data),
            width=checked.width,
            height=checked.height,
            created_at=self.clock(),
        )
        attachment.file_name = await self.storage.write(attachment.id, checked.mime_type, data)
        try:
            await self.repo.add(attachment)
        except BaseException:
            await self.storage.remove([attachment.file_name])
            raise
        return attachment

    async def _read(self, body: AsyncIterator[bytes]) -> bytes:
        chunks: list[bytes] = []
        size = 0
        async for chunk in body:
            size += len(chunk)
            check_size(size, self.limits)  # refused while streaming: never buffered past it
            chunks.append(chunk)
        return b"".join(chunks)

    async def owned(self, attachment_id: uuid.UUID, user_id: uuid.UUID) -> Attachment:
        attachment = await self.repo.get_owned(attachment_id, user_id)
        if attachment is None:
            raise AttachmentNotFound()
        return attachment

    async def file(
        self, attachment_id: uuid.UUID, user_id: uuid.UUID
    ) -> tuple[Attachment, Path, os.stat_result]:
        attachment = await self.owned(attachment_id, user_id)
        stat = await self.storage.stat(attachment.file_name)
        if stat is None:
            raise AttachmentNotFound()
        return attachment, self.storage.path(attachment.file_name), stat

    async def delete(self, attachment_id: uuid.UUID, user_id: uuid.UUID) -> Attachment:
        """An attachment not yet sent (the composer's remove button); a sent one stays with
        its message until the conversation is deleted."""
        attachment = await self.owned(attachment_id, user_id)
        if attachment.conversation_id is not None or await self.repo.is_linked(attachment.id):
            raise AttachmentInUse(
                "This image was sent in a conversation; delete the conversation to delete it."
            )
        await self.repo.delete(attachment)
        return attachment

    async def discard(self, attachments: list[Attachment]) -> None:
        await self.storage.remove([a.file_name for a in attachments])
