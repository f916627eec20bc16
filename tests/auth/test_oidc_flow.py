"""OpenID Connect sign-in end to end, against a real provider (panva's oidc-provider on
loopback): code + PKCE through the provider's own login and consent pages, the account created
just in time, the session cookie, the role from a claim; and every refusal with its code."""

from __future__ import annotations

import base64
import json
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from sqlalchemy import func, select

from lockgate.clock import FakeClock
from lockgate.models import OidcIdentity, User
from lockgate.oidc_settings import OIDCConfig
from lockgate.settings import FileConfig
from lockgate.state import AppState
from tests.fixtures.appkit import (
    PASSWORD,
    ApiClient,
    make_config,
    migrated_sqlite_url,
    running_app,
)
from tests.fixtures.oidc_browser import (
    CALLBACK,
    deny_at_provider,
    oidc_browser,
    open_provider,
    reach_callback,
    submit,
)
from tests.fixtures.oidc_provider import OIDCProviderServer

SECRET = "test-client-secret-0123456789"
ACCOUNTS: dict[str, dict[str, Any]] = {
    "alice": {"email": "Alice@Example.com", "email_verified": True, "groups": ["staff"]},
    "root": {
        "email": "root@example.com",
        "email_verified": True,
        "groups": ["staff", "lockgate-admins"],
    },
    "bob": {"email": "bob@example.com", "email_verified": True, "groups": []},
    "mallory": {"email": "mallory@evil.test", "email_verified": True, "groups": []},
    "eve": {"email": "eve@example.com", "email_verified": False, "groups": []},
}


class TamperingTransport(httpx.AsyncBaseTransport):
    """The app's real connection to the provider, with a switch that alters one byte of the ID
    token's payload in the token endpoint's answer (a forged or corrupted token)."""

    def __init__(self) -> None:
        self.inner = httpx.AsyncHTTPTransport()
        self.tamper = False

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await self.inner.handle_async_request(request)
        if not (self.tamper and request.url.path.endswith("/token")):
            return response
        body = json.loads(await response.aread())
        header, payload, signature = body["id_token"].split(".")
        claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
        claims["email"] = "root@example.com"  # the same signature over other claims
        forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
        body["id_token"] = f"{header}.{forged}.{signature}"
        return httpx.Response(response.status_code, json=body)

    async def aclose(self) -> None:
        await self.inner.aclose()


@pytest.fixture(scope="module")
def idp() -> Iterator[OIDCProviderServer]:
    client = {
        "client_id": "lockgate",
        "client_secret": SECRET,
        "redirect_uris": [CALLBACK],
        "response_types": ["code"],
        "grant_types": ["authorization_code"],
    }
    with OIDCProviderServer(clients=[client], accounts=ACCOUNTS) as server:
        yield server


def oidc_config(idp: OIDCProviderServer, **overrides: Any) -> OIDCConfig:
    values: dict[str, Any] = {
        "issuer": idp.issuer,
        "client_id": "lockgate",
        "display_name": "Example SSO",
        "scopes": ("openid", "email", "profile", "groups"),
        "allowed_domains": ("example.com",),
        "role_claim": "groups",
        "admin_values": ("lockgate-admins",),
        "jwks_min_refresh_seconds": 0,
    }
    values.update(overrides)
    return OIDCConfig(**values)


class World:
    def __init__(self, app: Any, state: AppState, transport: TamperingTransport) -> None:
        self.app = app
        self.state = state
        self.transport = transport

    def browser(self) -> ApiClient:
        return oidc_browser(self.app)

    async def users(self) -> list[User]:
        async with self.state.sessionmaker() as db:
            return list((await db.scalars(select(User).order_by(User.email))).all())


async def world_for(
    idp: OIDCProviderServer, database_url: str, tmp_path: Path, **overrides: Any
) -> AsyncIterator[World]:
    transport = TamperingTransport()
    config = make_config(
        database_url,
        tmp_path,
        FileConfig(oidc=oidc_config(idp, **overrides)),
        oidc_client_secret=SECRET,
    )
    # ID tokens carry the provider's (real) time: the app's clock starts from it.
    clock = FakeClock(datetime.now(UTC))
    async with running_app(config, clock, oidc_transport=transport) as (app, state):
        yield World(app, state, transport)


