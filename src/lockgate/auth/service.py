"""Accounts and sessions: registration policy, sign-in, session validation, password change.

Services never commit; the endpoint that owns the request does.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from lockgate.auth.emails import normalize_email
from lockgate.auth.repository import InviteRepository, SessionRepository, UserRepository
from lockgate.auth.security import (
    PasswordHashing,
    hashes_equal,
    new_token,
    password_problem,
    token_hash,
)
from lockgate.clock import Clock
from lockgate.errors import (
    AccountDisabled,
    EmailTaken,
    InvalidCredentials,
    InvalidInvite,
    NotAuthenticated,
    NotFound,
    RegistrationClosed,
    WeakPassword,
)
from lockgate.models import User, UserSession
from lockgate.settings import Settings

TOUCH_INTERVAL = timedelta(seconds=60)


@dataclass(frozen=True, slots=True)
class IssuedSession:
    """A new session: the raw tokens go to the client once and are never stored."""

    row: UserSession
    token: str
    csrf_token: str


@dataclass(frozen=True, slots=True)
class Authenticated:
    user: User
    session: UserSession


class AuthService:
    def __init__(
        self, db: AsyncSession, *, settings: Settings, passwords: PasswordHashing, clock: Clock
    ) -> None:
        self.settings = settings
        self.passwords = passwords
        self.clock = clock
        self.users = UserRepository(db)
        self.sessions = SessionRepository(db)
        self.invites = InviteRepository(db)
        self.db = db

    def _hash(self, token: str) -> str:
        return token_hash(self.settings.secret_key.get_secret_value(), token)

    async def register(
        self, email: str, password: str, invite_code: str | None, *, admin: bool = False
    ) -> User:
        email = normalize_email(email)
        problem = password_problem(password, email, self.settings.min_password_length)
        if problem:
            raise WeakPassword(problem)
        first = await self.users.count() == 0
        policy = self.settings.registration
        if not first and not admin:
            if policy == "first-user-only":
                raise RegistrationClosed()
            if policy == "invite" and not invite_code:
                raise InvalidInvite("An invite code is required to register on this server.")
        if await self.users.by_email(email) is not None:
            raise EmailTaken()
        user = User(
            email=email,
            password_hash=await self.passwords.hash(password),
            is_admin=first or admin,
        )
        try:
            async with self.db.begin_nested():
                await self.users.add(user)
        except IntegrityError:
            raise EmailTaken() from None
        if not first and not admin and invite_code:
            claimed = await self.invites.claim(
                self._hash(invite_code), user.id, email, self.clock()
            )
            # Under "open" an invite is a courtesy (used up if valid); under "invite" it is
            # the permission to register.
            if not claimed and policy == "invite":
                raise InvalidInvite()
        return user

    async def authenticate(self, email: str, password: str) -> User:
        user = await self.users.by_email(email)
        valid = await self.passwords.verify(user.password_hash if user else None, password)
        if user is None or not valid:
            raise InvalidCredentials()
        if not user.is_active:  # said only to whoever knows the password
            raise AccountDisabled()
        return user

    async def issue_session(self, user: User, *, user_agent: str, ip: str) -> IssuedSession:
        now = self.clock()
        token, csrf = new_token(), new_token()
        row = UserSession(
            user_id=user.id,
            token_hash=self._hash(token),
            csrf_hash=self._hash(csrf),
            created_at=now,
            last_seen_at=now,
            expires_at=now + timedelta(seconds=self.settings.session_absolute_seconds),
            user_agent=user_agent[:512],
            ip=ip[:64],
        )
        await self.sessions.add(row)
        return IssuedSession(row=row, token=token, csrf_token=csrf)

    async def resolve(self, token: str) -> Authenticated:
        """The user behind a session cookie, or :class:`NotAuthenticated` (expired, revoked)."""
        found = await self.sessions.by_token_hash(self._hash(token))
        if found is None:
            raise NotAuthenticated(
                "Your session is not valid. Sign in again.", code="session_invalid"
            )
        session, user = found
        now = self.clock()
        idle_deadline = session.last_seen_at + timedelta(seconds=self.settings.session_idle_seconds)
        if not user.is_active:  # before "signed out": disabling an account revokes its sessions
            raise NotAuthenticated("This account is disabled.", code="account_disabled")
        if session.revoked_at is not None:
            raise NotAuthenticated("You were signed out. Sign in again.", code="session_revoked")
        if now >= session.expires_at or now >= idle_deadline:
            raise NotAuthenticated("Your session expired. Sign in again.", code="session_expired")
        return Authenticated(user=user, session=session)

    def touch_due(self, session: UserSession) -> bool:
        """True at most once a `TOUCH_INTERVAL` per session: the idle timeout needs no more."""
        return self.clock() - session.last_seen_at >= TOUCH_INTERVAL

    async def touch(self, session: UserSession) -> None:
        """Record activity (the caller commits, in a transaction that may write)."""
        now = self.clock()
        await self.sessions.touch(session.id, now)
        session.last_seen_at = now

    def csrf_valid(self, session: UserSession, header: str | None) -> bool:
        return bool(header) and hashes_equal(self._hash(header or ""), session.csrf_hash)

    async def sign_out(self, session: UserSession) -> None:
        await self.sessions.revoke(session.id, self.clock())

    async def change_password(self, auth: Authenticated, current: str, new: str) -> None:
        if not await self.passwords.verify(auth.user.password_hash, current):
            raise InvalidCredentials("The current password is incorrect.")
        problem = password_problem(new, auth.user.email, self.settings.min_password_length)
        if problem:
            raise WeakPassword(problem)
        auth.user.password_hash = await self.passwords.hash(new)
        await self.sessions.revoke_all_except(auth.user.id, auth.session.id, self.clock())

    async def list_sessions(self, user_id: uuid.UUID) -> list[UserSession]:
        now = self.clock()
        idle = timedelta(seconds=self.settings.session_idle_seconds)
        rows = await self.sessions.active_for_user(user_id, now)
        return [r for r in rows if r.last_seen_at + idle > now]

    async def revoke_session(self, user_id: uuid.UUID, session_id: uuid.UUID) -> None:
        if not await self.sessions.revoke_own(user_id, session_id, self.clock()):
            raise NotFound("No such active session.")
