"""HTTP only: /api/v1/teams — teams, their members, their keys and their budgets/limits.

Every change is committed, then announced (`LimitsSync.changed`): the gate on every replica
uses it within a second. Authorisation lives in `TeamService`.
"""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Response, status

from lockgate.auth.deps import CurrentUser
from lockgate.deps import SessionDep, StateDep
from lockgate.keys.cache import announce_revocation
from lockgate.keys.endpoints import ServiceDep as KeyServiceDep
from lockgate.keys.schemas import KeyCreate, KeyCreated, KeyOut
from lockgate.models import Team, TeamMember
from lockgate.openapi import error_responses
from lockgate.state import AppState
from lockgate.teams.limits import as_limits, money, spend
from lockgate.teams.schemas import (
    Limits,
    LimitsIn,
    MemberAdd,
    MemberOut,
    MemberRole,
    TeamCreate,
    TeamDetail,
    TeamKeyOut,
    TeamOut,
    TeamRename,
)
from lockgate.teams.service import TeamService
from lockgate.teams.snapshot import scope_limits

router = APIRouter(prefix="/api/v1/teams", tags=["teams"])


async def get_service(db: SessionDep, user: CurrentUser, state: StateDep) -> TeamService:
    oidc = state.config.file.oidc
    return TeamService(db, user, default_team=oidc.default_team if oidc is not None else None)


ServiceDep = Annotated[TeamService, Depends(get_service)]


async def announce(state: AppState) -> None:
    """After a commit: apply here and on every replica."""
    if state.limits is not None:
        await state.limits.changed()


def team_out(team: Team, members: int, mine: TeamMember | None) -> TeamOut:
    """``mine``: the caller's membership (their role, if it is in this team)."""
    return TeamOut(
        id=team.id,
        name=team.name,
        limits=as_limits(team) or Limits(),
        member_count=members,
        your_role=mine.role if mine is not None and mine.team_id == team.id else None,
        created_at=team.created_at,
    )


async def detail(service: TeamService, state: AppState, team_id: uuid.UUID) -> TeamDetail:
    team = await service.managed(team_id)
    members = await service.members(team_id)
    limits = scope_limits(team).budget_limits(
        f"team:{team.id}", state.config.file.gate.budgets.timezone
    )
    base = team_out(team, len(members), await service.repo.membership(service.actor.id))
    return TeamDetail(
        **base.model_dump(),
        members=[member_out(member, email) for member, email in members],
        spend=await spend(state.gate, limits),
    )


def member_out(member: TeamMember, email: str) -> MemberOut:
    return MemberOut(
        user_id=member.user_id, email=email, role=member.role, created_at=member.created_at
    )


@router.get("", operation_id="listTeams", responses=error_responses(401))
async def list_teams(service: ServiceDep) -> list[TeamOut]:
    """Every team (admins), your own team (its admins), or none."""
    mine = await service.repo.membership(service.actor.id)
    return [team_out(team, count, mine) for team, count in await service.visible()]


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    operation_id="createTeam",
    responses=error_responses(401, 403, 409, 422),
)
async def create_team(body: TeamCreate, service: ServiceDep, state: StateDep) -> TeamDetail:
    """A new team, with optional budgets and rate limits (admins)."""
    team = await service.create(body.name, body.limits)
    await service.db.commit()
    await announce(state)
    return await detail(service, state, team.id)


@router.get("/{team_id}", operation_id="getTeam", responses=error_responses(401, 403, 404))
async def get_team(team_id: uuid.UUID, service: ServiceDep, state: StateDep) -> TeamDetail:
    """The team, its members, and its spend against its budgets."""
    return await detail(service, state, team_id)


@router.patch(
    "/{team_id}",
    operation_id="renameTeam",
    responses=error_responses(401, 403, 404, 409, 422),
)
async def rename_team(
    team_id: uuid.UUID, body: TeamRename, service: ServiceDep, state: StateDep
) -> TeamDetail:
    await service.rename(team_id, body.name)
    await service.db.commit()
    return await detail(service, state, team_id)


