"""HTTP only: /api/v1/keys — create (secret shown once), list and read (with spend), revoke."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, status

from lockgate.audit.trail import AuditTrail, key_snapshot, key_target, request_id_of
from lockgate.auth.deps import CurrentUser
from lockgate.deps import SessionDep, StateDep
from lockgate.errors import Forbidden
from lockgate.keys.cache import announce_revocation
from lockgate.keys.schemas import KeyCreate, KeyCreated, KeyDetail, KeyOut, KeySpendOut
from lockgate.keys.service import KeyService, key_status
from lockgate.keys.spend import Periods, spend_by_key, spend_for
from lockgate.models import ApiKey
from lockgate.openapi import error_responses
from lockgate.state import AppState

router = APIRouter(prefix="/api/v1/keys", tags=["keys"])


async def get_service(db: SessionDep, state: StateDep) -> KeyService:
    return KeyService(
        db, state.config.settings.secret_key.get_secret_value(), list(state.config.file.models)
    )


ServiceDep = Annotated[KeyService, Depends(get_service)]


async def details(
    service: KeyService, state: AppState, keys: Sequence[ApiKey], *, owner: uuid.UUID | None
) -> list[KeyDetail]:
    """The keys with their status and spend: one aggregate query over the ledger for them all."""
    now: datetime = state.clock()
    periods = Periods.at(now, state.config.file.gate.budgets.timezone)
    spends = spend_for(keys, await spend_by_key(service.db, periods, user_id=owner), periods)
    return [
        KeyDetail(
            **KeyOut.model_validate(key).model_dump(),
            status=key_status(key, now),
            spend=KeySpendOut.model_validate(spends[key.id]),
        )
        for key in keys
    ]


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    operation_id="createKey",
    responses=error_responses(401, 403, 409, 422),
)
async def create_key(
    body: KeyCreate, user: CurrentUser, service: ServiceDep, state: StateDep, request: Request
) -> KeyCreated:
    """A new ``lg-…`` key with optional budgets, rpm/tpm, allowed models and expiry. The secret
    is returned this once. 422: ``unknown_model``, ``no_allowed_models``, ``expiry_in_past``,
    ``daily_budget_above_monthly``; 409 ``too_many_keys``."""
    key, secret = await service.create(user, body, state.clock())
    trail = AuditTrail(service.db, actor=user, request_id=request_id_of(request), clock=state.clock)
    trail.record("key.created", key_target(key), after=key_snapshot(key))
    await service.db.commit()
    return KeyCreated(**KeyOut.model_validate(key).model_dump(), key=secret)


@router.get("", operation_id="listKeys", responses=error_responses(401, 403))
async def list_keys(
    user: CurrentUser,
    service: ServiceDep,
    state: StateDep,
    scope: Annotated[str, Query(pattern="^(own|all)$", description="'all' is for admins")] = "own",
) -> list[KeyDetail]:
    """Your keys (admins, ``scope=all``: everyone's), newest first, with last use and spend
    today and this month (the gate's budget periods) and what their budgets have left."""
    if scope == "all" and not user.is_admin:
        raise Forbidden("Only administrators can see every key.")
    await state.usage_writer.flush()  # read your writes: /v1 rows and stamps come in batches
    everyone = scope == "all"
    keys = await service.list(user, everyone=everyone)
    return await details(service, state, keys, owner=None if everyone else user.id)


@router.get("/{key_id}", operation_id="getKey", responses=error_responses(401, 404))
async def get_key(
    key_id: uuid.UUID, user: CurrentUser, service: ServiceDep, state: StateDep
) -> KeyDetail:
    """One key (yours; admins: anyone's) with its spend; never its secret."""
    await state.usage_writer.flush()  # before the first read: SQLite's snapshot starts there
    key = await service.get(user, key_id)
    return (await details(service, state, [key], owner=key.user_id))[0]


@router.delete(
    "/{key_id}",
    operation_id="revokeKey",
    responses=error_responses(401, 403, 404),
)
async def revoke_key(
    key_id: uuid.UUID, user: CurrentUser, service: ServiceDep, state: StateDep, request: Request
) -> KeyOut:
    """Revoke a key (yours; admins: anyone's). It stops working at once on every replica."""
    found = await service.db.get(ApiKey, key_id)
    was_active = found is not None and found.revoked_at is None
    key = await service.revoke(user, key_id, state.clock())
    if was_active:  # revoking twice changes nothing and logs nothing
        trail = AuditTrail(
            service.db, actor=user, request_id=request_id_of(request), clock=state.clock
        )
        trail.record(
            "key.revoked",
            key_target(key),
            before={"revoked_at": None},
            after={"revoked_at": key.revoked_at},
        )
    await service.db.commit()
    await announce_revocation(state.key_cache, state.redis, key.id)
    return KeyOut.model_validate(key)
