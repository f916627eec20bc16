"""The database's teams and run-time limits as the gate's `RuntimeLimits` (one read of four
small tables; run when a change is announced and on every reconciliation)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from lockgate.gate import RuntimeLimits, ScopeLimits
from lockgate.models import ApiKey, ProviderLimits, Team, TeamMember, UserLimits


def scope_limits(row: Team | ProviderLimits | UserLimits | ApiKey) -> ScopeLimits:
    return ScopeLimits(
        daily_usd=row.daily_budget_usd,
        monthly_usd=row.monthly_budget_usd,
        rpm=row.rpm,
        tpm=row.tpm,
    )


async def load_runtime_limits(db: AsyncSession) -> RuntimeLimits:
    teams = {team.id: scope_limits(team) for team in await db.scalars(select(Team))}
    members = (await db.execute(select(TeamMember.user_id, TeamMember.team_id))).all()
    keys = (
        await db.execute(select(ApiKey.id, ApiKey.team_id).where(ApiKey.team_id.is_not(None)))
    ).all()
    providers = {
        row.provider: scope_limits(row) for row in await db.scalars(select(ProviderLimits))
    }
    users = {row.user_id: scope_limits(row) for row in await db.scalars(select(UserLimits))}
    return RuntimeLimits(
        providers=providers,
        users=users,
        teams=teams,
        user_teams={user: team for user, team in members},
        key_teams={key: team for key, team in keys if team is not None},
    )
