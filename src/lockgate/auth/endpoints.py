"""HTTP only: /api/v1/auth/*. (Invites are the admin console's: /api/v1/admin/invites.)"""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response, status

from lockgate.auth.deps import (
    AuthServiceDep,
    CurrentAuth,
    CurrentUser,
    clear_session_cookies,
    set_session_cookies,
)
from lockgate.auth.emails import normalize_email
from lockgate.auth.schemas import (
    AuthOut,
    LoginIn,
    PasswordChangeIn,
    RegisterIn,
    SessionOut,
    UserOut,
)
from lockgate.deps import StateDep, client_ip
from lockgate.errors import NotAuthenticated
from lockgate.http.ratelimit import endpoint_limit
from lockgate.openapi import error_responses

router = APIRouter(prefix="/api/v1", tags=["auth"])
AuthLimit = Annotated[None, Depends(endpoint_limit("auth", by="ip"))]


@router.post(
    "/auth/register",
    status_code=status.HTTP_201_CREATED,
    operation_id="register",
    responses=error_responses(403, 409, 422, 429),
)
async def register(
    body: RegisterIn,
    request: Request,
    response: Response,
    service: AuthServiceDep,
    state: StateDep,
    _limit: AuthLimit,
) -> AuthOut:
    """Create an account (policy: open, invite or first-user-only) and sign it in."""
    await state.login_limiter.check(email=None, ip=client_ip(request))
    user = await service.register(str(body.email), body.password, body.invite_code)
    issued = await service.issue_session(
        user, user_agent=request.headers.get("user-agent", ""), ip=client_ip(request)
    )
    await service.db.commit()
    set_session_cookies(response, request, state.config.settings, issued.token, issued.csrf_token)
    return AuthOut(user=UserOut.model_validate(user), csrf_token=issued.csrf_token)


@router.post("/auth/login", operation_id="login", responses=error_responses(401, 403, 422, 429))
async def login(
    body: LoginIn,
    request: Request,
    response: Response,
    service: AuthServiceDep,
    state: StateDep,
    _limit: AuthLimit,
) -> AuthOut:
    """Sign in: a new session (the token rotates at every sign-in) in an httpOnly cookie."""
    email = normalize_email(body.email)  # one key for the limiter and the lookup
    await state.login_limiter.check(email=email, ip=client_ip(request))
    user = await service.authenticate(email, body.password)
    await state.login_limiter.reset(email=email)
    old = request.cookies.get("lockgate_session")
    if old:
        try:
            previous = await service.resolve(old)
            await service.sign_out(previous.session)
        except NotAuthenticated:
            pass  # an expired or revoked old cookie is simply replaced
    issued = await service.issue_session(
        user, user_agent=request.headers.get("user-agent", ""), ip=client_ip(request)
    )
    await service.db.commit()
    set_session_cookies(response, request, state.config.settings, issued.token, issued.csrf_token)
    return AuthOut(user=UserOut.model_validate(user), csrf_token=issued.csrf_token)


@router.post(
    "/auth/logout",
    status_code=status.HTTP_204_NO_CONTENT,
    operation_id="logout",
    responses=error_responses(401, 403),
)
async def logout(
    request: Request,
    response: Response,
    auth: CurrentAuth,
    service: AuthServiceDep,
    state: StateDep,
) -> None:
    """Sign out: the session is revoked server-side and the cookies cleared."""
    await service.sign_out(auth.session)
    await service.db.commit()
    clear_session_cookies(response, request, state.config.settings)


@router.get("/auth/me", operation_id="me", responses=error_responses(401))
async def me(user: CurrentUser) -> UserOut:
    return UserOut.model_validate(user)


@router.post(
    "/auth/password",
    status_code=status.HTTP_204_NO_CONTENT,
    operation_id="changePassword",
    responses=error_responses(401, 403, 422),
)
async def change_password(
    body: PasswordChangeIn, auth: CurrentAuth, service: AuthServiceDep
) -> None:
    """Change the password; every other session of the account is signed out."""
    await service.change_password(auth, body.current_password, body.new_password)
    await service.db.commit()


@router.get("/auth/sessions", operation_id="listSessions", responses=error_responses(401))
async def list_sessions(auth: CurrentAuth, service: AuthServiceDep) -> list[SessionOut]:
    rows = await service.list_sessions(auth.user.id)
    return [
        SessionOut(
            id=r.id,
            created_at=r.created_at,
            last_seen_at=r.last_seen_at,
            expires_at=r.expires_at,
            user_agent=r.user_agent,
            ip=r.ip,
            current=r.id == auth.session.id,
        )
        for r in rows
    ]


@router.delete(
    "/auth/sessions/{session_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    operation_id="revokeSession",
    responses=error_responses(401, 403, 404),
)
async def revoke_session(session_id: uuid.UUID, auth: CurrentAuth, service: AuthServiceDep) -> None:
    await service.revoke_session(auth.user.id, session_id)
    await service.db.commit()
