"""HTTP only: /api/v1/limits — provider, user and key budgets and rate limits at run time.

Provider limits are overrides of the YAML (``null`` keeps its default; DELETE brings every
default back) and only admins change them. A user's overrides are the admin console's
(``PUT /api/v1/admin/users/{id}/limits``, `lockgate.admin`), the one way to set them. A key's
limits are its own; admins and the admins of the team the key pays into change them. Every
change is committed, then announced: every replica applies it within a second.
"""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends

from lockgate.auth.deps import AdminUser, CurrentUser
from lockgate.deps import SessionDep, StateDep
from lockgate.keys.cache import announce_revocation
from lockgate.models import ApiKey, TeamRole
from lockgate.openapi import error_responses
from lockgate.state import AppState
from lockgate.teams.endpoints import announce
from lockgate.teams.limits import LimitsKeyNotFound, LimitsService
from lockgate.teams.schemas import KeyTeam, LimitsIn, ScopeLimitsOut
from lockgate.teams.service import NotTeamAdmin, TeamService

router = APIRouter(prefix="/api/v1/limits", tags=["limits"])


def limits_service(db: SessionDep, user: CurrentUser, state: StateDep) -> LimitsService:
    return LimitsService(db, user, state.gate, list(state.config.file.providers))


LimitsDep = Annotated[LimitsService, Depends(limits_service)]


@router.get("/providers", operation_id="listProviderLimits", responses=error_responses(401, 403))
async def list_provider_limits(_: AdminUser, service: LimitsDep) -> list[ScopeLimitsOut]:
    """Every configured provider's budgets and rpm/tpm: default, override, effective, spend."""
    return [await service.provider(name) for name in service.providers]


@router.put(
    "/providers/{provider}",
    operation_id="setProviderLimits",
    responses=error_responses(401, 403, 404, 422),
)
async def set_provider_limits(
    provider: str, body: LimitsIn, _: AdminUser, service: LimitsDep, state: StateDep
) -> ScopeLimitsOut:
    await service.set_provider(provider, body)
    await service.db.commit()
    await announce(state)
    return await service.provider(provider)


@router.delete(
    "/providers/{provider}",
    operation_id="resetProviderLimits",
    responses=error_responses(401, 403, 404),
)
async def reset_provider_limits(
    provider: str, _: AdminUser, service: LimitsDep, state: StateDep
) -> ScopeLimitsOut:
    """Drop the override: the YAML's budgets and limits apply again."""
    await service.set_provider(provider, None)
    await service.db.commit()
    await announce(state)
    return await service.provider(provider)


async def managed_key(service: LimitsService, key_id: uuid.UUID) -> ApiKey:
    """The key, if the actor is an admin or an admin of the team it pays into."""
    key = await service.db.get(ApiKey, key_id)
    if key is None:
        raise LimitsKeyNotFound()
    if service.actor.is_admin:
        return key
    teams = TeamService(service.db, service.actor)
    mine = await teams.repo.membership(service.actor.id)
    if mine is None or mine.role != TeamRole.ADMIN:
        raise NotTeamAdmin()
    if await teams.key_team(key) != mine.team_id:
        raise LimitsKeyNotFound()
    return key


@router.get("/keys/{key_id}", operation_id="getKeyLimits", responses=error_responses(401, 403, 404))
async def get_key_limits(key_id: uuid.UUID, service: LimitsDep) -> ScopeLimitsOut:
    return await service.key(await managed_key(service, key_id))


@router.put(
    "/keys/{key_id}",
    operation_id="setKeyLimits",
    responses=error_responses(401, 403, 404, 422),
)
async def set_key_limits(
    key_id: uuid.UUID, body: LimitsIn, service: LimitsDep, state: StateDep
) -> ScopeLimitsOut:
    """The key's own budgets and rpm/tpm (``null``: no limit of its own)."""
    key = await managed_key(service, key_id)
    await service.set_key(key, body)
    await service.db.commit()
    await key_changed(state, key.id)
    return await service.key(key)


@router.put(
    "/keys/{key_id}/team",
    operation_id="setKeyTeam",
    responses=error_responses(401, 403, 404, 422),
)
async def set_key_team(
    key_id: uuid.UUID, body: KeyTeam, user: CurrentUser, db: SessionDep, state: StateDep
) -> KeyTeam:
    """Which team a key pays into (admins; ``null``: its owner's team)."""
    key = await TeamService(db, user).set_key_team(key_id, body.team_id)
    await db.commit()
    await key_changed(state, key.id)
    return KeyTeam(team_id=key.team_id)


async def key_changed(state: AppState, key_id: uuid.UUID) -> None:
    """Every replica drops the cached key (it reloads the new limits) and the run-time limits."""
    await announce_revocation(state.key_cache, state.redis, key_id)
    await announce(state)
