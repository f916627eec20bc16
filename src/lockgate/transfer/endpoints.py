"""HTTP only: export (/api/v1/conversations/{id}/export, /api/v1/exports) and import
(/api/v1/imports)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, status
from fastapi.responses import StreamingResponse

from lockgate.auth.deps import CurrentUser
from lockgate.conversations.service import owned_conversation
from lockgate.deps import SessionDep, StateDep
from lockgate.http.ratelimit import endpoint_limit
from lockgate.openapi import error_responses
from lockgate.transfer.export import Exporter, ExportFormat, download_name
from lockgate.transfer.importer import Importer, ImportLimits
from lockgate.transfer.markdown import file_stem
from lockgate.transfer.schemas import ImportOut

router = APIRouter(prefix="/api/v1", tags=["transfer"])
IMPORT_PATH = "/api/v1/imports"
TransferLimit = Annotated[None, Depends(endpoint_limit("conversations"))]
Format = Annotated[ExportFormat, Query(description="json (Lockgate JSON) or markdown")]

JSON_TYPE = "application/json"
MARKDOWN_TYPE = "text/markdown; charset=utf-8"
ZIP_TYPE = "application/zip"


DOWNLOADS: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "The file (streamed): Lockgate JSON, or Markdown (one conversation) / "
        "a zip of Markdown files (all)",
        "content": {
            JSON_TYPE: {
                "schema": {
                    "type": "object",
                    "description": "Lockgate JSON, version 1 (see lockgate/transfer/schema.py)",
                }
            },
            MARKDOWN_TYPE: {"schema": {"type": "string", "format": "binary"}},
            ZIP_TYPE: {"schema": {"type": "string", "format": "binary"}},
        },
    }
}


def _stream(body: AsyncIterator[bytes], media_type: str, disposition: str) -> StreamingResponse:
    return StreamingResponse(
        body,
        media_type=media_type,
        headers={"Content-Disposition": disposition, "Cache-Control": "no-store"},
    )


@router.get(
    "/conversations/{conversation_id}/export",
    operation_id="exportConversation",
    response_class=StreamingResponse,
    responses={**DOWNLOADS, **error_responses(401, 404, 422)},
)
async def export_conversation(
    conversation_id: uuid.UUID,
    user: CurrentUser,
    db: SessionDep,
    state: StateDep,
    _limit: TransferLimit,
    format: Format = "json",
) -> StreamingResponse:
    """One conversation: Lockgate JSON (every message and branch) or Markdown (the branch shown)."""
    conversation = await owned_conversation(db, conversation_id, user.id)
    stem = file_stem(conversation)
    exporter = Exporter(state.sessionmaker, state.clock, user.id, only=conversation.id)
    if format == "markdown":
        return _stream(exporter.markdown_one(), MARKDOWN_TYPE, download_name(stem, "md"))
    return _stream(exporter.json(), JSON_TYPE, download_name(stem, "json"))


@router.get(
    "/exports",
    operation_id="exportConversations",
    response_class=StreamingResponse,
    responses={**DOWNLOADS, **error_responses(401, 422)},
)
async def export_all(
    user: CurrentUser, state: StateDep, _limit: TransferLimit, format: Format = "json"
) -> StreamingResponse:
    """Every conversation of yours in one download: one Lockgate JSON document (what import
    reads back) or a zip with one Markdown file per conversation."""
    day = state.clock().strftime("%Y-%m-%d")
    exporter = Exporter(state.sessionmaker, state.clock, user.id)
    if format == "markdown":
        return _stream(exporter.markdown_zip(), ZIP_TYPE, download_name(f"lockgate-{day}", "zip"))
    return _stream(exporter.json(), JSON_TYPE, download_name(f"lockgate-{day}", "json"))


@router.post(
    "/imports",
    status_code=status.HTTP_201_CREATED,
    operation_id="importConversations",
    responses=error_responses(400, 401, 403, 413, 422),
    openapi_extra={
        "requestBody": {
            "required": True,
            "description": "The file itself as the body: a Lockgate JSON export, ChatGPT's "
            "conversations.json, or ChatGPT's export zip (recognised from the content)",
            "content": {
                JSON_TYPE: {"schema": {"type": "string", "format": "binary"}},
                # A zip is sent as bytes ("application/zip" is not a media type every client
                # tool supports in a request body; the content says what the file is anyway).
                "application/octet-stream": {"schema": {"type": "string", "format": "binary"}},
            },
        }
    },
)
async def import_conversations(
    request: Request, user: CurrentUser, db: SessionDep, state: StateDep, _limit: TransferLimit
) -> ImportOut:
    """Import conversations as yours, all or none: a file that is not UTF-8 JSON or a readable
    zip (400), too large or holding too many conversations or messages (413), or not in a known
    format or with a wrong field (422) imports nothing. Nothing is sent to a provider."""
    settings = state.config.settings
    limits = ImportLimits(
        max_bytes=settings.max_import_bytes,
        max_conversations=settings.max_import_conversations,
        max_messages=settings.max_import_messages,
    )
    result = await Importer(db, state.clock, limits).run(user.id, request.stream())
    await db.commit()
    return ImportOut(
        format=result.source,
        conversations=len(result.conversation_ids),
        messages=result.messages,
        conversation_ids=result.conversation_ids,
    )