@pytest.fixture
async def world(idp: OIDCProviderServer, database_url: str, tmp_path: Path) -> AsyncIterator[World]:
    async for w in world_for(idp, database_url, tmp_path):
        yield w


def error_of(response: httpx.Response) -> str:
    assert response.status_code == 303, response.text
    location = urlsplit(response.headers["location"])
    assert location.path == "/login/", response.headers["location"]
    return parse_qs(location.query)["oidc_error"][0]


async def test_code_flow_with_pkce_creates_the_user_and_signs_in(world: World) -> None:
    async with world.browser() as browser:
        callback = await reach_callback(browser, "alice", next_path="/c/42")
        assert "code=" in callback
        assert "state=" in callback
        landed = await browser.get(callback)
        assert landed.status_code == 303
        assert landed.headers["location"] == "/c/42"
        me = await browser.get("/api/v1/auth/me")
        assert me.status_code == 200
        assert me.json()["email"] == "alice@example.com"
        assert me.json()["is_admin"] is False
        # The cookie session is a full one: CSRF-protected writes work like after a password.
        created = await browser.post("/api/v1/conversations", json={"title": "hello"})
        assert created.status_code == 201, created.text
    users = await world.users()
    assert [u.email for u in users] == ["alice@example.com"]


async def test_login_redirect_carries_state_nonce_and_s256_challenge(world: World) -> None:
    async with world.browser() as browser:
        start = await browser.get("/api/v1/auth/oidc/login")
    query = parse_qs(urlsplit(start.headers["location"]).query)
    assert query["code_challenge_method"] == ["S256"]
    assert len(query["code_challenge"][0]) == 43
    assert len(query["state"][0]) >= 43
    assert len(query["nonce"][0]) >= 43
    assert query["redirect_uri"] == [CALLBACK]
    flow_cookie = next(c for c in start.headers.get_list("set-cookie") if "lockgate_oidc=" in c)
    assert "HttpOnly" in flow_cookie
    assert "Path=/api/v1/auth/oidc" in flow_cookie
    assert query["nonce"][0] not in flow_cookie  # encrypted, not merely signed


async def test_session_cookies_are_the_password_sign_in_ones(world: World) -> None:
    async with world.browser() as browser:
        landed = await browser.get(await reach_callback(browser, "alice"))
    cookies = landed.headers.get_list("set-cookie")
    session = next(c for c in cookies if c.startswith("lockgate_session="))
    csrf = next(c for c in cookies if c.startswith("lockgate_csrf="))
    assert "HttpOnly" in session
    assert "samesite=lax" in session.lower()
    assert "HttpOnly" not in csrf
    assert any(c.startswith("lockgate_oidc=") and "Max-Age=0" in c for c in cookies)


async def test_role_comes_from_the_claim_at_every_sign_in(world: World) -> None:
    async with world.browser() as browser:
        await browser.get(await reach_callback(browser, "root"))
        assert (await browser.get("/api/v1/auth/me")).json()["is_admin"] is True
    async with world.state.sessionmaker() as db:  # an admin made by hand in Lockgate …
        alice = User(email="alice@example.com", password_hash="!", is_admin=True)
        db.add(alice)
        await db.commit()
    async with world.browser() as browser:
        landed = await browser.get(await reach_callback(browser, "alice"))
        assert error_of(landed) == "oidc_account_exists"  # … is not linked (linking is off)


async def test_the_claim_demotes_an_admin_whose_group_was_removed(
    idp: OIDCProviderServer, tmp_path: Path
) -> None:
    url = await migrated_sqlite_url(tmp_path)
    async for w in world_for(idp, url, tmp_path, admin_values=("staff",)):
        async with w.browser() as browser:
            await browser.get(await reach_callback(browser, "alice"))
            assert (await browser.get("/api/v1/auth/me")).json()["is_admin"] is True
    async for w in world_for(idp, url, tmp_path, admin_values=("lockgate-admins",)):
        async with w.browser() as browser:
            await browser.get(await reach_callback(browser, "alice"))
            assert (await browser.get("/api/v1/auth/me")).json()["is_admin"] is False
        assert len(await w.users()) == 1  # the same account, found by (issuer, sub)


