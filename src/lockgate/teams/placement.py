"""Just-in-time OpenID Connect accounts join the configured default team (``oidc.default_team``).

The team is named in ``lockgate.yaml`` and must exist: it is looked up (any case) when the
server starts, which refuses to start with the names of the teams that do exist, so a misspelt
name never invents a team nobody manages. While it is named there it cannot be deleted or
renamed (`TeamService` refuses, 409 ``default_team``). A new account joins it as a plain member,
in the sign-in's own transaction, and the audit log records it (actor: the new account, which
signed itself in; ``via: oidc``).

Example::

    placement = DefaultTeamPlacement("Staff")
    await placement.check(sessionmaker)          # at start-up: ConfigError if there is none
    OIDCAccounts(db, config=..., clock=..., placement=placement)
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from lockgate.auth.oidc.errors import AccountRefused
from lockgate.clock import Clock
from lockgate.models import Team, TeamMember, TeamRole, User
from lockgate.observability.logging import get_logger
from lockgate.settings import ConfigError
from lockgate.teams.audit import record_change
from lockgate.teams.repository import TeamRepository

log = get_logger("lockgate.teams")


class DefaultTeamPlacement:
    """`lockgate.auth.oidc.service.NewUserPlacement` for a configured team name."""

    def __init__(self, team_name: str, *, clock: Clock) -> None:
        self.team_name = team_name
        self.clock = clock

    async def check(self, sessionmaker: async_sessionmaker[AsyncSession]) -> None:
        """Refuse to start unless the team exists (the message lists the ones that do)."""
        async with sessionmaker() as db:
            if await TeamRepository(db).by_name(self.team_name) is not None:
                return
            names = list((await db.scalars(select(Team.name).order_by(Team.name))).all())
        existing = ", ".join(repr(n) for n in names) if names else "none yet"
        raise ConfigError(
            f"oidc.default_team: there is no team named {self.team_name!r} (teams: {existing}). "
            "Create it under Teams in the console (or fix the name), then start again; "
            "or remove default_team so new accounts join no team."
        )

    async def place(self, db: AsyncSession, user: User) -> None:
        team = await TeamRepository(db).by_name(self.team_name)
        if team is None:  # removed behind the server's back (the service refuses to)
            log.error("oidc_default_team_missing", team=self.team_name)
            raise AccountRefused(
                "New accounts cannot be created right now: their team is missing. "
                "Ask an administrator.",
                code="oidc_default_team_missing",
            )
        db.add(
            TeamMember(
                user_id=user.id, team_id=team.id, role=TeamRole.MEMBER, created_at=self.clock()
            )
        )
        await db.flush()
        record_change(
            db,
            user,
            "team.member.add",
            f"team:{team.id}",
            None,
            {"user_id": str(user.id), "role": TeamRole.MEMBER.value, "via": "oidc"},
        )
