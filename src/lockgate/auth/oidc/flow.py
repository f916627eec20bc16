"""One pending sign-in: what the browser carries from "Sign in with …" to the callback.

The ``state`` (binds the callback to this browser: no login CSRF), the ``nonce`` (binds the ID
token to this sign-in: no replayed token) and the PKCE verifier (binds the code to this client:
an intercepted code is useless) live in one cookie, encrypted and authenticated with a key
derived from ``LOCKGATE_SECRET_KEY`` (JWE ``dir`` + A256GCM, joserfc), so nothing is stored
server-side and any replica can finish a sign-in another started. The cookie is httpOnly,
SameSite=Lax (sent on the provider's top-level redirect back), scoped to the OIDC paths, expires
after ``flow_seconds`` and is cleared by the callback, whatever its outcome.

    pending = new_pending("/c/123", redirect_uri, now=clock(), lifetime=600)
    cookie = sealer.seal(pending)              # Set-Cookie: lockgate_oidc=<cookie>
    sealer.open(cookie, now=clock())           # == pending, or FlowInvalid
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

from lockgate.auth.oidc.errors import FlowInvalid
from lockgate.auth.oidc.provider import ProviderMetadata
from lockgate.oidc_settings import OIDCConfig

FLOW_COOKIE = "lockgate_oidc"
FLOW_COOKIE_PATH = "/api/v1/auth/oidc"
_KEY_CONTEXT = b"lockgate/oidc-flow-cookie/v1"
_HEADER = {"alg": "dir", "enc": "A256GCM"}


@dataclass(frozen=True, slots=True)
class PendingSignIn:
    state: str
    nonce: str
    verifier: str
    next_path: str
    redirect_uri: str
    expires_at: int  # epoch seconds


def new_pending(
    next_path: str, redirect_uri: str, *, now: datetime, lifetime: int
) -> PendingSignIn:
    return PendingSignIn(
        state=secrets.token_urlsafe(32),
        nonce=secrets.token_urlsafe(32),
        verifier=secrets.token_urlsafe(64),  # 86 characters of the unreserved set (RFC 7636 §4.1)
        next_path=next_path,
        redirect_uri=redirect_uri,
        expires_at=int(now.timestamp()) + lifetime,
    )


def code_challenge(verifier: str) -> str:
    """RFC 7636 §4.2 S256: BASE64URL(SHA256(ASCII(verifier))), unpadded."""
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def authorize_url(meta: ProviderMetadata, config: OIDCConfig, pending: PendingSignIn) -> str:
    params = {
        "response_type": "code",
        "client_id": config.client_id,
        "redirect_uri": pending.redirect_uri,
        "scope": " ".join(config.scopes),
        "state": pending.state,
        "nonce": pending.nonce,
        "code_challenge": code_challenge(pending.verifier),
        "code_challenge_method": "S256",
    }
    separator = "&" if "?" in meta.authorization_endpoint else "?"
    return f"{meta.authorization_endpoint}{separator}{urlencode(params)}"


def safe_next(value: str | None) -> str:
    """Where to land after sign-in: a path on this site only (no open redirect)."""
    if not value or not value.startswith("/") or value.startswith(("//", "/\\")):
        return "/"
    if any(ord(c) < 0x20 or c == "\\" for c in value) or len(value) > 2048:
        return "/"
    return value


class FlowSealer:
    """Seals a :class:`PendingSignIn` into a cookie value and opens it again."""

    def __init__(self, secret_key: str) -> None:
        # joserfc (with cryptography, ~9 MB) is loaded only by a server that has OIDC on.
        from joserfc.jwe import JWERegistry
        from joserfc.jwk import OctKey

        derived = hmac.new(secret_key.encode(), _KEY_CONTEXT, hashlib.sha256).digest()
        self._key = OctKey.import_key(derived)
        self._registry = JWERegistry(algorithms=["dir", "A256GCM"])

    def seal(self, pending: PendingSignIn) -> str:
        from joserfc import jwt

        return jwt.encode(_HEADER, asdict(pending), self._key, registry=self._registry)

    def open(self, value: str | None, *, now: datetime) -> PendingSignIn:
        from joserfc import jwt
        from joserfc.errors import JoseError

        if not value:
            raise FlowInvalid()
        try:
            claims: dict[str, Any] = jwt.decode(value, self._key, registry=self._registry).claims
            pending = PendingSignIn(**claims)
        except (JoseError, TypeError, ValueError):
            raise FlowInvalid() from None
        if not isinstance(pending.expires_at, int) or pending.expires_at <= now.timestamp():
            raise FlowInvalid()
        return pending
