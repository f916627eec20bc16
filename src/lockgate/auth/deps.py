"""Auth dependencies: ``CurrentAuth`` (user + session, CSRF checked) and ``AdminUser``."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request, Response

from lockgate.auth.service import Authenticated, AuthService
from lockgate.db.engine import reading
from lockgate.deps import SessionDep, StateDep
from lockgate.errors import CSRFFailed, Forbidden, NotAuthenticated
from lockgate.models import User
from lockgate.settings import Settings

SESSION_COOKIE = "lockgate_session"
CSRF_COOKIE = "lockgate_csrf"
CSRF_HEADER = "X-CSRF-Token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})


async def get_auth_service(state: StateDep, db: SessionDep) -> AuthService:
    return AuthService(
        db, settings=state.config.settings, passwords=state.passwords, clock=state.clock
    )


AuthServiceDep = Annotated[AuthService, Depends(get_auth_service)]


async def get_current_auth(request: Request, service: AuthServiceDep) -> Authenticated:
    """The signed-in user, checked in a read transaction (no write lock on SQLite); the session's
    last-seen time is written in a short transaction of its own at most once a minute. A GET's
    own queries then run as reads too."""
    token = request.cookies.get(SESSION_COOKIE)
    if not token:
        raise NotAuthenticated()
    await reading(service.db)
    auth = await service.resolve(token)
    if request.method not in SAFE_METHODS and not service.csrf_valid(
        auth.session, request.headers.get(CSRF_HEADER)
    ):
        raise CSRFFailed()
    await service.db.commit()  # ends the read
    if service.touch_due(auth.session):
        await service.touch(auth.session)
        await service.db.commit()
    if request.method in SAFE_METHODS:
        await reading(service.db)
    request.state.user_id = str(auth.user.id)
    return auth


CurrentAuth = Annotated[Authenticated, Depends(get_current_auth)]


async def get_current_user(auth: CurrentAuth) -> User:
    return auth.user


CurrentUser = Annotated[User, Depends(get_current_user)]


async def get_admin_user(user: CurrentUser) -> User:
    if not user.is_admin:
        raise Forbidden("Only administrators can do this.")
    return user


AdminUser = Annotated[User, Depends(get_admin_user)]


def cookie_secure(settings: Settings, request: Request) -> bool:
    if settings.cookie_secure == "always":
        return True
    if settings.cookie_secure == "never":
        return False
    return request.url.scheme == "https"


def set_session_cookies(
    response: Response, request: Request, settings: Settings, token: str, csrf: str
) -> None:
    secure = cookie_secure(settings, request)
    max_age = settings.session_absolute_seconds
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=max_age,
        httponly=True,
        samesite="lax",
        secure=secure,
        path="/",
    )
    response.set_cookie(
        CSRF_COOKIE,
        csrf,
        max_age=max_age,
        httponly=False,
        samesite="lax",
        secure=secure,
        path="/",
    )


def clear_session_cookies(response: Response, request: Request, settings: Settings) -> None:
    secure = cookie_secure(settings, request)
    for name, http_only in ((SESSION_COOKIE, True), (CSRF_COOKIE, False)):
        response.delete_cookie(name, path="/", secure=secure, httponly=http_only, samesite="lax")