async def test_wrong_domain_is_refused(world: World) -> None:
    async with world.browser() as browser:
        landed = await browser.get(await reach_callback(browser, "mallory"))
        assert error_of(landed) == "oidc_domain_not_allowed"
        assert (await browser.get("/api/v1/auth/me")).status_code == 401
    assert await world.users() == []


async def test_unverified_email_is_refused(world: World) -> None:
    async with world.browser() as browser:
        landed = await browser.get(await reach_callback(browser, "eve"))
    assert error_of(landed) == "oidc_email_unverified"
    assert await world.users() == []


async def test_bad_state_is_refused(world: World) -> None:
    async with world.browser() as browser:
        callback = await reach_callback(browser, "alice")
        forged = callback.replace("state=", "state=x", 1)
        landed = await browser.get(forged)
        assert error_of(landed) == "oidc_state_mismatch"
        assert (await browser.get("/api/v1/auth/me")).status_code == 401


async def test_callback_from_another_browser_is_refused(world: World) -> None:
    async with world.browser() as victim, world.browser() as attacker:
        callback = await reach_callback(attacker, "mallory")  # login CSRF: the victim lands here
        landed = await victim.get(callback)
    assert error_of(landed) == "oidc_flow_expired"


async def test_replayed_code_is_refused(world: World) -> None:
    async with world.browser() as browser:
        callback = await reach_callback(browser, "alice")
        flow_cookie = browser.cookies.get("lockgate_oidc", path="/api/v1/auth/oidc")
        assert (await browser.get(callback)).status_code == 303
        # Replay: the same callback with the same flow cookie (e.g. a stolen URL and cookie).
        browser.cookies.set("lockgate_oidc", flow_cookie or "", path="/api/v1/auth/oidc")
        replay = await browser.get(callback)
    assert error_of(replay) == "oidc_code_rejected"


async def test_tampered_id_token_is_refused(world: World) -> None:
    world.transport.tamper = True
    async with world.browser() as browser:
        landed = await browser.get(await reach_callback(browser, "alice"))
        assert error_of(landed) == "oidc_invalid_id_token"
        assert (await browser.get("/api/v1/auth/me")).status_code == 401
    assert await world.users() == []


async def test_denied_consent_is_reported(world: World) -> None:
    async with world.browser() as browser:
        landed = await browser.get(await deny_at_provider(browser))
    assert error_of(landed) == "oidc_access_denied"


async def test_provider_down_is_reported_not_a_500(idp: OIDCProviderServer, tmp_path: Path) -> None:
    url = await migrated_sqlite_url(tmp_path)
    async for w in world_for(idp, url, tmp_path):
        idp.pause()
        try:
            async with w.browser() as browser:
                start = await browser.get("/api/v1/auth/oidc/login")
        finally:
            idp.restart()
        assert error_of(start) == "oidc_provider_unavailable"


async def test_existing_password_account_is_linked_only_when_configured(
    idp: OIDCProviderServer, tmp_path: Path
) -> None:
    url = await migrated_sqlite_url(tmp_path)
    async for w in world_for(idp, url, tmp_path, link_existing_accounts=True):
        async with w.browser() as browser:
            await browser.register("bob@example.com")  # first account: admin by password
        async with w.browser() as browser:
            await browser.get(await reach_callback(browser, "bob"))
            me = (await browser.get("/api/v1/auth/me")).json()
        assert me["email"] == "bob@example.com"
        assert me["is_admin"] is False  # the claim decides: bob is not in lockgate-admins
        async with w.state.sessionmaker() as db:
            links = await db.scalar(select(func.count()).select_from(OidcIdentity))
        assert links == 1
        async with w.browser() as browser:  # the password still works beside SSO
            login = await browser.post(
                "/api/v1/auth/login", json={"email": "bob@example.com", "password": PASSWORD}
            )
            assert login.status_code == 200