@router.delete(
    "/{team_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    operation_id="deleteTeam",
    responses=error_responses(401, 403, 404, 409),
)
async def delete_team(team_id: uuid.UUID, service: ServiceDep, state: StateDep) -> Response:
    """Delete the team: its members become teamless, its keys pay into their owners' teams."""
    await service.delete(team_id)
    await service.db.commit()
    await announce(state)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.put(
    "/{team_id}/limits",
    operation_id="setTeamLimits",
    responses=error_responses(401, 403, 404, 422),
)
async def set_team_limits(
    team_id: uuid.UUID, body: LimitsIn, service: ServiceDep, state: StateDep
) -> TeamDetail:
    """The team's daily/monthly budget and rpm/tpm (admins; ``null``: no limit)."""
    await service.set_limits(team_id, body)
    await service.db.commit()
    await announce(state)
    return await detail(service, state, team_id)


@router.post(
    "/{team_id}/members",
    status_code=status.HTTP_201_CREATED,
    operation_id="addTeamMember",
    responses=error_responses(401, 403, 404, 409, 422),
)
async def add_member(
    team_id: uuid.UUID, body: MemberAdd, service: ServiceDep, state: StateDep
) -> MemberOut:
    """Add a user (by email) to the team; a user is in at most one team."""
    member, email = await service.add_member(team_id, body.email, body.role, state.clock())
    await service.db.commit()
    await announce(state)
    return member_out(member, email)


@router.patch(
    "/{team_id}/members/{user_id}",
    operation_id="setTeamMemberRole",
    responses=error_responses(401, 403, 404, 422),
)
async def set_member_role(
    team_id: uuid.UUID, user_id: uuid.UUID, body: MemberRole, service: ServiceDep
) -> MemberOut:
    member = await service.set_role(team_id, user_id, body.role)
    members = dict((m.user_id, email) for m, email in await service.repo.members(team_id))
    await service.db.commit()
    return member_out(member, members[user_id])


@router.delete(
    "/{team_id}/members/{user_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    operation_id="removeTeamMember",
    responses=error_responses(401, 403, 404),
)
async def remove_member(
    team_id: uuid.UUID, user_id: uuid.UUID, service: ServiceDep, state: StateDep
) -> Response:
    await service.remove_member(team_id, user_id)
    await service.db.commit()
    await announce(state)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get(
    "/{team_id}/keys", operation_id="listTeamKeys", responses=error_responses(401, 403, 404)
)
async def list_team_keys(team_id: uuid.UUID, service: ServiceDep) -> list[TeamKeyOut]:
    """The API keys that pay into the team."""
    return [
        TeamKeyOut(
            id=key.id,
            user_id=key.user_id,
            owner_email=email,
            name=key.name,
            prefix=key.prefix,
            team_id=key.team_id,
            daily_budget_usd=money(key.daily_budget_usd),
            monthly_budget_usd=money(key.monthly_budget_usd),
            rpm=key.rpm,
            tpm=key.tpm,
            revoked_at=key.revoked_at,
        )
        for key, email in await service.keys(team_id)
    ]


@router.post(
    "/{team_id}/keys",
    status_code=status.HTTP_201_CREATED,
    operation_id="createTeamKey",
    responses=error_responses(401, 403, 404, 409, 422),
)
async def create_team_key(
    team_id: uuid.UUID, body: KeyCreate, service: ServiceDep, keys: KeyServiceDep, state: StateDep
) -> KeyCreated:
    """Team admins (and admins): a new ``lg-…`` key that pays into the team, owned by the
    caller; the secret is returned this once. The rules of ``POST /api/v1/keys`` apply (422
    ``unknown_model``, ``expiry_in_past``…, 409 ``too_many_keys``)."""
    key, secret = await service.create_key(team_id, keys, body, state.clock())
    await service.db.commit()
    await announce(state)
    return KeyCreated(**KeyOut.model_validate(key).model_dump(), key=secret)


@router.delete(
    "/{team_id}/keys/{key_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    operation_id="revokeTeamKey",
    responses=error_responses(401, 403, 404),
)
async def revoke_team_key(
    team_id: uuid.UUID, key_id: uuid.UUID, service: ServiceDep, state: StateDep
) -> Response:
    """Revoke a key of the team; it stops working at once on every replica."""
    key = await service.revoke_key(team_id, key_id, state.clock())
    await service.db.commit()
    await announce_revocation(state.key_cache, state.redis, key.id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
