"""HTTP only: ``/api/v1/auth/oidc`` (is it on?), ``/login`` (to the provider), ``/callback``.

The browser arrives at both redirects by navigation, so a failure is not JSON: it lands on the
sign-in page as ``/login?oidc_error=<code>`` (codes in ``errors.py``), which says what happened
and offers to try again; the reason is logged. A success ends exactly like a password sign-in:
a new server-side session in the httpOnly cookie, the CSRF cookie beside it.
"""

from __future__ import annotations

import contextlib
import hmac
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Query, Request, status
from fastapi.responses import RedirectResponse
from pydantic import BaseModel

from lockgate.auth.deps import AuthServiceDep, cookie_secure, set_session_cookies
from lockgate.auth.oidc.errors import FlowInvalid, OIDCError, OIDCNotConfigured, ProviderRefused
from lockgate.auth.oidc.flow import (
    FLOW_COOKIE,
    FLOW_COOKIE_PATH,
    FlowSealer,
    PendingSignIn,
    authorize_url,
    new_pending,
    safe_next,
)
from lockgate.auth.oidc.idtoken import verify_id_token
from lockgate.auth.oidc.provider import OIDCProvider
from lockgate.auth.oidc.service import NoPlacement, OIDCAccounts, claim_at
from lockgate.deps import StateDep, client_ip
from lockgate.errors import NotAuthenticated
from lockgate.http.ratelimit import endpoint_limit
from lockgate.observability.logging import get_logger
from lockgate.openapi import error_responses
from lockgate.state import AppState

router = APIRouter(prefix="/api/v1/auth/oidc", tags=["auth"])
AuthLimit = Annotated[None, Depends(endpoint_limit("auth", by="ip"))]
LOGIN_PAGE = "/login/"
log = get_logger("lockgate.auth.oidc")
# Query values are bounded by hand: a bad callback must reach the sign-in page, not a 422.
MAX_PARAM = 4096


class OIDCInfo(BaseModel):
    """For the sign-in page: whether to show "Sign in with <display_name>", and where it goes."""

    enabled: bool
    display_name: str | None = None
    login_url: str | None = None


def _redirect(description: str) -> dict[int | str, dict[str, Any]]:
    return {303: {"description": description}}


def _provider(state: AppState) -> OIDCProvider:
    if state.oidc is None:
        raise OIDCNotConfigured()
    return state.oidc


def _failed(request: Request, state: AppState, error: OIDCError) -> RedirectResponse:
    log.warning(
        "oidc_sign_in_failed",
        code=error.code,
        reason=str(error.__cause__ or error.message),
        ip=client_ip(request),
    )
    response = RedirectResponse(
        f"{LOGIN_PAGE}?{urlencode({'oidc_error': error.code})}",
        status_code=status.HTTP_303_SEE_OTHER,
    )
    _clear_flow(response, request, state)
    return response


def _clear_flow(response: RedirectResponse, request: Request, state: AppState) -> None:
    response.delete_cookie(
        FLOW_COOKIE,
        path=FLOW_COOKIE_PATH,
        secure=cookie_secure(state.config.settings, request),
        httponly=True,
        samesite="lax",
    )


@router.get("", operation_id="oidcInfo")
async def oidc_info(state: StateDep) -> OIDCInfo:
    """Public: is single sign-on configured, under which name (for the sign-in page)?"""
    if state.oidc is None:
        return OIDCInfo(enabled=False)
    return OIDCInfo(
        enabled=True,
        display_name=state.oidc.config.display_name,
        login_url=f"{FLOW_COOKIE_PATH}/login",
    )


@router.get(
    "/login",
    operation_id="oidcLogin",
    status_code=status.HTTP_303_SEE_OTHER,
    response_class=RedirectResponse,
    responses=_redirect("To the provider, or back to the sign-in page with oidc_error")
    | error_responses(404, 429),
)
async def oidc_login(
    request: Request,
    state: StateDep,
    _limit: AuthLimit,
    next: Annotated[str | None, Query(description="A path on this site to land on")] = None,
) -> RedirectResponse:
    """Start a sign-in: a new state, nonce and PKCE verifier, then off to the provider."""
    provider = _provider(state)
    settings = state.config.settings
    redirect_uri = provider.config.redirect_url or str(request.url_for("oidc_callback"))
    pending = new_pending(
        safe_next(next), redirect_uri, now=state.clock(), lifetime=provider.config.flow_seconds
    )
    try:
        target = authorize_url(await provider.metadata(), provider.config, pending)
    except OIDCError as exc:
        return _failed(request, state, exc)
    response = RedirectResponse(target, status_code=status.HTTP_303_SEE_OTHER)
    response.set_cookie(
        FLOW_COOKIE,
        FlowSealer(settings.secret_key.get_secret_value()).seal(pending),
        max_age=provider.config.flow_seconds,
        path=FLOW_COOKIE_PATH,
        httponly=True,
        samesite="lax",
        secure=cookie_secure(settings, request),
    )
    return response


