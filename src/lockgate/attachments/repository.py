"""Every attachment query. Ownership is part of every lookup by id."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from lockgate.models import Attachment, Conversation, Message, MessageAttachment


class AttachmentRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get_owned(self, attachment_id: uuid.UUID, user_id: uuid.UUID) -> Attachment | None:
        return await self.session.scalar(
            select(Attachment).where(Attachment.id == attachment_id, Attachment.user_id == user_id)
        )

    async def owns_conversation(self, conversation_id: uuid.UUID, user_id: uuid.UUID) -> bool:
        found = await self.session.scalar(
            select(Conversation.id).where(
                Conversation.id == conversation_id, Conversation.user_id == user_id
            )
        )
        return found is not None

    async def owned(
        self, attachment_ids: Sequence[uuid.UUID], user_id: uuid.UUID
    ) -> dict[uuid.UUID, Attachment]:
        rows = await self.session.scalars(
            select(Attachment).where(
                Attachment.id.in_(attachment_ids), Attachment.user_id == user_id
            )
        )
        return {row.id: row for row in rows}

    async def usage(self, user_id: uuid.UUID) -> tuple[int, int]:
        """(files, bytes) the user has stored."""
        row = (
            await self.session.execute(
                select(func.count(), func.coalesce(func.sum(Attachment.byte_size), 0)).where(
                    Attachment.user_id == user_id
                )
            )
        ).one()
        return int(row[0]), int(row[1])

    async def add(self, attachment: Attachment) -> None:
        self.session.add(attachment)
        await self.session.flush()

    async def link(self, message_id: uuid.UUID, attachments: Sequence[Attachment]) -> None:
        self.session.add_all(
            MessageAttachment(message_id=message_id, attachment_id=a.id, position=i)
            for i, a in enumerate(attachments)
        )
        await self.session.flush()

    async def is_linked(self, attachment_id: uuid.UUID) -> bool:
        found = await self.session.scalar(
            select(MessageAttachment.message_id)
            .where(MessageAttachment.attachment_id == attachment_id)
            .limit(1)
        )
        return found is not None

    async def of_messages(
        self, message_ids: Sequence[uuid.UUID]
    ) -> list[tuple[uuid.UUID, Attachment]]:
        """(message id, attachment) for these messages, in each message's order."""
        if not message_ids:
            return []
        rows = await self.session.execute(
            select(MessageAttachment.message_id, Attachment)
            .join(Attachment, Attachment.id == MessageAttachment.attachment_id)
            .where(MessageAttachment.message_id.in_(message_ids))
            .order_by(MessageAttachment.message_id, MessageAttachment.position)
        )
        return [(row[0], row[1]) for row in rows]

    async def of_conversation(
        self, conversation_id: uuid.UUID
    ) -> list[tuple[uuid.UUID, Attachment]]:
        """(message id, attachment) for every message of the conversation, every branch."""
        rows = await self.session.execute(
            select(MessageAttachment.message_id, Attachment)
            .join(Attachment, Attachment.id == MessageAttachment.attachment_id)
            .join(Message, Message.id == MessageAttachment.message_id)
            .where(Message.conversation_id == conversation_id)
            .order_by(Message.seq, MessageAttachment.position)
        )
        return [(row[0], row[1]) for row in rows]

    async def file_names_of_conversation(self, conversation_id: uuid.UUID) -> list[str]:
        rows = await self.session.scalars(
            select(Attachment.file_name).where(Attachment.conversation_id == conversation_id)
        )
        return list(rows)

    async def delete(self, attachment: Attachment) -> None:
        await self.session.execute(delete(Attachment).where(Attachment.id == attachment.id))
