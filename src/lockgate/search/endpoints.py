"""HTTP only: /api/v1/search."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, status

from lockgate.auth.deps import CurrentUser
from lockgate.deps import SessionDep, StateDep
from lockgate.errors import ServiceUnavailable
from lockgate.http.ratelimit import endpoint_limit
from lockgate.openapi import error_responses
from lockgate.search.repository import SearchRepository
from lockgate.search.schemas import ReindexOut, SearchPage
from lockgate.search.service import SearchService

router = APIRouter(prefix="/api/v1/search", tags=["search"])
Limited = Annotated[None, Depends(endpoint_limit("conversations"))]
MAX_QUERY_CHARS = 200


class SearchByMeaningOff(ServiceUnavailable):
    code = "search_by_meaning_off"
    message = "Search by meaning is not enabled on this server (search.semantic)."


@router.get("/messages", operation_id="searchMessages", responses=error_responses(400, 401, 422))
async def search_messages(
    user: CurrentUser,
    db: SessionDep,
    state: StateDep,
    _limit: Limited,
    q: Annotated[
        str,
        Query(min_length=1, max_length=MAX_QUERY_CHARS, description="Words, or what you mean"),
    ],
    limit: Annotated[int, Query(ge=1, le=50)] = 20,
    cursor: str | None = None,
) -> SearchPage:
    """Your messages (questions and answers) matching ``q`` by words and by meaning, ranked by
    reciprocal rank fusion of both, best first. Archived conversations are included (``archived``
    says so); another user's messages never are."""
    service = SearchService(db, state.clock, state.search)
    return await service.messages(user.id, q, limit=limit, cursor=cursor)


@router.post(
    "/reindex",
    status_code=status.HTTP_202_ACCEPTED,
    operation_id="reindexMessages",
    responses=error_responses(401, 403, 503),
)
async def reindex_messages(
    user: CurrentUser, db: SessionDep, state: StateDep, _limit: Limited
) -> ReindexOut:
    """Embed all of your messages again, in the background (after a store was lost or changed).
    Search by words keeps working meanwhile; by meaning fills in as the indexer goes."""
    search = state.search
    if search is None:
        raise SearchByMeaningOff()
    await search.forget_user(user.id)
    await SearchRepository(db).forget(user.id)
    await db.commit()
    search.indexer.wake_sweep()
    return ReindexOut(queued=True)
