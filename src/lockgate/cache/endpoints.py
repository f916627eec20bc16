"""HTTP only: purging the response cache — a user their own entries, an administrator any.

``DELETE /api/v1/cache`` removes the caller's own answers: their web chat's and those of every
API key they own (``key_id`` narrows it to one of their keys; another user's key is a 404, so
keys of others are not even confirmed to exist), optionally only for one ``model``.

``DELETE /api/v1/admin/cache`` (administrators) removes by ``scope`` (``user:<id>``,
``key:<id>`` or ``global``) and/or ``model``; neither removes everything.

Both are unsafe methods, so the session's CSRF token is required like everywhere else. With
``cache.enabled: false`` they answer 409 ``cache_disabled``.
"""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query

from lockgate.auth.deps import AdminUser, CurrentUser
from lockgate.cache.schemas import SCOPE_PATTERN, CachePurged
from lockgate.cache.service import ResponseCache
from lockgate.deps import SessionDep, StateDep
from lockgate.errors import Conflict, NotFound
from lockgate.keys.service import KeyService
from lockgate.openapi import error_responses
from lockgate.state import AppState

router = APIRouter(prefix="/api/v1", tags=["cache"])
ModelFilter = Annotated[
    str | None, Query(max_length=200, description="Only the answers of this model")
]


class CacheDisabled(Conflict):
    code = "cache_disabled"
    message = "The response cache is off on this server (cache.enabled: false)."


class KeyNotFound(NotFound):
    message = "API key not found."


def _cache(state: AppState) -> ResponseCache:
    if state.cache is None:
        raise CacheDisabled()
    return state.cache


@router.delete(
    "/cache", operation_id="purgeMyCache", responses=error_responses(401, 403, 404, 409, 422)
)
async def purge_own(
    user: CurrentUser,
    db: SessionDep,
    state: StateDep,
    model: ModelFilter = None,
    key_id: Annotated[
        uuid.UUID | None, Query(description="Only the answers given to this key of yours")
    ] = None,
) -> CachePurged:
    """Remove your own cached answers (web chat and your API keys)."""
    cache = _cache(state)
    policy = cache.policy
    secret = state.config.settings.secret_key.get_secret_value()
    keys = await KeyService(db, secret, list(state.config.file.models)).list(user, everyone=False)
    if key_id is not None:
        if all(key.id != key_id for key in keys):
            raise KeyNotFound()
        scopes = [policy.scope(user_id=user.id, key_id=key_id)]
    else:
        scopes = [policy.scope(user_id=user.id)]
        scopes += [policy.scope(user_id=user.id, key_id=key.id) for key in keys]
    # A shared cache (everyone's, a team's) is an administrator's to purge.
    scopes = [scope for scope in scopes if scope != "global" and not scope.startswith("team:")]
    if not scopes:
        return CachePurged(removed=0)
    if model is None:
        return CachePurged(removed=await cache.purge_scopes(scopes))
    removed = 0
    for scope in scopes:
        removed += await cache.purge(scope=scope, model=model)
    return CachePurged(removed=removed)


@router.delete(
    "/admin/cache", operation_id="purgeCache", responses=error_responses(401, 403, 409, 422)
)
async def purge_any(
    _admin: AdminUser,
    state: StateDep,
    scope: Annotated[
        str | None,
        Query(pattern=SCOPE_PATTERN, description="user:<id>, key:<id>, team:<id> or global"),
    ] = None,
    model: ModelFilter = None,
) -> CachePurged:
    """Remove cached answers by scope and/or model (administrators); neither: everything."""
    cache = _cache(state)
    if scope is not None and scope != "global":
        kind, _, owner = scope.partition(":")
        scope = f"{kind}:{uuid.UUID(owner)}"  # the canonical form the cache writes
    return CachePurged(removed=await cache.purge(scope=scope, model=model))
