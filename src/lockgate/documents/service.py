"""Documents of a conversation: upload (checked, parsed, chunked, stored), list, delete, passages.

All or nothing: every file of an upload is checked and parsed before anything is added to the
session, and the endpoint commits once; a refused file leaves no row, no chunk, no vector.
Vectors are written after the commit by the `DocumentIndexer`, and removed after a delete's
commit (a vector without its row is never returned: retrieval checks the rows).
"""

from __future__ import annotations

import unicodedata
import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from anyio.to_thread import run_sync
from sqlalchemy.ext.asyncio import AsyncSession

from lockgate.clock import Clock
from lockgate.conversations.service import owned_conversation
from lockgate.db.engine import reading
from lockgate.documents.chunking import chunk
from lockgate.documents.errors import (
    DocumentNotFound,
    FileTooLarge,
    PassageNotFound,
    QuotaExceeded,
    TooManyFiles,
)
from lockgate.documents.parsing import Limits, Parsed, parse
from lockgate.documents.repository import DocumentRepository
from lockgate.documents_settings import DocumentsConfig
from lockgate.errors import Unprocessable
from lockgate.models import Document, DocumentChunk, DocumentStatus, MessageSource
from lockgate.quotas import counting_for

MAX_NAME = 255


def bytes_text(size: int) -> str:
    """``10 MiB``, ``512 KiB``, ``900 bytes``: sizes as the limits are configured."""
    for unit, scale in (("GiB", 1024**3), ("MiB", 1024**2), ("KiB", 1024)):
        if size >= scale:
            value = size / scale
            return f"{value:.0f} {unit}" if value == int(value) else f"{value:.1f} {unit}"
    return f"{size} bytes"


class NoFiles(Unprocessable):
    code = "no_files"
    message = "Attach at least one file."


@dataclass(frozen=True, slots=True)
class Upload:
    file_name: str
    data: bytes


def clean_name(raw: str | None) -> str:
    """The last path part, control characters removed, at most 255 characters."""
    name = (raw or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(c for c in name if unicodedata.category(c)[0] != "C").strip()
    return name[-MAX_NAME:] or "untitled"


class DocumentService:
    def __init__(self, db: AsyncSession, *, config: DocumentsConfig, clock: Clock) -> None:
        self.db = db
        self.config = config
        self.clock = clock
        self.repository = DocumentRepository(db)

    def check_count(self, count: int) -> None:
        """Files in one message: at least one, at most ``max_files_per_upload``."""
        if count == 0:
            raise NoFiles()
        if count > self.config.max_files_per_upload:
            raise TooManyFiles(
                f"{count} files attached; at most {self.config.max_files_per_upload} per message."
            )

    def check_size(self, file_name: str, size: int) -> None:
        if size > self.config.max_file_bytes:
            raise FileTooLarge(
                f"{file_name} is larger than {bytes_text(self.config.max_file_bytes)}, "
                "the most one file may be."
            )

    async def upload(
        self, user_id: uuid.UUID, conversation_id: uuid.UUID, uploads: Sequence[Upload]
    ) -> list[Document]:
        """Documents ``indexing``, with their chunks, added to the session (the caller commits,
        then submits them to the indexer)."""
        self.check_count(len(uploads))
        for upload in uploads:
            self.check_size(upload.file_name, len(upload.data))
        # A read first: a missing conversation or a full quota is refused before any parsing,
        # and the parsing holds no transaction (on SQLite, no write lock: chat goes on).
        await reading(self.db)
        await owned_conversation(self.db, conversation_id, user_id)
        await self._check_quota(user_id, conversation_id, uploads)
        await self.db.commit()
        limits = Limits.of(self.config)
        parsed: list[Parsed] = []
        for upload in uploads:  # one at a time: the CPU is shared with every other request
            parsed.append(await run_sync(parse, upload.file_name, upload.data, limits))
        # The write: counted again under the user's lock, so two uploads at once cannot both
        # fit in what is left (the conversation may also have been deleted meanwhile).
        await counting_for(self.db, user_id)
        await owned_conversation(self.db, conversation_id, user_id)
        await self._check_quota(user_id, conversation_id, uploads)
        now = self.clock()
        documents = []
        for upload, result in zip(uploads, parsed, strict=True):
            chunks = chunk(
                result.sections, size=self.config.chunk_chars, overlap=self.config.chunk_overlap
            )
            document = Document(
                id=uuid.uuid4(),
                user_id=user_id,
                conversation_id=conversation_id,
                file_name=upload.file_name,
                kind=result.kind,
                byte_size=len(upload.data),
                pages=result.pages,
                chunk_count=len(chunks),
                status=DocumentStatus.INDEXING,
                created_at=now,
                updated_at=now,
            )
            self.db.add(document)
            self.db.add_all(
                DocumentChunk(document_id=document.id, ordinal=c.ordinal, page=c.page, text=c.text)
                for c in chunks
            )
            documents.append(document)
        await self.db.flush()
        return documents

    async def _check_quota(
        self, user_id: uuid.UUID, conversation_id: uuid.UUID, uploads: Sequence[Upload]
    ) -> None:
        config = self.config
        in_conversation = await self.repository.count_in_conversation(conversation_id)
        if in_conversation + len(uploads) > config.max_documents_per_conversation:
            raise QuotaExceeded(
                f"A conversation holds at most {config.max_documents_per_conversation} "
                f"documents; this one has {in_conversation}."
            )
        count, used = await self.repository.usage_of(user_id)
        adding = sum(len(u.data) for u in uploads)
        if count + len(uploads) > config.max_user_documents:
            raise QuotaExceeded(
                f"You can keep at most {config.max_user_documents} documents; you have {count}. "
                "Delete some to upload more."
            )
        if used + adding > config.max_user_bytes:
            raise QuotaExceeded(
                f"Your documents may take {bytes_text(config.max_user_bytes)} in all; you use "
                f"{bytes_text(used)} and this upload adds {bytes_text(adding)}."
            )

    async def in_conversation(
        self, user_id: uuid.UUID, conversation_id: uuid.UUID
    ) -> list[Document]:
        await owned_conversation(self.db, conversation_id, user_id)
        return await self.repository.in_conversation(conversation_id, user_id)

    async def get(self, document_id: uuid.UUID, user_id: uuid.UUID) -> Document:
        document = await self.repository.owned(document_id, user_id)
        if document is None:
            raise DocumentNotFound()
        return document

    async def delete(self, document_id: uuid.UUID, user_id: uuid.UUID) -> Document:
        """The row and its chunks (cascade); the caller commits, then forgets the vectors."""
        document = await self.get(document_id, user_id)
        await self.repository.delete(document)
        return document

    async def passage(
        self, chunk_id: uuid.UUID, user_id: uuid.UUID
    ) -> tuple[DocumentChunk, Document]:
        found = await self.repository.owned_chunk(chunk_id, user_id)
        if found is None:
            raise PassageNotFound()
        return found

    async def citations(
        self, user_id: uuid.UUID, conversation_id: uuid.UUID
    ) -> list[MessageSource]:
        await owned_conversation(self.db, conversation_id, user_id)
        return await self.repository.citations(conversation_id, user_id)
