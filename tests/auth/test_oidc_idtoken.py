"""The ID token checks one by one (OpenID Connect Core §3.1.3.7). The provider's side is a
small fake over ``httpx.MockTransport`` (discovery + JWKS) so each claim can be bent on its own;
the whole flow against a real provider is tests/auth/test_oidc_flow.py."""

from __future__ import annotations

import base64
import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from joserfc import jwt
from joserfc.jwk import ECKey, OctKey

from lockgate.auth.oidc.errors import InvalidIdToken, ProviderUnavailable
from lockgate.auth.oidc.idtoken import verify_id_token
from lockgate.auth.oidc.provider import OIDCProvider
from lockgate.clock import FakeClock
from lockgate.oidc_settings import OIDCConfig

ISSUER = "https://idp.test"
NOW = datetime(2030, 1, 1, tzinfo=UTC)
T = int(NOW.timestamp())


class FakeIdP:
    """Discovery and a JWKS with the keys in ``published``; counts JWKS fetches."""

    def __init__(self) -> None:
        self.key = ECKey.generate_key("P-256", parameters={"kid": "k1"})
        self.published = [self.key]
        self.jwks_fetches = 0
        self.down = False

    def handler(self, request: httpx.Request) -> httpx.Response:
        if self.down:
            raise httpx.ConnectError("connection refused", request=request)
        if request.url.path == "/.well-known/openid-configuration":
            return httpx.Response(
                200,
                json={
                    "issuer": ISSUER,
                    "authorization_endpoint": f"{ISSUER}/auth",
                    "token_endpoint": f"{ISSUER}/token",
                    "jwks_uri": f"{ISSUER}/jwks",
                    "id_token_signing_alg_values_supported": ["ES256", "RS256"],
                },
            )
        if request.url.path == "/jwks":
            self.jwks_fetches += 1
            return httpx.Response(200, json={"keys": [k.as_dict() for k in self.published]})
        return httpx.Response(404)

    def token(self, key: Any = None, header: dict[str, Any] | None = None, **claims: Any) -> str:
        body = {
            "iss": ISSUER,
            "aud": "lockgate",
            "sub": "user-1",
            "iat": T,
            "exp": T + 300,
            "nonce": "n-1",
        }
        body.update(claims)
        body = {k: v for k, v in body.items() if v is not None}
        signing = key or self.key
        return jwt.encode(header or {"alg": "ES256", "kid": signing.kid}, body, signing)


@pytest.fixture
def idp() -> FakeIdP:
    return FakeIdP()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(NOW)


@pytest.fixture
async def provider(idp: FakeIdP, clock: FakeClock) -> AsyncIterator[OIDCProvider]:
    config = OIDCConfig(issuer=ISSUER, client_id="lockgate", jwks_min_refresh_seconds=10)
    p = OIDCProvider(config, "secret", clock=clock, transport=httpx.MockTransport(idp.handler))
    yield p
    await p.aclose()


async def verify(provider: OIDCProvider, token: str, clock: FakeClock) -> dict[str, Any]:
    return await verify_id_token(token, provider, nonce="n-1", now=clock())


async def test_a_good_token_verifies(
    idp: FakeIdP, provider: OIDCProvider, clock: FakeClock
) -> None:
    claims = await verify(provider, idp.token(), clock)
    assert claims["sub"] == "user-1"


@pytest.mark.parametrize(
    "claims",
    [
        {"iss": "https://other.test"},
        {"aud": "someone-else"},
        {"aud": ["lockgate", "other"]},  # several audiences and no azp
        {"nonce": "n-2"},
        {"nonce": None},
        {"sub": None},
        {"exp": T - 61},  # expired beyond the 60 s leeway
        {"iat": T + 61},  # issued in the future beyond the leeway
        {"exp": None},
        {"iat": None},
    ],
    ids=lambda c: ",".join(f"{k}={v}" for k, v in c.items()),
)
async def test_a_bad_claim_is_refused(
    idp: FakeIdP, provider: OIDCProvider, clock: FakeClock, claims: dict[str, Any]
) -> None:
    with pytest.raises(InvalidIdToken):
        await verify(provider, idp.token(**claims), clock)


async def test_clock_skew_within_the_leeway_is_accepted(
    idp: FakeIdP, provider: OIDCProvider, clock: FakeClock
) -> None:
    claims = await verify(provider, idp.token(exp=T - 30, iat=T + 30), clock)
    assert claims["exp"] == T - 30


async def test_several_audiences_with_our_azp_are_accepted(
    idp: FakeIdP, provider: OIDCProvider, clock: FakeClock
) -> None:
    claims = await verify(provider, idp.token(aud=["lockgate", "other"], azp="lockgate"), clock)
    assert claims["azp"] == "lockgate"


async def test_a_key_the_provider_does_not_publish_is_refused(
    idp: FakeIdP, provider: OIDCProvider, clock: FakeClock
) -> None:
    stranger = ECKey.generate_key("P-256", parameters={"kid": "k1"})  # same kid, other key
    with pytest.raises(InvalidIdToken):
        await verify(provider, idp.token(key=stranger), clock)


async def test_hmac_and_none_algorithms_are_refused(
    idp: FakeIdP, provider: OIDCProvider, clock: FakeClock
) -> None:
    hmac_key = OctKey.import_key(b"s" * 32)
    forged = idp.token(key=hmac_key, header={"alg": "HS256", "kid": "k1"})
    with pytest.raises(InvalidIdToken):
        await verify(provider, forged, clock)
    _, payload, _ = idp.token().split(".")
    unsigned = base64.urlsafe_b64encode(json.dumps({"alg": "none"}).encode()).rstrip(b"=")
    with pytest.raises(InvalidIdToken):
        await verify(provider, f"{unsigned.decode()}.{payload}.", clock)


async def test_a_rotated_key_is_fetched_once_and_then_cached(
    idp: FakeIdP, provider: OIDCProvider, clock: FakeClock
) -> None:
    await verify(provider, idp.token(), clock)
    assert idp.jwks_fetches == 1
    new = ECKey.generate_key("P-256", parameters={"kid": "k2"})
    idp.published = [idp.key, new]
    clock.advance(seconds=11)
    await verify(provider, idp.token(key=new), clock)
    await verify(provider, idp.token(key=new), clock)
    assert idp.jwks_fetches == 2


async def test_unknown_key_ids_cannot_hammer_the_provider(
    idp: FakeIdP, provider: OIDCProvider, clock: FakeClock
) -> None:
    await verify(provider, idp.token(), clock)
    for n in range(5):
        forged = ECKey.generate_key("P-256", parameters={"kid": f"forged-{n}"})
        with pytest.raises(InvalidIdToken):
            await verify(provider, idp.token(key=forged), clock)
    assert idp.jwks_fetches == 1  # within jwks_min_refresh_seconds: no refetch


async def test_provider_down_is_provider_unavailable(
    idp: FakeIdP, provider: OIDCProvider, clock: FakeClock
) -> None:
    idp.down = True
    with pytest.raises(ProviderUnavailable) as caught:
        await verify(provider, idp.token(), clock)
    assert caught.value.code == "oidc_provider_unavailable"
