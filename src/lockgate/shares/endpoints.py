"""HTTP only: the owner's share links (/api/v1/shares, /api/v1/conversations/{id}/shares) and
the public snapshot (/api/v1/shared/{token}: no sign-in, limited per IP like sign-in)."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response, status

from lockgate.auth.deps import CurrentUser
from lockgate.db.engine import reading
from lockgate.deps import SessionDep, StateDep
from lockgate.http.ratelimit import endpoint_limit
from lockgate.openapi import error_responses
from lockgate.shares.schemas import PublicShare, ShareCreated, ShareOut, SharePage
from lockgate.shares.service import PUBLIC_HEADERS, ShareService

router = APIRouter(prefix="/api/v1", tags=["shares"])
OwnerLimit = Annotated[None, Depends(endpoint_limit("conversations"))]
PublicLimit = Annotated[None, Depends(endpoint_limit("shares", by="ip"))]


async def get_service(db: SessionDep, state: StateDep) -> ShareService:
    return ShareService(db, state.clock)


ServiceDep = Annotated[ShareService, Depends(get_service)]


@router.post(
    "/conversations/{conversation_id}/shares",
    status_code=status.HTTP_201_CREATED,
    operation_id="createShare",
    responses=error_responses(401, 403, 404),
)
async def create_share(
    conversation_id: uuid.UUID, user: CurrentUser, service: ServiceDep, _limit: OwnerLimit
) -> ShareCreated:
    """A read-only snapshot of the conversation as it is now, at a secret link. Messages added
    later are not in it; create a new link to share them."""
    share, token = await service.create(user.id, conversation_id)
    await service.db.commit()
    return ShareCreated(**ShareOut.model_validate(share).model_dump(), token=token)


@router.get("/shares", operation_id="listShares", responses=error_responses(400, 401, 422))
async def list_shares(
    user: CurrentUser,
    service: ServiceDep,
    _limit: OwnerLimit,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: str | None = None,
) -> SharePage:
    """Your share links, newest first."""
    return await service.list(user.id, limit=limit, cursor=cursor)


@router.delete(
    "/shares/{share_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    operation_id="revokeShare",
    responses=error_responses(401, 403, 404),
)
async def revoke_share(
    share_id: uuid.UUID, user: CurrentUser, service: ServiceDep, _limit: OwnerLimit
) -> None:
    """Revoke a link: it answers 404 from now on, like one that never existed."""
    await service.revoke(user.id, share_id)
    await service.db.commit()


@router.get(
    "/shared/{token}",
    operation_id="getSharedConversation",
    responses=error_responses(404),
)
async def get_shared(
    token: str, response: Response, service: ServiceDep, _limit: PublicLimit
) -> PublicShare:
    """The snapshot behind a link, signed out. Unknown and revoked tokens are the same 404;
    every answer is ``noindex`` and ``no-store``."""
    await reading(service.db)
    shared = await service.public(token)
    response.headers.update(PUBLIC_HEADERS)
    return shared
