"""Images in the web chat's turns: the attachments a send names, and the branch's images re-sent.

A send may name attachment ids (``attachment_ids``): each must be the sender's (another user's is
a 404 like a missing one), unsent or already in this conversation (an edit that keeps the
image), at most ``max_images`` of them, and the model must see images (``vision: true``), which
is checked before anything is saved or reserved.

The model sees the current branch with its images: each user turn's attachments are read from
disk and sent as ``data:`` URLs (`ChatMessage.images`), so the budget bounds them per image
(`calls.candidates.image_tokens_bound`) like a ``/v1`` request's. Only the newest
``max_images`` of the branch are re-sent (older ones become a one-line text stand-in), so a long
conversation full of photos neither grows the request past the limit an upstream takes nor
reserves an unbounded amount. A model without vision (the person switched models after sending
an image) gets the stand-in for every image instead of a refusal, so the conversation can go on.
"""

from __future__ import annotations

import base64
import uuid
from collections import defaultdict
from collections.abc import Sequence

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from lockgate.attachments.errors import (
    AttachmentInUse,
    AttachmentNotFound,
    ModelCannotSeeImages,
    TooManyAttachments,
)
from lockgate.attachments.repository import AttachmentRepository
from lockgate.attachments.storage import AttachmentStorage
from lockgate.models import Attachment, Message, MessageRole
from lockgate.providers.base import ChatMessage, Role

_LEFT_OUT = "not re-sent, older than the newest images"
_BLIND = "not shown, this model cannot see images"


def stand_in(attachment: Attachment, reason: str) -> str:
    label = attachment.name or attachment.mime_type
    return f"[image {label}, {attachment.width}x{attachment.height}: {reason}]"


class ChatImages:
    def __init__(self, db: AsyncSession, storage: AttachmentStorage, *, max_images: int) -> None:
        self.repo = AttachmentRepository(db)
        self.storage = storage
        self.max_images = max_images

    async def for_send(
        self,
        user_id: uuid.UUID,
        conversation_id: uuid.UUID,
        attachment_ids: Sequence[uuid.UUID],
        *,
        model: str,
        vision: bool,
    ) -> list[Attachment]:
        """The named attachments, in the order named; every refusal before anything is saved."""
        ids = list(dict.fromkeys(attachment_ids))
        if not ids:
            return []
        if len(ids) > self.max_images:
            raise TooManyAttachments(
                f"A message can carry at most {self.max_images} images; this one has {len(ids)}."
            )
        if not vision:
            raise ModelCannotSeeImages(
                f"{model} cannot see images. Choose a model that can, or remove the images."
            )
        found = await self.repo.owned(ids, user_id)
        if len(found) != len(ids):
            raise AttachmentNotFound()
        attachments = [found[i] for i in ids]
        if any(a.conversation_id not in (None, conversation_id) for a in attachments):
            raise AttachmentInUse("An image sent in another conversation cannot be sent here.")
        return attachments

    @staticmethod
    async def link(
        db: AsyncSession,
        conversation_id: uuid.UUID,
        message_id: uuid.UUID,
        attachments: Sequence[Attachment],
    ) -> None:
        """In ``db`` (the send's write, maybe not the session that read ``attachments``): the
        images now belong to the conversation and to the message, in their order."""
        ids = [a.id for a in attachments]
        await db.execute(
            update(Attachment).where(Attachment.id.in_(ids)).values(conversation_id=conversation_id)
        )
        await AttachmentRepository(db).link(message_id, attachments)

    async def turns(
        self,
        rows: Sequence[Message],
        new_turn: str | None,
        new_images: Sequence[Attachment],
        *,
        vision: bool,
    ) -> list[ChatMessage]:
        """The branch as the model sees it, with ``new_turn`` (a send's text) at its end."""
        by_message: dict[uuid.UUID | None, list[Attachment]] = defaultdict(list)
        for message_id, attachment in await self.repo.of_messages(
            [r.id for r in rows if r.role == MessageRole.USER]
        ):
            by_message[message_id].append(attachment)
        by_message[None] = list(new_images)
        turns: list[tuple[Role, str, list[Attachment]]] = [
            (
                "user" if r.role == MessageRole.USER else "assistant",
                r.content,
                by_message.get(r.id, []),
            )
            for r in rows
        ]
        if new_turn is not None:
            turns.append(("user", new_turn, by_message[None]))
        budget = self.max_images if vision else 0
        sent: list[ChatMessage] = []
        for role, content, images in reversed(turns):
            urls: list[str] = []
            notes: list[str] = []
            for attachment in images:
                if budget <= len(urls):
                    notes.append(stand_in(attachment, _LEFT_OUT if vision else _BLIND))
                elif (url := await self._data_url(attachment)) is not None:
                    urls.append(url)
                else:
                    notes.append(stand_in(attachment, "the file is missing"))
            budget -= len(urls)
            text = "\n".join([content, *notes]) if notes else content
            sent.append(ChatMessage(role=role, content=text, images=tuple(urls)))
        return sent[::-1]

    async def _data_url(self, attachment: Attachment) -> str | None:
        try:
            data = await self.storage.read(attachment.file_name)
        except FileNotFoundError:
            return None
        return f"data:{attachment.mime_type};base64,{base64.b64encode(data).decode('ascii')}"
