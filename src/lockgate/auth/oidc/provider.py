"""Every HTTP exchange with the OpenID Connect provider, and the caches in front of them.

The error boundary of the feature: no httpx type escapes; a network failure, a timeout or a 5xx
is :class:`ProviderUnavailable` (``oidc_provider_unavailable``), a provider answering something
unusable is ``oidc_provider_misconfigured``, a refused code ``oidc_code_rejected``.

Discovery (``<issuer>/.well-known/openid-configuration``) and the signing keys (``jwks_uri``) are
cached for ``metadata_cache_seconds``. A token signed with a key id the cache does not know
refreshes the keys at once (the provider rotated them), at most once per
``jwks_min_refresh_seconds``, so a flood of forged key ids cannot hammer the provider.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

import httpx

from lockgate.auth.oidc.errors import ProviderRefused, ProviderUnavailable
from lockgate.clock import Clock
from lockgate.oidc_settings import OIDCConfig
from lockgate.settings import Config, check_oidc_secret

if TYPE_CHECKING:  # joserfc is imported only when OIDC is on (~9 MB with cryptography)
    from joserfc.jwk import Key, KeySet

MAX_DOCUMENT_BYTES = 1024 * 1024
MISCONFIGURED = "oidc_provider_misconfigured"
# Asymmetric algorithms only: never `none`, never an HMAC keyed with the client secret.
SIGNING_ALGORITHMS = frozenset(
    {"RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"}
)


@dataclass(frozen=True, slots=True)
class ProviderMetadata:
    """The parts of the discovery document Lockgate uses."""

    issuer: str
    authorization_endpoint: str
    token_endpoint: str
    jwks_uri: str
    userinfo_endpoint: str | None
    signing_algorithms: frozenset[str]
    token_auth_methods: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Answer:
    """A provider's HTTP answer, read whole (bounded by ``MAX_DOCUMENT_BYTES``)."""

    status: int
    content: bytes


@dataclass(frozen=True, slots=True)
class TokenSet:
    id_token: str
    access_token: str | None


def _misconfigured(detail: str) -> ProviderUnavailable:
    return ProviderUnavailable(
        f"The sign-in provider is not set up correctly for this server ({detail}).",
        code=MISCONFIGURED,
    )


def _parse_metadata(doc: dict[str, Any], issuer: str) -> ProviderMetadata:
    if doc.get("issuer") != issuer:
        raise _misconfigured(f"discovery names issuer {doc.get('issuer')!r}, expected {issuer!r}")
    urls = {}
    for name in ("authorization_endpoint", "token_endpoint", "jwks_uri"):
        value = doc.get(name)
        if not isinstance(value, str) or not value.startswith(("https://", "http://")):
            raise _misconfigured(f"discovery has no {name}")
        urls[name] = value
    challenge_methods = doc.get("code_challenge_methods_supported")
    if isinstance(challenge_methods, list) and "S256" not in challenge_methods:
        raise _misconfigured("the provider does not support PKCE with S256")
    algs = doc.get("id_token_signing_alg_values_supported") or ["RS256"]
    allowed = SIGNING_ALGORITHMS.intersection(a for a in algs if isinstance(a, str))
    if not allowed:
        raise _misconfigured(f"no usable ID token signing algorithm in {algs!r}")
    methods = doc.get("token_endpoint_auth_methods_supported") or ["client_secret_basic"]
    userinfo = doc.get("userinfo_endpoint")
    return ProviderMetadata(
        issuer=issuer,
        authorization_endpoint=urls["authorization_endpoint"],
        token_endpoint=urls["token_endpoint"],
        jwks_uri=urls["jwks_uri"],
        userinfo_endpoint=userinfo if isinstance(userinfo, str) else None,
        signing_algorithms=frozenset(allowed),
        token_auth_methods=tuple(m for m in methods if isinstance(m, str)),
    )


