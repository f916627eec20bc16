"""Import: a file becomes the importer's conversations, all of them or none.

Two passes over the spooled file. The first parses and validates everything and counts it
against the limits, without touching the database; only a file that passes is read again and
written, in the request's one transaction (the endpoint commits), so a bad file costs no write
lock and a failure halfway rolls every row back. Imported rows are only rows: nothing is sent to
a provider, so an import never pays and never touches a budget. Ids are new; dates, models and
token and cost figures are kept as the file says (they are history, not usage).
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from lockgate.clock import Clock
from lockgate.models import MessageStatus
from lockgate.transfer.errors import TooManyConversations, TooManyMessages
from lockgate.transfer.reader import SourceFormat, Upload, detect, read_conversations, spool
from lockgate.transfer.repository import TransferRepository
from lockgate.transfer.schema import ExportedConversation
from lockgate.transfer.unzip import conversations_member

BATCH = 20
"""Conversations parsed (in a worker thread) and written per step of the second pass."""


@dataclass(frozen=True, slots=True)
class ImportLimits:
    max_bytes: int
    max_conversations: int
    max_messages: int


@dataclass
class ImportResult:
    source: SourceFormat
    conversation_ids: list[uuid.UUID] = field(default_factory=list)
    messages: int = 0


def _take(iterator: Iterator[ExportedConversation], n: int) -> list[ExportedConversation]:
    batch: list[ExportedConversation] = []
    for item in iterator:
        batch.append(item)
        if len(batch) == n:
            break
    return batch


class Importer:
    def __init__(self, db: AsyncSession, clock: Clock, limits: ImportLimits) -> None:
        self.db = db
        self.clock = clock
        self.limits = limits
        self.repo = TransferRepository(db)

    async def run(self, user_id: uuid.UUID, chunks: AsyncIterator[bytes]) -> ImportResult:
        upload = await spool(chunks, self.limits.max_bytes)
        if upload.zipped:
            upload = await asyncio.to_thread(conversations_member, upload, self.limits.max_bytes)
        try:
            source = await asyncio.to_thread(detect, upload)
            await asyncio.to_thread(self._check, upload, source)
            return await self._write(user_id, upload, source)
        finally:
            upload.close()

    def _check(self, upload: Upload, source: SourceFormat) -> None:
        """The first pass (in a thread): every conversation valid, the totals within limits."""
        messages = 0
        conversations = read_conversations(upload, source, self.clock())
        for conversations_seen, conversation in enumerate(conversations, start=1):
            messages += len(conversation.messages)
            if conversations_seen > self.limits.max_conversations:
                raise TooManyConversations(self.limits.max_conversations)
            if messages > self.limits.max_messages:
                raise TooManyMessages(self.limits.max_messages)

    async def _write(
        self, user_id: uuid.UUID, upload: Upload, source: SourceFormat
    ) -> ImportResult:
        result = ImportResult(source)
        iterator = read_conversations(upload, source, self.clock())
        while batch := await asyncio.to_thread(_take, iterator, BATCH):
            conversations: list[dict[str, Any]] = []
            messages: list[dict[str, Any]] = []
            for conversation in batch:
                row, rows = _rows(user_id, conversation)
                conversations.append(row)
                messages += rows
                result.conversation_ids.append(row["id"])
            await self.repo.insert_conversations(conversations)
            await self.repo.insert_messages(messages)
            result.messages += len(messages)
        return result


def _rows(
    user_id: uuid.UUID, conversation: ExportedConversation
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    conversation_id = uuid.uuid4()
    new_ids: dict[uuid.UUID, uuid.UUID] = {}
    messages: list[dict[str, Any]] = []
    for seq, message in enumerate(conversation.messages, start=1):
        new_ids[message.id] = row_id = uuid.uuid4()
        status = message.status
        if status == MessageStatus.STREAMING:  # it was cut by the export; it will never finish
            status = MessageStatus.INCOMPLETE
        messages.append(
            {
                "id": row_id,
                "conversation_id": conversation_id,
                "seq": seq,
                "parent_id": new_ids[message.parent_id] if message.parent_id else None,
                "role": message.role,
                "content": message.content,
                "status": status,
                "model": message.model,
                "provider": message.provider,
                "input_tokens": message.input_tokens,
                "output_tokens": message.output_tokens,
                "cost_usd": message.cost_usd,
                "latency_ms": message.latency_ms,
                "error_code": message.error_code,
                "error_message": message.error_message,
                "finished_at": message.finished_at,
                "cached": message.cached,
                "created_at": message.created_at,
                "updated_at": message.finished_at or message.created_at,
            }
        )
    row = {
        "id": conversation_id,
        "user_id": user_id,
        "title": conversation.title,
        "system_prompt": conversation.system_prompt,
        "last_seq": len(messages),
        "created_at": conversation.created_at,
        "updated_at": conversation.updated_at,
    }
    return row, messages
