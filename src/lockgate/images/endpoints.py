"""HTTP only: /api/v1/images."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, status
from fastapi.responses import FileResponse

from lockgate.auth.deps import CurrentUser
from lockgate.deps import SessionDep, StateDep
from lockgate.errors import AppError
from lockgate.http.ratelimit import endpoint_limit
from lockgate.images.schemas import ImageBatch, ImageGenerate, ImageOut, ImagePage
from lockgate.images.service import ImageService
from lockgate.images.storage import EXTENSIONS, ImageStorage
from lockgate.openapi import error_responses

router = APIRouter(prefix="/api/v1/images", tags=["images"])

IMAGES_DIR = "images"
CACHE_CONTROL = "private, max-age=31536000, immutable"  # an image id never changes content


async def get_service(db: SessionDep, state: StateDep) -> ImageService:
    return ImageService(
        db,
        clock=state.clock,
        gate=state.gate,
        models=state.config.file.models,
        providers=state.providers,
        storage=ImageStorage(state.config.settings.data_dir / IMAGES_DIR),
    )


ServiceDep = Annotated[ImageService, Depends(get_service)]
Limit = Annotated[int, Query(ge=1, le=200)]

FILE_RESPONSE: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "The image file, with its stored content type",
        "content": {
            mime: {"schema": {"type": "string", "format": "binary"}} for mime in EXTENSIONS
        },
    }
}

ImagesLimit = Annotated[None, Depends(endpoint_limit("images"))]


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    operation_id="generateImages",
    responses=error_responses(401, 403, 422, 429, 502, 503),
)
async def generate_images(
    body: ImageGenerate, user: CurrentUser, service: ServiceDep, _limit: ImagesLimit
) -> ImageBatch:
    """Generate ``n`` images with one provider call; each call is recorded in the usage ledger.

    The call passes the gate like a chat reply: the upper bound (price * n) is reserved against
    the user's and the provider's budgets first.

    422 ``unknown_model`` / ``unsupported_size`` / ``provider_bad_request`` (the provider refused
    the prompt); 429 ``provider_rate_limited``, or ``budget_exceeded`` (nothing was called);
    502 the provider's error code (``provider_unavailable``, ``provider_timeout``,
    ``provider_bad_response``, ...); 503 ``storage_unavailable``, or ``provider_unavailable`` /
    ``overloaded`` from the gate (breaker open, queue full; nothing was called).
    """
    try:
        images = await service.generate(user.id, body)
    except AppError:
        await service.db.commit()  # only the failed call's usage row is pending
        raise
    try:
        await service.db.commit()
    except BaseException:
        await service.discard_files(images)
        raise
    return ImageBatch(items=[ImageOut.model_validate(image) for image in images])


@router.get("", operation_id="listImages", responses=error_responses(400, 401, 422))
async def list_images(
    user: CurrentUser, service: ServiceDep, limit: Limit = 50, cursor: str | None = None
) -> ImagePage:
    """Own images, newest first (cursor pagination)."""
    return await service.list(user.id, limit=limit, cursor=cursor)


@router.get(
    "/{image_id}",
    operation_id="getImage",
    response_class=FileResponse,
    responses={**FILE_RESPONSE, **error_responses(401, 404, 422)},
)
async def get_image(image_id: uuid.UUID, user: CurrentUser, service: ServiceDep) -> FileResponse:
    """The image file itself, for its owner only (anyone else gets the same 404 as for none)."""
    image, path, stat = await service.file(image_id, user.id)
    return FileResponse(
        path,
        media_type=image.mime_type,
        stat_result=stat,
        headers={
            "Cache-Control": CACHE_CONTROL,
            "X-Content-Type-Options": "nosniff",
            "Content-Disposition": f'inline; filename="{image.file_name}"',
        },
    )


@router.delete(
    "/{image_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    operation_id="deleteImage",
    responses=error_responses(401, 403, 404, 422),
)
async def delete_image(image_id: uuid.UUID, user: CurrentUser, service: ServiceDep) -> None:
    """Delete an image: its row, then (once that is committed) its file."""
    image = await service.delete(image_id, user.id)
    await service.db.commit()
    await service.discard_files([image])