class OIDCProvider:
    """One pooled HTTP client to the provider, its discovery document and its keys.

    Built once in the lifespan (``transport`` is injectable for tests that tamper with answers).
    """

    def __init__(
        self,
        config: OIDCConfig,
        client_secret: str,
        *,
        clock: Clock,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.config = config
        self._secret = client_secret
        self._clock = clock
        self._http = httpx.AsyncClient(
            transport=transport,
            timeout=httpx.Timeout(config.timeout_seconds),
            follow_redirects=False,
            headers={"accept": "application/json", "user-agent": "Lockgate-OIDC"},
        )
        self._ttl = timedelta(seconds=config.metadata_cache_seconds)
        self._min_refresh = timedelta(seconds=config.jwks_min_refresh_seconds)
        self._metadata: tuple[ProviderMetadata, datetime] | None = None
        self._keys: tuple[KeySet, datetime] | None = None
        self._lock = asyncio.Lock()

    async def aclose(self) -> None:
        await self._http.aclose()

    async def _request(self, method: str, url: str, **kwargs: Any) -> Answer:
        try:
            async with self._http.stream(method, url, **kwargs) as response:
                body = bytearray()
                async for chunk in response.aiter_bytes():
                    body += chunk
                    if len(body) > MAX_DOCUMENT_BYTES:
                        raise _misconfigured(f"{url} answered more than 1 MiB")
        except httpx.HTTPError as exc:
            raise ProviderUnavailable() from exc
        if response.status_code >= 500:
            raise ProviderUnavailable()
        return Answer(response.status_code, bytes(body))

    @staticmethod
    def _json(response: Answer, what: str) -> dict[str, Any]:
        try:
            data = json.loads(response.content)
        except ValueError:
            raise _misconfigured(f"{what} is not JSON") from None
        if not isinstance(data, dict):
            raise _misconfigured(f"{what} is not a JSON object")
        return data

    async def metadata(self) -> ProviderMetadata:
        """The discovery document, fetched at most once per ``metadata_cache_seconds``."""
        now = self._clock()
        if self._metadata is not None and now - self._metadata[1] < self._ttl:
            return self._metadata[0]
        async with self._lock:
            if self._metadata is not None and now - self._metadata[1] < self._ttl:
                return self._metadata[0]
            url = self.config.issuer.rstrip("/") + "/.well-known/openid-configuration"
            response = await self._request("GET", url)
            if response.status != 200:
                raise _misconfigured(f"discovery answered HTTP {response.status}")
            parsed = _parse_metadata(self._json(response, "discovery"), self.config.issuer)
            self._metadata = (parsed, self._clock())
            return parsed

    async def _fetch_keys(self, jwks_uri: str) -> KeySet:
        from joserfc.errors import JoseError  # loaded only when OIDC is on
        from joserfc.jwk import KeySet

        response = await self._request("GET", jwks_uri)
        if response.status != 200:
            raise _misconfigured(f"jwks_uri answered HTTP {response.status}")
        doc = self._json(response, "the key set")
        try:
            keys = KeySet.import_key_set({"keys": list(doc.get("keys") or [])})
        except (JoseError, ValueError, TypeError, KeyError):
            raise _misconfigured("the key set holds no usable key") from None
        self._keys = (keys, self._clock())
        return keys

    async def signing_keys(self, kid: str | None) -> list[Key]:
        """The provider's keys that may have signed a token with key id ``kid``.

        Cached; a ``kid`` the cache does not know refreshes it (a key rotation), rate limited.
        """
        meta = await self.metadata()
        async with self._lock:
            now = self._clock()
            if self._keys is None or now - self._keys[1] >= self._ttl:
                await self._fetch_keys(meta.jwks_uri)
            assert self._keys is not None
            found = _matching(self._keys[0], kid)
            if not found and now - self._keys[1] >= self._min_refresh:
                found = _matching(await self._fetch_keys(meta.jwks_uri), kid)
            return found

    def _client_auth(self, meta: ProviderMetadata) -> tuple[dict[str, str], httpx.Auth | None]:
        client_id = self.config.client_id
        if "client_secret_basic" in meta.token_auth_methods:
            # RFC 6749 §2.3.1: both parts form-encoded before the Basic encoding.
            return {}, httpx.BasicAuth(quote(client_id, safe=""), quote(self._secret, safe=""))
        if "client_secret_post" in meta.token_auth_methods:
            return {"client_id": client_id, "client_secret": self._secret}, None
        raise _misconfigured(
            "the token endpoint accepts neither client_secret_basic nor client_secret_post"
        )

    async def exchange_code(self, code: str, *, redirect_uri: str, verifier: str) -> TokenSet:
        """The authorization code (with its PKCE verifier) for the provider's tokens."""
        meta = await self.metadata()
        extra, auth = self._client_auth(meta)
        form = {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": redirect_uri,
            "code_verifier": verifier,
            **extra,
        }
        response = await self._request("POST", meta.token_endpoint, data=form, auth=auth)
        if response.status in (400, 401):
            error = _error_code(response)
            if error in ("invalid_client", "unauthorized_client"):
                raise _misconfigured(f"the provider refused the client ({error})")
            raise ProviderRefused(
                "The sign-in code was refused (already used or expired). Sign in again.",
                code="oidc_code_rejected",
            )
        if response.status != 200:
            raise _misconfigured(f"the token endpoint answered HTTP {response.status}")
        body = self._json(response, "the token response")
        id_token = body.get("id_token")
        if not isinstance(id_token, str) or not id_token:
            raise _misconfigured("the token response has no id_token (is 'openid' a scope?)")
        access = body.get("access_token")
        return TokenSet(id_token=id_token, access_token=access if isinstance(access, str) else None)

    async def userinfo(self, access_token: str) -> dict[str, Any] | None:
        """The userinfo claims, or None when the provider has no userinfo endpoint."""
        meta = await self.metadata()
        if meta.userinfo_endpoint is None:
            return None
        response = await self._request(
            "GET", meta.userinfo_endpoint, headers={"authorization": f"Bearer {access_token}"}
        )
        if response.status != 200:
            raise _misconfigured(f"userinfo answered HTTP {response.status}")
        return self._json(response, "userinfo")


def _matching(keys: KeySet, kid: str | None) -> list[Key]:
    if kid is None:
        return list(keys.keys)
    return [key for key in keys.keys if key.kid == kid]


def _error_code(response: Answer) -> str:
    try:
        data = json.loads(response.content)
    except ValueError:
        return ""
    error = data.get("error") if isinstance(data, dict) else None
    return error if isinstance(error, str) else ""


def build_oidc(
    config: Config, *, clock: Clock, transport: httpx.AsyncBaseTransport | None = None
) -> OIDCProvider | None:
    """The provider client when ``oidc:`` is configured (refusing to start without its secret)."""
    oidc = config.file.oidc
    if oidc is None:
        return None
    check_oidc_secret(config.file, config.settings)
    secret = config.settings.oidc_client_secret
    assert secret is not None
    return OIDCProvider(oidc, secret.get_secret_value(), clock=clock, transport=transport)
