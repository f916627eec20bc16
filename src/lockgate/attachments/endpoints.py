"""HTTP only: /api/v1/attachments (upload, serve, delete) and a conversation's images."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, status
from fastapi.responses import FileResponse

from lockgate.attachments.checks import Limits, check_size
from lockgate.attachments.repository import AttachmentRepository
from lockgate.attachments.schemas import (
    AttachmentOut,
    ConversationAttachments,
    MessageAttachmentsOut,
)
from lockgate.attachments.service import AttachmentService, Quota
from lockgate.attachments.storage import EXTENSIONS, attachment_storage
from lockgate.auth.deps import CurrentUser
from lockgate.deps import SessionDep, StateDep
from lockgate.errors import NotFound
from lockgate.http.ratelimit import endpoint_limit
from lockgate.openapi import error_responses

router = APIRouter(prefix="/api/v1", tags=["attachments"])

UPLOAD_PATH = "/api/v1/attachments"
CACHE_CONTROL = "private, max-age=31536000, immutable"  # an attachment never changes content
# The body limit of the upload route: a file at the limit plus room for nothing else.
UPLOAD_SLACK = 64 * 1024


async def get_service(db: SessionDep, state: StateDep) -> AttachmentService:
    settings = state.config.settings
    return AttachmentService(
        db,
        clock=state.clock,
        storage=attachment_storage(settings.data_dir),
        limits=Limits(
            max_bytes=settings.max_image_bytes, max_pixels=settings.max_attachment_pixels
        ),
        quota=Quota(files=settings.attachment_quota_files, bytes=settings.attachment_quota_bytes),
    )


ServiceDep = Annotated[AttachmentService, Depends(get_service)]
Limit = Annotated[None, Depends(endpoint_limit("conversations"))]
FileName = Annotated[str | None, Query(max_length=1000, description="The file's name, shown only")]

BINARY = {"schema": {"type": "string", "format": "binary"}}


@router.post(
    "/attachments",
    status_code=status.HTTP_201_CREATED,
    operation_id="uploadAttachment",
    responses=error_responses(401, 403, 413, 415, 422, 429),
    openapi_extra={
        "requestBody": {
            "required": True,
            "description": "The image file itself as the body (its type is read from its bytes)",
            "content": {mime: BINARY for mime in [*EXTENSIONS, "application/octet-stream"]},
        }
    },
)
async def upload_attachment(
    request: Request, user: CurrentUser, service: ServiceDep, _limit: Limit, name: FileName = None
) -> AttachmentOut:
    """Upload an image to attach to a message (PNG, JPEG, GIF or WebP, told by its bytes).

    413 ``attachment_too_large`` (over ``LOCKGATE_MAX_IMAGE_BYTES``) or
    ``attachment_quota_exceeded`` (your stored files or bytes); 415 ``attachment_not_an_image``;
    422 ``attachment_empty``, ``attachment_unreadable`` (damaged), ``attachment_too_many_pixels``
    (over ``LOCKGATE_MAX_ATTACHMENT_PIXELS``: a decompression bomb is refused from its header).
    A refused file leaves nothing stored.
    """
    declared = request.headers.get("content-length", "")
    if declared.isdigit():
        check_size(int(declared), service.limits)  # refused before the body is read
    attachment = await service.upload(user.id, name, request.stream())
    try:
        await service.db.commit()
    except BaseException:
        await service.discard([attachment])
        raise
    return AttachmentOut.model_validate(attachment)


@router.get(
    "/attachments/{attachment_id}/content",
    operation_id="getAttachmentContent",
    response_class=FileResponse,
    responses={
        200: {"description": "The image", "content": {mime: BINARY for mime in EXTENSIONS}},
        **error_responses(401, 404, 422),
    },
)
async def get_attachment_content(
    attachment_id: uuid.UUID, user: CurrentUser, service: ServiceDep
) -> FileResponse:
    """The image itself, for its owner only (anyone else gets the same 404 as for none)."""
    attachment, path, stat = await service.file(attachment_id, user.id)
    return FileResponse(
        path,
        media_type=attachment.mime_type,
        stat_result=stat,
        headers={
            "Cache-Control": CACHE_CONTROL,
            "X-Content-Type-Options": "nosniff",
            "Content-Disposition": f'inline; filename="{attachment.file_name}"',
        },
    )


@router.delete(
    "/attachments/{attachment_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    operation_id="deleteAttachment",
    responses=error_responses(401, 403, 404, 409, 422),
)
async def delete_attachment(
    attachment_id: uuid.UUID, user: CurrentUser, service: ServiceDep
) -> None:
    """Delete an image not yet sent (409 ``attachment_in_use`` once it was: it goes with its
    conversation). The row first, then, once that is committed, the file."""
    attachment = await service.delete(attachment_id, user.id)
    await service.db.commit()
    await service.discard([attachment])


@router.get(
    "/conversations/{conversation_id}/attachments",
    operation_id="listConversationAttachments",
    responses=error_responses(401, 404, 422),
)
async def list_conversation_attachments(
    conversation_id: uuid.UUID, user: CurrentUser, db: SessionDep
) -> ConversationAttachments:
    """The images of every message of the conversation (every branch), by message."""
    repo = AttachmentRepository(db)
    if not await repo.owns_conversation(conversation_id, user.id):
        raise NotFound("Conversation not found.")  # another user's: the same 404 as none
    grouped: dict[uuid.UUID, list[AttachmentOut]] = {}
    for message_id, attachment in await repo.of_conversation(conversation_id):
        grouped.setdefault(message_id, []).append(AttachmentOut.model_validate(attachment))
    return ConversationAttachments(
        items=[MessageAttachmentsOut(message_id=k, attachments=v) for k, v in grouped.items()]
    )


def upload_body_limit(max_image_bytes: int) -> dict[str, int]:
    """The body limit of the upload path (``BodyLimitMiddleware``'s ``larger``)."""
    return {UPLOAD_PATH: max_image_bytes + UPLOAD_SLACK}