def _check_callback(
    pending: PendingSignIn, state_param: str | None, error: str | None, code: str | None
) -> str:
    """The authorization code, once the callback is known to answer this browser's sign-in."""
    if (
        not state_param
        or len(state_param) > MAX_PARAM
        or not hmac.compare_digest(state_param.encode(), pending.state.encode())
    ):
        raise FlowInvalid(
            "This sign-in answer does not belong to the sign-in started here. Start again.",
            code="oidc_state_mismatch",
        )
    if error:
        if error == "access_denied":
            raise ProviderRefused(
                "Sign-in was cancelled at the provider.", code="oidc_access_denied"
            )
        raise ProviderRefused() from ValueError(f"provider error {error[:100]!r}")
    if not code or len(code) > MAX_PARAM:
        raise FlowInvalid("The provider's answer has no sign-in code.", code="oidc_bad_callback")
    return code


@router.get(
    "/callback",
    operation_id="oidcCallback",
    status_code=status.HTTP_303_SEE_OTHER,
    response_class=RedirectResponse,
    responses=_redirect("Signed in (cookies set), or to the sign-in page with oidc_error")
    | error_responses(404, 429),
)
async def oidc_callback(
    request: Request,
    state: StateDep,
    service: AuthServiceDep,
    _limit: AuthLimit,
    code: str | None = None,
    state_param: Annotated[str | None, Query(alias="state")] = None,
    error: str | None = None,
    iss: str | None = None,
) -> RedirectResponse:
    """The provider's answer: check it, verify the ID token, sign the account in."""
    provider = _provider(state)
    settings = state.config.settings
    try:
        pending = FlowSealer(settings.secret_key.get_secret_value()).open(
            request.cookies.get(FLOW_COOKIE), now=state.clock()
        )
        auth_code = _check_callback(pending, state_param, error, code)
        if iss is not None and iss != provider.config.issuer:  # RFC 9207 mix-up defence
            raise FlowInvalid("The answer came from another provider.", code="oidc_state_mismatch")
        tokens = await provider.exchange_code(
            auth_code, redirect_uri=pending.redirect_uri, verifier=pending.verifier
        )
        claims = await verify_id_token(
            tokens.id_token, provider, nonce=pending.nonce, now=state.clock()
        )
        claims = await _with_userinfo(provider, claims, tokens.access_token)
        accounts = OIDCAccounts(
            service.db,
            config=provider.config,
            clock=state.clock,
            placement=state.oidc_placement or NoPlacement(),
        )
        user = await accounts.sign_in(claims)
    except OIDCError as exc:
        await service.db.rollback()
        return _failed(request, state, exc)
    old = request.cookies.get("lockgate_session")
    if old:
        with contextlib.suppress(NotAuthenticated):  # an expired old cookie is simply replaced
            await service.sign_out((await service.resolve(old)).session)
    issued = await service.issue_session(
        user, user_agent=request.headers.get("user-agent", ""), ip=client_ip(request)
    )
    await service.db.commit()
    log.info("oidc_signed_in", user_id=str(user.id), issuer=provider.config.issuer)
    response = RedirectResponse(pending.next_path, status_code=status.HTTP_303_SEE_OTHER)
    set_session_cookies(response, request, settings, issued.token, issued.csrf_token)
    _clear_flow(response, request, state)
    return response


async def _with_userinfo(
    provider: OIDCProvider, claims: dict[str, object], access_token: str | None
) -> dict[str, object]:
    """The ID token's claims, completed from userinfo when it lacks the address or the role
    (a code-flow ID token may carry only ``sub``: OpenID Connect Core §5.4). Userinfo's ``sub``
    must be the token's (§5.3.2); the verified token's own claims win on any overlap."""
    role_claim = provider.config.role_claim
    no_role = role_claim is not None and claim_at(claims, role_claim) is None
    needs = "email" not in claims or no_role
    if not needs or access_token is None:
        return claims
    info = await provider.userinfo(access_token)
    if info is None:
        return claims
    if info.get("sub") != claims.get("sub"):
        raise ProviderRefused() from ValueError("userinfo is about another subject")
    return {**info, **claims}
