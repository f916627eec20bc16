"""Who a verified OpenID Connect identity is in Lockgate (no FastAPI here; the endpoint commits).

Rules, in order, at every sign-in:

1. The provider must assert an ``email`` with ``email_verified: true``; its domain must be in
   ``allowed_domains`` when that list is set (checked every time, not only the first).
2. The account is the one linked to ``(issuer, sub)``. Without a link: an account with the same
   (canonical) address is linked only with ``link_existing_accounts``, otherwise refused
   (``oidc_account_exists``: its owner signs in with the password); no account at all is created
   just in time with ``create_users`` (``oidc_no_account`` otherwise).
3. A disabled account is refused.
4. With ``role_claim`` the claim decides the role at each sign-in (admin when one of its values
   is in ``admin_values``; an absent claim means not admin). Without it, roles are Lockgate's:
   the very first account of the server is the admin, as with password registration.

A new account is handed to a :class:`NewUserPlacement`: `lockgate.teams.placement` puts it in
``oidc.default_team``; :class:`NoPlacement` when that is not set.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from lockgate.auth.emails import InvalidEmail, normalize_email
from lockgate.auth.oidc.errors import AccountRefused
from lockgate.auth.oidc.repository import IdentityRepository
from lockgate.auth.repository import UserRepository
from lockgate.auth.security import UNUSABLE_PASSWORD
from lockgate.clock import Clock
from lockgate.models import OidcIdentity, User
from lockgate.oidc_settings import OIDCConfig


class NewUserPlacement(Protocol):
    """Where a just-in-time account goes (the teams feature: its default team)."""

    async def place(self, db: AsyncSession, user: User) -> None: ...


class NoPlacement:
    """No ``oidc.default_team``: a new account belongs to no team."""

    async def place(self, db: AsyncSession, user: User) -> None:
        return None


def claim_at(claims: Mapping[str, Any], path: str) -> Any:
    """``claims`` read along a dotted ``path`` (``realm_access.roles``); a literal key wins."""
    if path in claims:
        return claims[path]
    value: Any = claims
    for part in path.split("."):
        if not isinstance(value, Mapping) or part not in value:
            return None
        value = value[part]
    return value


def admin_from_claims(config: OIDCConfig, claims: Mapping[str, Any]) -> bool | None:
    """True/False when ``role_claim`` decides the role, None when Lockgate does."""
    if config.role_claim is None:
        return None
    value = claim_at(claims, config.role_claim)
    values = value if isinstance(value, list) else [value]
    return any(isinstance(v, str) and v in config.admin_values for v in values)


def verified_email(config: OIDCConfig, claims: Mapping[str, Any]) -> str:
    """The asserted address in its canonical form, if verified and of an allowed domain."""
    raw = claims.get("email")
    if not isinstance(raw, str) or "@" not in raw:
        raise AccountRefused(
            "The sign-in provider did not share an email address (is the 'email' scope "
            "allowed for this client?).",
            code="oidc_email_missing",
        )
    verified = claims.get("email_verified")
    if verified is not True and verified != "true":  # some providers send the string
        raise AccountRefused(
            "Your email address is not verified at the sign-in provider. Verify it there, "
            "then sign in again.",
            code="oidc_email_unverified",
        )
    try:
        email = normalize_email(raw)
    except InvalidEmail:
        unusable = "This email address is not usable here."
        raise AccountRefused(unusable, code="oidc_email_missing") from None
    domain = email.rpartition("@")[2]
    if config.allowed_domains and domain not in config.allowed_domains:
        raise AccountRefused(
            f"Accounts of {domain} cannot sign in here. Use your organisation's account.",
            code="oidc_domain_not_allowed",
        )
    return email


class OIDCAccounts:
    def __init__(
        self,
        db: AsyncSession,
        *,
        config: OIDCConfig,
        clock: Clock,
        placement: NewUserPlacement,
    ) -> None:
        self.db = db
        self.config = config
        self.clock = clock
        self.placement = placement
        self.users = UserRepository(db)
        self.identities = IdentityRepository(db)

    async def sign_in(self, claims: Mapping[str, Any]) -> User:
        """The account for these verified claims (see the module's rules), updated."""
        email = verified_email(self.config, claims)
        issuer, subject = str(claims["iss"]), str(claims["sub"])
        found = await self.identities.find(issuer, subject)
        if found is None:
            try:
                async with self.db.begin_nested():
                    identity, user = await self._link_or_create(issuer, subject, email)
            except IntegrityError:  # the same first sign-in, twice at once: the other won
                found = await self.identities.find(issuer, subject)
                if found is None:
                    raise
                identity, user = found
        else:
            identity, user = found
        if not user.is_active:
            raise AccountRefused("This account is disabled.", code="oidc_account_disabled")
        admin = admin_from_claims(self.config, claims)
        if admin is not None:
            user.is_admin = admin
        identity.email = email
        identity.last_login_at = self.clock()
        await self.db.flush()
        return user

    async def _link_or_create(
        self, issuer: str, subject: str, email: str
    ) -> tuple[OidcIdentity, User]:
        user = await self.users.by_email(email)
        if user is not None and not self.config.link_existing_accounts:
            raise AccountRefused(
                "An account with this email address already exists. Sign in with its password.",
                code="oidc_account_exists",
            )
        if user is None:
            if not self.config.create_users:
                raise AccountRefused(
                    "There is no account for this address here. Ask an administrator.",
                    code="oidc_no_account",
                )
            first = await self.users.count() == 0
            user = User(email=email, password_hash=UNUSABLE_PASSWORD, is_admin=first)
            await self.users.add(user)
            await self.placement.place(self.db, user)
        now = self.clock()
        identity = OidcIdentity(
            user_id=user.id,
            issuer=issuer,
            subject=subject,
            email=email,
            created_at=now,
            last_login_at=now,
        )
        await self.identities.add(identity)
        return identity, user
