"""HTTP only: /api/v1/documents, passages and a conversation's documents and citations."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, File, Form, UploadFile, status

from lockgate.auth.deps import CurrentUser
from lockgate.deps import SessionDep, StateDep
from lockgate.documents.runtime import Documents
from lockgate.documents.schemas import (
    CitationList,
    CitationOut,
    DocumentList,
    DocumentOut,
    PassageOut,
)
from lockgate.documents.service import DocumentService, Upload, clean_name
from lockgate.errors import Forbidden
from lockgate.http.ratelimit import endpoint_limit
from lockgate.openapi import error_responses

router = APIRouter(prefix="/api/v1", tags=["documents"])
UPLOAD_PATH = "/api/v1/documents"
_READ = 256 * 1024


class DocumentsDisabled(Forbidden):
    code = "documents_disabled"
    message = "Documents are turned off on this server (documents.enabled: false)."


def documents_of(state: StateDep) -> Documents:
    if state.documents is None:
        raise DocumentsDisabled()
    return state.documents


DocumentsDep = Annotated[Documents, Depends(documents_of)]


async def get_service(db: SessionDep, state: StateDep, documents: DocumentsDep) -> DocumentService:
    return DocumentService(db, config=documents.config, clock=state.clock)


ServiceDep = Annotated[DocumentService, Depends(get_service)]
Limit = Annotated[None, Depends(endpoint_limit("conversations"))]


@router.post(
    "/documents",
    status_code=status.HTTP_201_CREATED,
    operation_id="uploadDocuments",
    responses=error_responses(401, 403, 404, 413, 422, 429),
)
async def upload_documents(
    conversation_id: Annotated[uuid.UUID, Form()],
    user: CurrentUser,
    service: ServiceDep,
    documents: DocumentsDep,
    _limit: Limit,
    files: Annotated[list[UploadFile] | None, File(description="PDF, DOCX, text, code")] = None,
) -> DocumentList:
    """Attach documents to a conversation (multipart: ``conversation_id`` and ``files``).

    All or nothing: 413 ``file_too_large`` / ``too_many_files`` / ``document_quota_exceeded`` /
    ``too_many_pages`` / ``document_too_long`` / ``decompression_bomb``; 422 ``empty_file`` /
    ``unsupported_file_type`` / ``file_type_mismatch`` (the bytes are not what the name says) /
    ``encrypted_pdf`` / ``encrypted_document`` / ``unreadable_document`` / ``no_text_found`` /
    ``no_files``. The documents come back ``indexing``; each turns ``ready`` once its chunks are
    embedded (poll ``GET /api/v1/documents/{id}``).
    """
    files = files or []
    service.check_count(len(files))
    uploads = [await _read(service, file) for file in files]
    created = await service.upload(user.id, conversation_id, uploads)
    await service.db.commit()
    for document in created:
        documents.indexer.submit(document.id)
    return DocumentList(items=[DocumentOut.model_validate(d) for d in created])


async def _read(service: DocumentService, file: UploadFile) -> Upload:
    """The file's bytes, refused as soon as they pass the per-file limit."""
    name = clean_name(file.filename)
    data = bytearray()
    while piece := await file.read(_READ):
        data += piece
        service.check_size(name, len(data))
    return Upload(name, bytes(data))


@router.get(
    "/conversations/{conversation_id}/documents",
    operation_id="listConversationDocuments",
    responses=error_responses(401, 403, 404),
)
async def list_documents(
    conversation_id: uuid.UUID, user: CurrentUser, service: ServiceDep
) -> DocumentList:
    """The conversation's documents, oldest first, with their status."""
    found = await service.in_conversation(user.id, conversation_id)
    return DocumentList(items=[DocumentOut.model_validate(d) for d in found])


@router.get(
    "/documents/{document_id}", operation_id="getDocument", responses=error_responses(401, 403, 404)
)
async def get_document(
    document_id: uuid.UUID, user: CurrentUser, service: ServiceDep
) -> DocumentOut:
    """One of your documents (another user's is a 404, as a missing one)."""
    return DocumentOut.model_validate(await service.get(document_id, user.id))


@router.delete(
    "/documents/{document_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    operation_id="deleteDocument",
    responses=error_responses(401, 403, 404),
)
async def delete_document(
    document_id: uuid.UUID, user: CurrentUser, service: ServiceDep, documents: DocumentsDep
) -> None:
    """Delete a document: its row and chunks, then (once that is committed) its vectors.
    Citations of it stay in the replies, marked as pointing at a deleted document."""
    await service.delete(document_id, user.id)
    await service.db.commit()
    await documents.index.forget_document(document_id)


@router.get(
    "/passages/{chunk_id}", operation_id="getPassage", responses=error_responses(401, 403, 404)
)
async def get_passage(chunk_id: uuid.UUID, user: CurrentUser, service: ServiceDep) -> PassageOut:
    """The passage a citation points at: its text, file name and page."""
    chunk, document = await service.passage(chunk_id, user.id)
    return PassageOut(
        chunk_id=chunk.id,
        document_id=document.id,
        file_name=document.file_name,
        page=chunk.page,
        text=chunk.text,
    )


@router.get(
    "/conversations/{conversation_id}/citations",
    operation_id="listConversationCitations",
    responses=error_responses(401, 403, 404),
)
async def list_citations(
    conversation_id: uuid.UUID, user: CurrentUser, service: ServiceDep
) -> CitationList:
    """The sources every reply of the conversation was given, by reply and number."""
    found = await service.citations(user.id, conversation_id)
    return CitationList(items=[CitationOut.model_validate(c) for c in found])
