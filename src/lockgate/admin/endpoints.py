"""HTTP only: /api/v1/admin/users and /api/v1/admin/invites. Authorisation is the service's
(`require_admin` in every method); CSRF is the session dependency's, as everywhere."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, status

from lockgate.admin.schemas import (
    AdminInviteCreated,
    AdminInviteIn,
    AdminInviteOut,
    AdminLimitsIn,
    AdminUserDetail,
    AdminUserOut,
    AdminUserPage,
    RoleIn,
    UserLimitsOut,
)
from lockgate.admin.service import UserAdminService
from lockgate.audit.trail import request_id_of
from lockgate.auth.deps import CurrentUser
from lockgate.deps import SessionDep, StateDep
from lockgate.gate.overrides import user_default
from lockgate.keys.cache import announce_revocation
from lockgate.openapi import error_responses

router = APIRouter(prefix="/api/v1/admin", tags=["admin"])


async def get_service(request: Request, db: SessionDep, state: StateDep) -> UserAdminService:
    settings = state.config.settings
    return UserAdminService(
        db,
        clock=state.clock,
        defaults=user_default(state.config.file.gate),
        secret_key=settings.secret_key.get_secret_value(),
        registration=settings.registration,
        request_id=request_id_of(request),
    )


ServiceDep = Annotated[UserAdminService, Depends(get_service)]


@router.get("/users", operation_id="adminListUsers", responses=error_responses(400, 401, 403, 422))
async def list_users(
    user: CurrentUser,
    service: ServiceDep,
    q: Annotated[str | None, Query(max_length=320, description="Part of the email")] = None,
    status: Annotated[str, Query(pattern="^(all|active|disabled|admin)$")] = "all",
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: str | None = None,
) -> AdminUserPage:
    """Admins: users by email (cursor pagination), searchable."""
    return await service.search(
        user, query=q.strip().casefold() if q else None, status=status, limit=limit, cursor=cursor
    )


@router.get(
    "/users/{user_id}", operation_id="adminGetUser", responses=error_responses(401, 403, 404, 422)
)
async def get_user(user_id: uuid.UUID, user: CurrentUser, service: ServiceDep) -> AdminUserDetail:
    """Admins: a user with their limits (override, effective, defaults), keys and sessions."""
    return await service.detail(user, user_id)


@router.put(
    "/users/{user_id}/role",
    operation_id="adminSetRole",
    responses=error_responses(401, 403, 404, 409, 422),
)
async def set_role(
    user_id: uuid.UUID, body: RoleIn, user: CurrentUser, service: ServiceDep
) -> AdminUserOut:
    """Admins: make a user an admin or a plain user (never the last admin: 409)."""
    changed = await service.set_role(user, user_id, body.role)
    await service.db.commit()
    return AdminUserOut.model_validate(changed)


@router.post(
    "/users/{user_id}/disable",
    operation_id="adminDisableUser",
    responses=error_responses(401, 403, 404, 409, 422),
)
async def disable_user(
    user_id: uuid.UUID, user: CurrentUser, service: ServiceDep, state: StateDep
) -> AdminUserOut:
    """Admins: disable an account. Its sessions end at once and its API keys are revoked on
    every replica; it can no longer sign in."""
    done = await service.disable(user, user_id)
    await service.db.commit()
    for key_id in done.revoked_keys:
        await announce_revocation(state.key_cache, state.redis, key_id)
    return AdminUserOut.model_validate(done.user)


@router.post(
    "/users/{user_id}/enable",
    operation_id="adminEnableUser",
    responses=error_responses(401, 403, 404, 422),
)
async def enable_user(user_id: uuid.UUID, user: CurrentUser, service: ServiceDep) -> AdminUserOut:
    """Admins: let a disabled account sign in again (its revoked keys stay revoked)."""
    changed = await service.enable(user, user_id)
    await service.db.commit()
    return AdminUserOut.model_validate(changed)


@router.put(
    "/users/{user_id}/limits",
    operation_id="adminSetUserLimits",
    responses=error_responses(401, 403, 404, 422),
)
async def set_limits(
    user_id: uuid.UUID, body: AdminLimitsIn, user: CurrentUser, service: ServiceDep, state: StateDep
) -> UserLimitsOut:
    """Admins: a user's budget and rate-limit overrides (null: the default). Applied to the
    user's next chat and /v1 call on every replica."""
    out = await service.set_limits(user, user_id, body)
    await service.db.commit()
    if state.limits is not None:  # here at once, and on every replica
        await state.limits.changed()
    return out


@router.get("/invites", operation_id="adminListInvites", responses=error_responses(401, 403))
async def list_invites(user: CurrentUser, service: ServiceDep) -> list[AdminInviteOut]:
    """Admins: invites not yet used, revoked or expired."""
    return await service.pending_invites(user)


@router.post(
    "/invites",
    status_code=status.HTTP_201_CREATED,
    operation_id="adminCreateInvite",
    responses=error_responses(401, 403, 409, 422),
)
async def create_invite(
    body: AdminInviteIn, user: CurrentUser, service: ServiceDep
) -> AdminInviteCreated:
    """Admins: a single-use registration link (shown once), optionally for one address."""
    created = await service.create_invite(user, body)
    await service.db.commit()
    return created


@router.delete(
    "/invites/{invite_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    operation_id="adminRevokeInvite",
    responses=error_responses(401, 403, 404, 422),
)
async def revoke_invite(invite_id: uuid.UUID, user: CurrentUser, service: ServiceDep) -> None:
    await service.revoke_invite(user, invite_id)
    await service.db.commit()
