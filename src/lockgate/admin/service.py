"""User administration: every method checks its actor is an admin (`require_admin`), makes the
change and writes its audit row in the caller's transaction. Services never commit.

The rule that keeps a server manageable: it always has at least one active admin. Demoting or
disabling the last one is a 409 ``last_admin``, checked with the admins' rows locked.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession

from lockgate.admin.repository import AdminRepository
from lockgate.admin.schemas import (
    AdminInviteCreated,
    AdminInviteIn,
    AdminInviteOut,
    AdminLimitsIn,
    AdminLimitsOut,
    AdminUserDetail,
    AdminUserOut,
    AdminUserPage,
    UserLimitsOut,
)
from lockgate.audit.trail import AuditTrail, Target, user_target
from lockgate.auth.roles import require_admin
from lockgate.auth.security import new_token, token_hash
from lockgate.clock import Clock
from lockgate.conversations.pagination import decode_cursor, encode_cursor
from lockgate.errors import Conflict, NotFound
from lockgate.gate.runtime import ScopeLimits
from lockgate.models import Invite, User
from lockgate.models import UserLimits as UserLimitsRow
from lockgate.teams.limits import BudgetOrder


class UserNotFound(NotFound):
    message = "No such user."


class InviteNotFound(NotFound):
    message = "No such pending invite."


class LastAdmin(Conflict):
    code = "last_admin"
    message = (
        "This is the last active administrator: make another user an administrator first, "
        "so the server is never left without one."
    )


class InvitesClosed(Conflict):
    code = "registration_closed"
    message = (
        "Registration is 'first-user-only' on this server, so an invite could not be used. "
        "Set LOCKGATE_REGISTRATION=invite (or open) to invite people."
    )


@dataclass(frozen=True, slots=True)
class Disabled:
    user: User
    revoked_keys: list[uuid.UUID]


def _money(value: Decimal | None) -> Decimal | None:
    """As stored (8 decimals), so a default from the YAML reads like an override."""
    return None if value is None else value.quantize(Decimal("0.00000001"))


def limits_out(limits: ScopeLimits) -> AdminLimitsOut:
    return AdminLimitsOut(
        daily_budget_usd=_money(limits.daily_usd),
        monthly_budget_usd=_money(limits.monthly_usd),
        rpm=limits.rpm,
        tpm=limits.tpm,
    )


def override_snapshot(row: UserLimitsRow | None) -> dict[str, object] | None:
    if row is None:
        return None
    return {
        "daily_budget_usd": row.daily_budget_usd,
        "monthly_budget_usd": row.monthly_budget_usd,
        "rpm": row.rpm,
        "tpm": row.tpm,
    }


class UserAdminService:
    def __init__(
        self,
        db: AsyncSession,
        *,
        clock: Clock,
        defaults: ScopeLimits,
        secret_key: str,
        registration: str,
        request_id: str,
    ) -> None:
        self.db = db
        self.clock = clock
        self.defaults = defaults
        self.secret_key = secret_key
        self.registration = registration
        self.request_id = request_id
        self.repo = AdminRepository(db)

    def _trail(self, actor: User) -> AuditTrail:
        return AuditTrail(self.db, actor=actor, request_id=self.request_id, clock=self.clock)

    async def _user(self, user_id: uuid.UUID) -> User:
        user = await self.repo.user(user_id)
        if user is None:
            raise UserNotFound()
        return user

    async def search(
        self, actor: User, *, query: str | None, status: str, limit: int, cursor: str | None
    ) -> AdminUserPage:
        require_admin(actor)
        after = None
        if cursor:
            data = decode_cursor(cursor, e=str, i=uuid.UUID)
            after = (data["e"], data["i"])
        rows = await self.repo.search(query=query, status=status, limit=limit + 1, after=after)
        more = len(rows) > limit
        page = rows[:limit]
        items = [
            AdminUserOut.model_validate(user).model_copy(update={"has_override": has})
            for user, has in page
        ]
        last = page[-1][0] if page else None
        next_cursor = encode_cursor(e=last.email, i=str(last.id)) if more and last else None
        return AdminUserPage(items=items, next_cursor=next_cursor)

    async def detail(self, actor: User, user_id: uuid.UUID) -> AdminUserDetail:
        require_admin(actor)
        user = await self._user(user_id)
        row = await self.db.get(UserLimitsRow, user.id)
        now = self.clock()
        return AdminUserDetail(
            **AdminUserOut.model_validate(user).model_dump(exclude={"has_override"}),
            has_override=row is not None,
            limits=self._limits_out(row),
            active_keys=len(await self.repo.active_keys(user.id, now)),
            active_sessions=await self.repo.count_active_sessions(user.id, now),
        )

    def _limits_out(self, row: UserLimitsRow | None) -> UserLimitsOut:
        override = None
        if row is not None:
            override = AdminLimitsOut(
                daily_budget_usd=row.daily_budget_usd,
                monthly_budget_usd=row.monthly_budget_usd,
                rpm=row.rpm,
                tpm=row.tpm,
            )
        return UserLimitsOut(
            override=override,
            effective=limits_out(ScopeLimits.of_row(row).over(self.defaults)),
            defaults=limits_out(self.defaults),
        )

    async def _keep_an_admin(self, user: User) -> None:
        """Refuse a change that would leave no active admin (``user`` is losing the role)."""
        admins = await self.repo.lock_active_admins()
        if user.id in admins and len(admins) <= 1:
            raise LastAdmin()

    async def set_role(self, actor: User, user_id: uuid.UUID, role: str) -> User:
        require_admin(actor)
        user = await self._user(user_id)
        make_admin = role == "admin"
        if user.is_admin == make_admin:
            return user
        if not make_admin:
            await self._keep_an_admin(user)
        before = {"is_admin": user.is_admin}
        user.is_admin = make_admin
        self._trail(actor).record(
            "user.role_changed", user_target(user), before=before, after={"is_admin": make_admin}
        )
        await self.db.flush()
        return user

    async def disable(self, actor: User, user_id: uuid.UUID) -> Disabled:
        """Disable the account: its sessions and API keys are revoked in the same transaction
        (the caller announces the keys' revocation to every replica after the commit)."""
        require_admin(actor)
        user = await self._user(user_id)
        if not user.is_active:
            return Disabled(user, [])
        if user.is_admin:
            await self._keep_an_admin(user)
        now = self.clock()
        keys = await self.repo.active_keys(user.id, now)
        for key in keys:
            key.revoked_at = now
        sessions = await self.repo.revoke_sessions(user.id, now)
        user.is_active = False
        self._trail(actor).record(
            "user.disabled",
            user_target(user),
            before={"is_active": True},
            after={
                "is_active": False,
                "revoked_sessions": sessions,
                "revoked_keys": [str(k.id) for k in keys],
            },
        )
        await self.db.flush()
        return Disabled(user, [k.id for k in keys])

    async def enable(self, actor: User, user_id: uuid.UUID) -> User:
        """Re-enable the account (it signs in again; its revoked keys stay revoked)."""
        require_admin(actor)
        user = await self._user(user_id)
        if user.is_active:
            return user
        user.is_active = True
        self._trail(actor).record(
            "user.enabled",
            user_target(user),
            before={"is_active": False},
            after={"is_active": True},
        )
        await self.db.flush()
        return user

    async def set_limits(
        self, actor: User, user_id: uuid.UUID, body: AdminLimitsIn
    ) -> UserLimitsOut:
        """Replace the user's overrides (all null: back to the defaults). The caller announces
        the change after the commit (`LimitsSync.changed`: every replica reloads)."""
        require_admin(actor)
        daily, monthly = body.daily_budget_usd, body.monthly_budget_usd
        if daily is not None and monthly is not None and monthly < daily:
            raise BudgetOrder(
                f"The monthly budget ({monthly} USD) cannot be lower than the daily budget "
                f"({daily} USD)."
            )
        user = await self._user(user_id)
        row = await self.db.get(UserLimitsRow, user.id)
        before = override_snapshot(row)
        values = body.model_dump()
        if all(v is None for v in values.values()):
            if row is not None:
                await self.db.delete(row)
                row = None
        else:
            if row is None:
                row = UserLimitsRow(user_id=user.id)
                self.db.add(row)
            for name, value in values.items():
                setattr(row, name, value)
            row.updated_at = self.clock()
        after = override_snapshot(row)
        if before != after:
            self._trail(actor).record(
                "user.limits_changed", user_target(user), before=before, after=after
            )
        await self.db.flush()
        return self._limits_out(row)

    async def create_invite(self, actor: User, body: AdminInviteIn) -> AdminInviteCreated:
        require_admin(actor)
        if self.registration == "first-user-only":
            raise InvitesClosed()
        code = new_token()  # 256 random bits; only its HMAC is stored
        now = self.clock()
        invite = Invite(
            code_hash=token_hash(self.secret_key, code),
            email=str(body.email) if body.email is not None else None,
            created_by=actor.id,
            created_at=now,
            expires_at=now + timedelta(hours=body.expires_in_hours),
        )
        self.db.add(invite)
        await self.db.flush()
        self._trail(actor).record(
            "invite.created",
            Target("invite", str(invite.id), invite.email or "anyone"),
            after={"email": invite.email, "expires_at": invite.expires_at},
        )
        out = AdminInviteOut.model_validate(invite)
        return AdminInviteCreated(**out.model_dump(), code=code, path=f"/register?invite={code}")

    async def pending_invites(self, actor: User) -> list[AdminInviteOut]:
        require_admin(actor)
        rows = await self.repo.pending_invites(self.clock())
        return [AdminInviteOut.model_validate(r) for r in rows]

    async def revoke_invite(self, actor: User, invite_id: uuid.UUID) -> None:
        require_admin(actor)
        invite = await self.repo.invite(invite_id)
        if invite is None or invite.used_at is not None or invite.revoked_at is not None:
            raise InviteNotFound()
        invite.revoked_at = self.clock()
        self._trail(actor).record(
            "invite.revoked",
            Target("invite", str(invite.id), invite.email or "anyone"),
            before={"revoked_at": None},
            after={"revoked_at": invite.revoked_at},
        )
        await self.db.flush()
