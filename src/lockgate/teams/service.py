"""Teams and their members, with the authorisation rules stated once.

Who may do what:

- a **global admin** (``users.is_admin``) manages every team: creates, renames and deletes
  teams, sets their budgets and limits, and everything a team admin can do;
- a **team admin** manages their own team's members (add, remove, set the role) and the keys
  that pay into it (create, list, revoke, set their limits) — not the team's own budgets;
- anyone else is refused (403). A team admin asking about another team is told it does not
  exist (404): a team's existence is not theirs to learn.

The service never commits; the endpoint commits and then announces the change
(`lockgate.teams.sync`). Every change is recorded (`lockgate.teams.audit.record_change`).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from lockgate.audit.trail import key_snapshot
from lockgate.errors import Conflict, Forbidden, NotFound
from lockgate.keys.schemas import KeyCreate
from lockgate.keys.service import KeyService
from lockgate.models import ApiKey, Team, TeamMember, TeamRole, User
from lockgate.teams.audit import record_change
from lockgate.teams.limits import check_order, limits_dict
from lockgate.teams.repository import TeamRepository
from lockgate.teams.schemas import LimitsIn


class TeamNotFound(NotFound):
    code = "team_not_found"
    message = "Team not found."


class MemberNotFound(NotFound):
    code = "member_not_found"
    message = "This user is not a member of the team."


class UserNotFound(NotFound):
    code = "user_not_found"
    message = "No account has this email address."


class TeamKeyNotFound(NotFound):
    code = "key_not_found"
    message = "API key not found in this team."


class TeamNameTaken(Conflict):
    code = "team_name_taken"
    message = "A team with this name already exists."


class AlreadyInTeam(Conflict):
    code = "already_in_team"
    message = "This user already belongs to a team; remove them from it first."


class DefaultTeamInUse(Conflict):
    code = "default_team"
    message = (
        "This team is where new single sign-on accounts go (oidc.default_team in lockgate.yaml): "
        "change that setting first."
    )


class NotTeamAdmin(Forbidden):
    code = "forbidden"
    message = "Only administrators and this team's admins can do this."


class NotAdmin(Forbidden):
    code = "forbidden"
    message = "Only administrators can do this."


def team_state(team: Team) -> dict[str, Any]:
    """What the audit log keeps of a team."""
    return {"name": team.name, **limits_dict(team)}


class TeamService:
    def __init__(self, db: AsyncSession, actor: User, *, default_team: str | None = None) -> None:
        self.db = db
        self.actor = actor
        self.repo = TeamRepository(db)
        self.default_team = default_team
        """``oidc.default_team``: that team is neither deleted nor renamed (see
        `lockgate.teams.placement`)."""

    # -- authorisation -------------------------------------------------------------------

    def require_admin(self) -> None:
        if not self.actor.is_admin:
            raise NotAdmin()

    async def managed(self, team_id: uuid.UUID) -> Team:
        """The team, if the actor may manage it (see the module docstring), else the refusal."""
        if not self.actor.is_admin:
            mine = await self.repo.membership(self.actor.id)
            if mine is None or mine.role != TeamRole.ADMIN:
                raise NotTeamAdmin() if mine is None or mine.team_id == team_id else TeamNotFound()
            if mine.team_id != team_id:
                raise TeamNotFound()
        team = await self.repo.team(team_id)
        if team is None:
            raise TeamNotFound()
        return team

    # -- teams ---------------------------------------------------------------------------

    async def visible(self) -> Sequence[tuple[Team, int]]:
        """Every team for an admin; a team admin's own team; nothing for anyone else."""
        if self.actor.is_admin:
            return await self.repo.teams()
        mine = await self.repo.membership(self.actor.id)
        if mine is None or mine.role != TeamRole.ADMIN:
            return []
        return await self.repo.teams(only=mine.team_id)

    async def create(self, name: str, limits: LimitsIn) -> Team:
        self.require_admin()
        check_order(limits)
        await self._name_free(name)
        team = Team(
            name=name,
            daily_budget_usd=limits.daily_usd,
            monthly_budget_usd=limits.monthly_usd,
            rpm=limits.rpm,
            tpm=limits.tpm,
        )
        self.db.add(team)
        await self._flush()
        record_change(self.db, self.actor, "team.create", f"team:{team.id}", None, team_state(team))
        return team

    async def rename(self, team_id: uuid.UUID, name: str) -> Team:
        self.require_admin()
        team = await self.managed(team_id)
        if team.name == name:
            return team
        self._not_the_default(team)
        await self._name_free(name, team.id)
        before = team_state(team)
        team.name = name
        await self._flush()
        record_change(
            self.db, self.actor, "team.rename", f"team:{team.id}", before, team_state(team)
        )
        return team

    async def delete(self, team_id: uuid.UUID) -> None:
        self.require_admin()
        team = await self.managed(team_id)
        self._not_the_default(team)
        record_change(self.db, self.actor, "team.delete", f"team:{team.id}", team_state(team), None)
        await self.db.delete(team)
        await self.db.flush()

    async def set_limits(self, team_id: uuid.UUID, limits: LimitsIn) -> Team:
        """A team's budgets and rate limits: only a global admin sets them (a team admin could
        otherwise raise their own team's budget)."""
        self.require_admin()
        team = await self.managed(team_id)
        check_order(limits)
        before = team_state(team)
        team.daily_budget_usd, team.monthly_budget_usd = limits.daily_usd, limits.monthly_usd
        team.rpm, team.tpm = limits.rpm, limits.tpm
        await self.db.flush()
        record_change(
            self.db, self.actor, "team.limits", f"team:{team.id}", before, team_state(team)
        )
        return team

    # -- members -------------------------------------------------------------------------

    async def members(self, team_id: uuid.UUID) -> Sequence[tuple[TeamMember, str]]:
        await self.managed(team_id)
        return await self.repo.members(team_id)

    async def add_member(
        self, team_id: uuid.UUID, email: str, role: TeamRole, now: datetime
    ) -> tuple[TeamMember, str]:
        team = await self.managed(team_id)
        user = await self.repo.user_by_email(email)
        if user is None:
            raise UserNotFound()
        if await self.repo.membership(user.id) is not None:
            raise AlreadyInTeam()
        member = TeamMember(user_id=user.id, team_id=team.id, role=role, created_at=now)
        self.db.add(member)
        await self._flush(AlreadyInTeam)
        record_change(
            self.db,
            self.actor,
            "team.member.add",
            f"team:{team.id}",
            None,
            {"user_id": str(user.id), "role": role.value},
        )
        return member, user.email

    async def set_role(self, team_id: uuid.UUID, user_id: uuid.UUID, role: TeamRole) -> TeamMember:
        await self.managed(team_id)
        member = await self._member(team_id, user_id)
        before = {"user_id": str(user_id), "role": member.role.value}
        member.role = role
        await self.db.flush()
        record_change(
            self.db,
            self.actor,
            "team.member.role",
            f"team:{team_id}",
            before,
            {"user_id": str(user_id), "role": role.value},
        )
        return member

    async def remove_member(self, team_id: uuid.UUID, user_id: uuid.UUID) -> None:
        await self.managed(team_id)
        member = await self._member(team_id, user_id)
        record_change(
            self.db,
            self.actor,
            "team.member.remove",
            f"team:{team_id}",
            {"user_id": str(user_id), "role": member.role.value},
            None,
        )
        await self.db.delete(member)
        await self.db.flush()

    async def _member(self, team_id: uuid.UUID, user_id: uuid.UUID) -> TeamMember:
        member = await self.repo.membership(user_id)
        if member is None or member.team_id != team_id:
            raise MemberNotFound()
        return member

    # -- keys ----------------------------------------------------------------------------

    async def keys(self, team_id: uuid.UUID) -> Sequence[tuple[ApiKey, str]]:
        await self.managed(team_id)
        return await self.repo.keys(team_id)

    async def team_key(self, team_id: uuid.UUID, key_id: uuid.UUID) -> ApiKey:
        """A key that pays into the team (the actor manages the team)."""
        await self.managed(team_id)
        key = await self.repo.key(key_id)
        if key is None or await self.key_team(key) != team_id:
            raise TeamKeyNotFound()
        return key

    async def create_key(
        self, team_id: uuid.UUID, keys: KeyService, body: KeyCreate, now: datetime
    ) -> tuple[ApiKey, str]:
        """A key that pays into the team, owned by the actor (its admin, or a global admin):
        the same rules as any key (`KeyService.create`), and the secret returned this once."""
        team = await self.managed(team_id)
        key, secret = await keys.create(self.actor, body, now)
        key.team_id = team.id
        await self.db.flush()
        record_change(
            self.db,
            self.actor,
            "key.created",
            f"api_key:{key.id}",
            None,
            {**key_snapshot(key), "team_id": str(team.id)},
        )
        return key, secret

    async def key_team(self, key: ApiKey) -> uuid.UUID | None:
        if key.team_id is not None:
            return key.team_id
        owner = await self.repo.membership(key.user_id)
        return owner.team_id if owner is not None else None

    async def revoke_key(self, team_id: uuid.UUID, key_id: uuid.UUID, now: datetime) -> ApiKey:
        key = await self.team_key(team_id, key_id)
        if key.revoked_at is None:
            key.revoked_at = now
            await self.db.flush()
            record_change(
                self.db,
                self.actor,
                "key.revoke",
                f"key:{key.id}",
                {"revoked_at": None},
                {"revoked_at": now.isoformat()},
            )
        return key

    async def set_key_team(self, key_id: uuid.UUID, team_id: uuid.UUID | None) -> ApiKey:
        """Give a key a team of its own (or back its owner's): global admins only."""
        self.require_admin()
        key = await self.repo.key(key_id)
        if key is None:
            raise TeamKeyNotFound("API key not found.")
        if team_id is not None and await self.repo.team(team_id) is None:
            raise TeamNotFound()
        before = {"team_id": str(key.team_id) if key.team_id else None}
        key.team_id = team_id
        await self.db.flush()
        record_change(
            self.db,
            self.actor,
            "key.team",
            f"key:{key.id}",
            before,
            {"team_id": str(team_id) if team_id else None},
        )
        return key

    # -- helpers -------------------------------------------------------------------------

    def _not_the_default(self, team: Team) -> None:
        if self.default_team is not None and team.name.lower() == self.default_team.lower():
            raise DefaultTeamInUse()

    async def _name_free(self, name: str, own: uuid.UUID | None = None) -> None:
        existing = await self.repo.by_name(name)
        if existing is not None and existing.id != own:
            raise TeamNameTaken()

    async def _flush(self, conflict: type[Conflict] = TeamNameTaken) -> None:
        """Flush; a unique index that a concurrent request won is the same conflict."""
        try:
            await self.db.flush()
        except IntegrityError:
            await self.db.rollback()
            raise conflict() from None
