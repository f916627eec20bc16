"""The provider boundary (discovery, code exchange, userinfo): a provider answering something
unusable is a stable error, never an exception of httpx or a 500. The provider's side is an
``httpx.MockTransport`` answering per path."""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import pytest

from lockgate.auth.oidc.errors import OIDCError
from lockgate.auth.oidc.provider import OIDCProvider
from lockgate.clock import FakeClock
from lockgate.oidc_settings import OIDCConfig

ISSUER = "https://idp.test"
Handler = Callable[[httpx.Request], httpx.Response]


def discovery(**overrides: Any) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "issuer": ISSUER,
        "authorization_endpoint": f"{ISSUER}/auth",
        "token_endpoint": f"{ISSUER}/token",
        "jwks_uri": f"{ISSUER}/jwks",
        "userinfo_endpoint": f"{ISSUER}/me",
        "code_challenge_methods_supported": ["S256"],
    }
    doc.update(overrides)
    return {k: v for k, v in doc.items() if v is not None}


class Routes:
    def __init__(self) -> None:
        self.seen: list[httpx.Request] = []
        self.routes: dict[str, Handler] = {
            "/.well-known/openid-configuration": lambda _: httpx.Response(200, json=discovery())
        }

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.seen.append(request)
        handler = self.routes.get(request.url.path)
        return handler(request) if handler else httpx.Response(404)


@pytest.fixture
def routes() -> Routes:
    return Routes()


@pytest.fixture
async def provider(routes: Routes) -> AsyncIterator[OIDCProvider]:
    config = OIDCConfig(issuer=ISSUER, client_id="lockgate")
    p = OIDCProvider(config, "s3cret/+", clock=FakeClock(), transport=httpx.MockTransport(routes))
    yield p
    await p.aclose()


async def code_of(call: Any) -> str:
    with pytest.raises(OIDCError) as caught:
        await call
    return caught.value.code


@pytest.mark.parametrize(
    "doc",
    [
        discovery(issuer="https://evil.test"),
        discovery(token_endpoint=None),
        discovery(code_challenge_methods_supported=["plain"]),
        discovery(id_token_signing_alg_values_supported=["none", "HS256"]),
    ],
    ids=["issuer mismatch", "no token endpoint", "no S256", "no usable algorithm"],
)
async def test_an_unusable_discovery_document_is_misconfigured(
    routes: Routes, provider: OIDCProvider, doc: dict[str, Any]
) -> None:
    routes.routes["/.well-known/openid-configuration"] = lambda _: httpx.Response(200, json=doc)
    assert await code_of(provider.metadata()) == "oidc_provider_misconfigured"


@pytest.mark.parametrize(
    ("answer", "expected"),
    [
        (httpx.Response(503), "oidc_provider_unavailable"),
        (httpx.Response(404), "oidc_provider_misconfigured"),
        (httpx.Response(200, text="<html>"), "oidc_provider_misconfigured"),
        (httpx.Response(200, content=b"x" * (1024 * 1024 + 1)), "oidc_provider_misconfigured"),
    ],
    ids=["5xx", "404", "not JSON", "over 1 MiB"],
)
async def test_discovery_failures_have_stable_codes(
    routes: Routes, provider: OIDCProvider, answer: httpx.Response, expected: str
) -> None:
    routes.routes["/.well-known/openid-configuration"] = lambda _: answer
    assert await code_of(provider.metadata()) == expected


async def test_code_exchange_uses_basic_auth_form_encoded(
    routes: Routes, provider: OIDCProvider
) -> None:
    routes.routes["/token"] = lambda _: httpx.Response(200, json={"id_token": "a.b.c"})
    tokens = await provider.exchange_code("the-code", redirect_uri="https://x/cb", verifier="v")
    assert tokens.id_token == "a.b.c"
    request = routes.seen[-1]
    # RFC 6749 §2.3.1: the secret "s3cret/+" form-encoded before the Basic encoding.
    expected = base64.b64encode(b"lockgate:s3cret%2F%2B").decode()
    assert request.headers["authorization"] == f"Basic {expected}"
    form = dict(httpx.QueryParams(request.content.decode()))
    assert form == {
        "grant_type": "authorization_code",
        "code": "the-code",
        "redirect_uri": "https://x/cb",
        "code_verifier": "v",
    }


async def test_code_exchange_posts_the_secret_when_basic_is_not_offered(
    routes: Routes, provider: OIDCProvider
) -> None:
    doc = discovery(token_endpoint_auth_methods_supported=["client_secret_post"])
    routes.routes["/.well-known/openid-configuration"] = lambda _: httpx.Response(200, json=doc)
    routes.routes["/token"] = lambda _: httpx.Response(200, json={"id_token": "a.b.c"})
    await provider.exchange_code("c", redirect_uri="https://x/cb", verifier="v")
    request = routes.seen[-1]
    assert "authorization" not in request.headers
    form = dict(httpx.QueryParams(request.content.decode()))
    assert form["client_secret"] == "s3cret/+"


@pytest.mark.parametrize(
    ("answer", "expected"),
    [
        (httpx.Response(400, json={"error": "invalid_grant"}), "oidc_code_rejected"),
        (httpx.Response(401, json={"error": "invalid_client"}), "oidc_provider_misconfigured"),
        (httpx.Response(200, json={"access_token": "t"}), "oidc_provider_misconfigured"),
        (httpx.Response(502), "oidc_provider_unavailable"),
    ],
    ids=["code refused", "wrong secret", "no id_token", "5xx"],
)
async def test_code_exchange_failures_have_stable_codes(
    routes: Routes, provider: OIDCProvider, answer: httpx.Response, expected: str
) -> None:
    routes.routes["/token"] = lambda _: answer
    call = provider.exchange_code("c", redirect_uri="https://x/cb", verifier="v")
    assert await code_of(call) == expected


async def test_userinfo_sends_the_access_token(routes: Routes, provider: OIDCProvider) -> None:
    routes.routes["/me"] = lambda _: httpx.Response(200, json={"sub": "1", "email": "a@b.c"})
    assert await provider.userinfo("tok") == {"sub": "1", "email": "a@b.c"}
    assert routes.seen[-1].headers["authorization"] == "Bearer tok"
