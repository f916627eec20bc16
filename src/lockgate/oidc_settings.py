"""The ``oidc:`` section of ``lockgate.yaml``: OpenID Connect sign-in for organisations.

A module of its own (not in ``auth/``) because ``settings`` imports it and ``auth`` imports
``settings``: the package graph stays acyclic (``tests/test_layering.py``).

Example::

    oidc:
      issuer: https://login.example.com/realms/staff   # discovery at <issuer>/.well-known/...
      client_id: lockgate
      display_name: Example SSO                        # "Sign in with Example SSO"
      allowed_domains: [example.com]
      role_claim: groups                               # a dotted path: realm_access.roles
      admin_values: [lockgate-admins]
      default_team: Staff                              # just-in-time accounts join this team

The client secret is never in this file: ``LOCKGATE_OIDC_CLIENT_SECRET`` (environment only).
"""

from __future__ import annotations

import ipaddress
from typing import Any
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

SECRET_ENV = "LOCKGATE_OIDC_CLIENT_SECRET"


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _check_url(name: str, value: str) -> str:
    """https, or http to a loopback host only (a provider on the same machine, tests)."""
    parts = urlsplit(value)
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise ValueError(f"{name} must be an absolute https URL, got {value!r}")
    if parts.scheme == "http" and not _loopback(parts.hostname):
        raise ValueError(f"{name} must use https (http is accepted for loopback hosts only)")
    if parts.query or parts.fragment:
        raise ValueError(f"{name} must not have a query or a fragment")
    return value


class OIDCConfig(BaseModel):
    """How Lockgate signs people in with an OpenID Connect provider (authorization code + PKCE)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    issuer: str = Field(min_length=1, max_length=512)
    client_id: str = Field(min_length=1, max_length=255)
    display_name: str = Field(default="SSO", min_length=1, max_length=60)
    scopes: tuple[str, ...] = ("openid", "email", "profile")
    # The public callback URL registered at the provider. Unset: derived from the request
    # (https://<host>/api/v1/auth/oidc/callback); set it behind a proxy that rewrites hosts.
    redirect_url: str | None = Field(default=None, max_length=2048)
    # Empty: any verified address. Otherwise the address's domain must be one of these
    # (exactly: example.com does not admit sub.example.com unless listed).
    allowed_domains: tuple[str, ...] = ()
    # The claim whose value(s) decide the role at every sign-in; a dotted path reads nested
    # objects (Keycloak: realm_access.roles). Unset: roles are managed in Lockgate.
    role_claim: str | None = Field(default=None, min_length=1, max_length=200)
    admin_values: tuple[str, ...] = ()
    # Just-in-time accounts: a first sign-in creates the account. Off: only linked accounts.
    create_users: bool = True
    # The team (by name, any case) a just-in-time account joins, as a member. It must exist:
    # the server refuses to start otherwise (a misspelt name must not invent a team), and it
    # cannot be deleted or renamed while it is named here. Unset: new accounts join no team.
    default_team: str | None = Field(default=None, min_length=1, max_length=100)
    # A first sign-in whose verified address is an existing (password) account's is linked to
    # it. Off by default: only if the provider is trusted to own every address it asserts.
    link_existing_accounts: bool = False
    leeway_seconds: int = Field(default=60, ge=0, le=300)
    timeout_seconds: float = Field(default=10, gt=0, le=60)
    # Discovery document and signing keys are cached this long; an unknown key id refreshes
    # the keys at once (a rotation), at most once per jwks_min_refresh_seconds.
    metadata_cache_seconds: int = Field(default=3600, ge=60, le=86_400)
    jwks_min_refresh_seconds: int = Field(default=10, ge=0, le=3600)
    # The longest a person may take at the provider between "Sign in with" and the callback.
    flow_seconds: int = Field(default=600, ge=60, le=3600)

    @model_validator(mode="before")
    @classmethod
    def _no_secret_in_file(cls, data: Any) -> Any:
        if isinstance(data, dict) and "client_secret" in data:
            raise ValueError(
                f"client_secret does not belong in lockgate.yaml: set {SECRET_ENV} in the "
                "environment"
            )
        return data

    @field_validator("issuer")
    @classmethod
    def _issuer(cls, value: str) -> str:
        return _check_url("issuer", value)  # verbatim: it must equal the ID token's `iss`

    @field_validator("redirect_url")
    @classmethod
    def _redirect(cls, value: str | None) -> str | None:
        return None if value is None else _check_url("redirect_url", value)

    @field_validator("default_team")
    @classmethod
    def _team_name(cls, value: str | None) -> str | None:
        if value is None:
            return None
        name = value.strip()
        if not name:
            raise ValueError("default_team must name a team")
        return name

    @field_validator("allowed_domains")
    @classmethod
    def _domains(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        cleaned = tuple(d.strip().lower().removeprefix("@") for d in value)
        for domain in cleaned:
            if not domain or "@" in domain or " " in domain:
                raise ValueError(f"allowed_domains: {domain!r} is not a domain name")
        return cleaned

    @model_validator(mode="after")
    def _consistent(self) -> OIDCConfig:
        if "openid" not in self.scopes:
            raise ValueError("scopes must include 'openid'")
        if "email" not in self.scopes:
            raise ValueError("scopes must include 'email' (accounts are matched by address)")
        if self.role_claim is not None and not self.admin_values:
            raise ValueError("role_claim is set: list the value(s) that mean admin in admin_values")
        if self.admin_values and self.role_claim is None:
            raise ValueError("admin_values is set: name the claim that carries them in role_claim")
        if self.default_team is not None and not self.create_users:
            raise ValueError(
                "default_team is set but create_users is false: no account is ever created "
                "just in time, so none would join it"
            )
        return self
