"""HTTP only: /api/v1/keys — create (secret shown once), list, revoke."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, status

from lockgate.audit.trail import AuditTrail, key_snapshot, key_target, request_id_of
from lockgate.auth.deps import CurrentUser
from lockgate.deps import SessionDep, StateDep
from lockgate.errors import Forbidden
from lockgate.keys.cache import announce_revocation
from lockgate.keys.schemas import KeyCreate, KeyCreated, KeyOut
from lockgate.keys.service import KeyService
from lockgate.models import ApiKey
from lockgate.openapi import error_responses

router = APIRouter(prefix="/api/v1/keys", tags=["keys"])


async def get_service(db: SessionDep, state: StateDep) -> KeyService:
    return KeyService(
        db, state.config.settings.secret_key.get_secret_value(), list(state.config.file.models)
    )


ServiceDep = Annotated[KeyService, Depends(get_service)]


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    operation_id="createKey",
    responses=error_responses(401, 403, 422),
)
async def create_key(
    body: KeyCreate, user: CurrentUser, service: ServiceDep, state: StateDep, request: Request
) -> KeyCreated:
    """A new ``lg-…`` key with optional budgets, rpm/tpm, allowed models and expiry. The secret
    is returned this once."""
    key, secret = await service.create(user, body, state.clock())
    trail = AuditTrail(service.db, actor=user, request_id=request_id_of(request), clock=state.clock)
    trail.record("key.created", key_target(key), after=key_snapshot(key))
    await service.db.commit()
    return KeyCreated(**KeyOut.model_validate(key).model_dump(), key=secret)


@router.get("", operation_id="listKeys", responses=error_responses(401, 403))
async def list_keys(
    user: CurrentUser,
    service: ServiceDep,
    scope: Annotated[str, Query(pattern="^(own|all)$", description="'all' is for admins")] = "own",
) -> list[KeyOut]:
    if scope == "all" and not user.is_admin:
        raise Forbidden("Only administrators can see every key.")
    return [KeyOut.model_validate(k) for k in await service.list(user, everyone=scope == "all")]


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
