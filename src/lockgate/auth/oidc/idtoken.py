"""The ID token, verified as OpenID Connect Core §3.1.3.7 asks, with joserfc doing the JOSE work.

Checked, in order: the header names an asymmetric algorithm the provider announced (never
``none``, never an HMAC); the signature against the provider's published key with that key id
(an unknown key id refreshes the key set: rotation); then the claims: ``iss`` is the configured
issuer, ``aud`` contains our client id (and with several audiences ``azp`` is ours), ``exp`` and
``iat`` against the injected clock with ``leeway_seconds`` of skew either way, ``sub`` present,
and ``nonce`` equal to the one this browser's sign-in sent. Any failure is
:class:`InvalidIdToken` (``oidc_invalid_id_token``) with the reason in the log, not the page.
"""

from __future__ import annotations

import base64
import json
from datetime import datetime
from typing import Any

from lockgate.auth.oidc.errors import InvalidIdToken
from lockgate.auth.oidc.provider import OIDCProvider


def _header(token: str) -> dict[str, Any]:
    """The JOSE header, read before any key is chosen (only ``alg`` and ``kid`` are used)."""
    parts = token.split(".")
    if len(parts) != 3:
        raise InvalidIdToken()
    try:
        raw = base64.urlsafe_b64decode(parts[0] + "=" * (-len(parts[0]) % 4))
        header = json.loads(raw)
    except (ValueError, TypeError):
        raise InvalidIdToken() from None
    if not isinstance(header, dict):
        raise InvalidIdToken()
    return header


async def verify_id_token(
    token: str, provider: OIDCProvider, *, nonce: str, now: datetime
) -> dict[str, Any]:
    """The verified claims of ``token``, or :class:`InvalidIdToken` saying why in its cause."""
    from joserfc import jwt  # loaded only when OIDC is on (see flow.FlowSealer)
    from joserfc.errors import JoseError
    from joserfc.jwt import JWTClaimsRegistry

    config = provider.config
    meta = await provider.metadata()
    header = _header(token)
    alg = header.get("alg")
    if not isinstance(alg, str) or alg not in meta.signing_algorithms:
        raise InvalidIdToken() from ValueError(f"algorithm {alg!r} is not accepted")
    kid = header.get("kid")
    keys = await provider.signing_keys(kid if isinstance(kid, str) else None)
    if not keys:
        raise InvalidIdToken() from ValueError(f"no published key has id {kid!r}")
    claims: dict[str, Any] | None = None
    for key in keys:
        try:
            claims = jwt.decode(token, key, algorithms=[alg]).claims
            break
        except JoseError:
            continue
    if claims is None:
        raise InvalidIdToken() from ValueError("the signature does not verify")
    registry = JWTClaimsRegistry(
        now=int(now.timestamp()),
        leeway=config.leeway_seconds,
        iss={"essential": True, "value": config.issuer},
        aud={"essential": True, "value": config.client_id},
        sub={"essential": True},
        exp={"essential": True},
        iat={"essential": True},
        nonce={"essential": True, "value": nonce},
    )
    try:
        registry.validate(claims)
    except JoseError as exc:
        raise InvalidIdToken() from exc
    audience = claims["aud"]
    if isinstance(audience, list) and len(audience) > 1 and claims.get("azp") != config.client_id:
        raise InvalidIdToken() from ValueError("several audiences and azp is not ours")
    return claims