async def test_sso_account_has_no_usable_password(world: World) -> None:
    async with world.browser() as browser:
        await browser.get(await reach_callback(browser, "alice"))
        for password in ("!", "", PASSWORD):
            login = await browser.post(
                "/api/v1/auth/login", json={"email": "alice@example.com", "password": password}
            )
            assert login.status_code in (401, 422)


async def test_key_rotation_is_followed(idp: OIDCProviderServer, tmp_path: Path) -> None:
    url = await migrated_sqlite_url(tmp_path)
    async for w in world_for(idp, url, tmp_path):
        async with w.browser() as browser:
            await browser.get(await reach_callback(browser, "alice"))  # keys now cached
        idp.restart(rotate_keys=True)
        async with w.browser() as browser:
            landed = await browser.get(await reach_callback(browser, "alice"))
            assert landed.status_code == 303
            assert landed.headers["location"] == "/"
            assert (await browser.get("/api/v1/auth/me")).status_code == 200


async def test_info_endpoint_names_the_provider(world: World) -> None:
    async with world.browser() as browser:
        info = (await browser.get("/api/v1/auth/oidc")).json()
    assert info == {
        "enabled": True,
        "display_name": "Example SSO",
        "login_url": "/api/v1/auth/oidc/login",
    }


async def test_without_oidc_the_endpoints_say_so(client: ApiClient) -> None:
    assert (await client.get("/api/v1/auth/oidc")).json()["enabled"] is False
    login = await client.get("/api/v1/auth/oidc/login")
    assert login.status_code == 404
    assert login.json()["error"]["code"] == "oidc_not_configured"


async def test_next_is_kept_on_this_site(world: World) -> None:
    async with world.browser() as browser:
        page = await open_provider(browser, next_path="//evil.test/x")
        assert page.status_code == 200
        login = {"prompt": "login", "login": "alice", "password": "x"}
        callback = await submit(browser, page, login)
        landed = await browser.get(callback)
    assert landed.headers["location"] == "/"


async def test_without_a_role_claim_the_first_account_is_the_admin(
    idp: OIDCProviderServer, tmp_path: Path
) -> None:
    url = await migrated_sqlite_url(tmp_path)
    async for w in world_for(idp, url, tmp_path, role_claim=None, admin_values=()):
        roles = []
        for account in ("alice", "bob"):
            async with w.browser() as browser:
                await browser.get(await reach_callback(browser, account))
                roles.append((await browser.get("/api/v1/auth/me")).json()["is_admin"])
        assert roles == [True, False]


async def test_without_just_in_time_accounts_a_stranger_is_refused(
    idp: OIDCProviderServer, tmp_path: Path
) -> None:
    url = await migrated_sqlite_url(tmp_path)
    async for w in world_for(idp, url, tmp_path, create_users=False):
        async with w.browser() as browser:
            landed = await browser.get(await reach_callback(browser, "alice"))
        assert error_of(landed) == "oidc_no_account"
        assert await w.users() == []


async def test_a_disabled_account_cannot_sign_in_by_sso(world: World) -> None:
    async with world.browser() as browser:
        await browser.get(await reach_callback(browser, "alice"))
    async with world.state.sessionmaker() as db:
        user = await db.scalar(select(User).where(User.email == "alice@example.com"))
        assert user is not None
        user.is_active = False
        await db.commit()
    async with world.browser() as browser:
        landed = await browser.get(await reach_callback(browser, "alice"))
    assert error_of(landed) == "oidc_account_disabled"


def test_provider_fixture_listens_on_loopback_and_cleans_up() -> None:
    server = OIDCProviderServer(clients=[], accounts={}).start()
    workdir = server.workdir
    try:
        assert server.issuer == f"http://127.0.0.1:{server.port}"
        discovery = httpx.get(f"{server.issuer}/.well-known/openid-configuration", timeout=5)
        assert discovery.json()["issuer"] == server.issuer
    finally:
        server.stop()
    assert not workdir.exists()
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"{server.issuer}/.well-known/openid-configuration", timeout=5)
