"""``oidc.default_team``: a just-in-time account joins that team, audited, against the real
OpenID Connect provider (panva's oidc-provider on loopback). The team must exist when the server
starts, and it is neither deleted nor renamed while it is configured."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pydantic
import pytest
from sqlalchemy import select

from lockgate.clock import FakeClock
from lockgate.db.engine import create_engine, create_sessionmaker
from lockgate.models import AuditEntry, Team, TeamMember, TeamRole, User
from lockgate.oidc_settings import OIDCConfig
from lockgate.settings import ConfigError, FileConfig
from tests.auth.test_oidc_flow import ACCOUNTS, SECRET, error_of, world_for
from tests.fixtures.appkit import make_config, migrated_sqlite_url, running_app
from tests.fixtures.oidc_browser import CALLBACK, reach_callback
from tests.fixtures.oidc_provider import OIDCProviderServer


@pytest.fixture(scope="module")
def idp() -> Iterator[OIDCProviderServer]:
    client = {
        "client_id": "lockgate",
        "client_secret": SECRET,
        "redirect_uris": [CALLBACK],
        "response_types": ["code"],
        "grant_types": ["authorization_code"],
    }
    with OIDCProviderServer(clients=[client], accounts=ACCOUNTS) as server:
        yield server


async def database_with_teams(tmp_path: Path, *names: str) -> str:
    """A migrated database holding these teams (made as an admin would, before the start)."""
    url = await migrated_sqlite_url(tmp_path)
    engine = create_engine(url)
    try:
        async with create_sessionmaker(engine)() as db:
            db.add_all(Team(name=name) for name in names)
            await db.commit()
    finally:
        await engine.dispose()
    return url


async def test_a_just_in_time_account_joins_the_default_team_audited(
    idp: OIDCProviderServer, tmp_path: Path
) -> None:
    url = await database_with_teams(tmp_path, "Staff", "Contractors")
    async for w in world_for(idp, url, tmp_path, default_team="staff"):  # any case
        async with w.browser() as browser:
            landed = await browser.get(await reach_callback(browser, "alice"))
            assert landed.status_code == 303
        async with w.browser() as browser:  # a second sign-in changes nothing
            await browser.get(await reach_callback(browser, "alice"))
        async with w.state.sessionmaker() as db:
            alice = (await db.scalars(select(User).where(User.email == "alice@example.com"))).one()
            rows = (
                await db.execute(
                    select(TeamMember, Team.name).join(Team, Team.id == TeamMember.team_id)
                )
            ).all()
            entries = (
                await db.scalars(select(AuditEntry).where(AuditEntry.action == "team.member.add"))
            ).all()
    assert [(m.user_id, name, m.role) for m, name in rows] == [(alice.id, "Staff", TeamRole.MEMBER)]
    assert [(e.actor_email, e.after) for e in entries] == [
        ("alice@example.com", {"user_id": str(alice.id), "role": "member", "via": "oidc"})
    ]


async def test_without_a_default_team_a_new_account_joins_none(
    idp: OIDCProviderServer, tmp_path: Path
) -> None:
    url = await database_with_teams(tmp_path, "Staff")
    async for w in world_for(idp, url, tmp_path):
        async with w.browser() as browser:
            await browser.get(await reach_callback(browser, "alice"))
        async with w.state.sessionmaker() as db:
            assert (await db.scalars(select(TeamMember))).all() == []


async def test_a_team_deleted_behind_the_servers_back_refuses_new_accounts(
    idp: OIDCProviderServer, tmp_path: Path
) -> None:
    url = await database_with_teams(tmp_path, "Staff")
    async for w in world_for(idp, url, tmp_path, default_team="Staff"):
        async with w.state.sessionmaker() as db:  # not through the API, which refuses
            team = await db.scalar(select(Team))
            await db.delete(team)
            await db.commit()
        async with w.browser() as browser:
            landed = await browser.get(await reach_callback(browser, "alice"))
        assert error_of(landed) == "oidc_default_team_missing"
        assert await w.users() == []  # the account was not created without its team


async def test_the_default_team_is_neither_deleted_nor_renamed(
    idp: OIDCProviderServer, tmp_path: Path
) -> None:
    url = await database_with_teams(tmp_path, "Staff", "Other")
    async for w in world_for(idp, url, tmp_path, default_team="Staff"):
        async with w.browser() as admin:
            await admin.register("root@example.com")  # the first account: an admin
            teams = {t["name"]: t["id"] for t in (await admin.get("/api/v1/teams")).json()}
            deleted = await admin.delete(f"/api/v1/teams/{teams['Staff']}")
            renamed = await admin.patch(f"/api/v1/teams/{teams['Staff']}", json={"name": "X"})
            other = await admin.delete(f"/api/v1/teams/{teams['Other']}")
    assert (deleted.status_code, deleted.json()["error"]["code"]) == (409, "default_team")
    assert (renamed.status_code, renamed.json()["error"]["code"]) == (409, "default_team")
    assert other.status_code == 204


async def test_a_default_team_that_does_not_exist_refuses_to_start(tmp_path: Path) -> None:
    url = await database_with_teams(tmp_path, "Staff", "Contractors")
    oidc = OIDCConfig(issuer="http://127.0.0.1:9/", client_id="lockgate", default_team="Stafff")
    config = make_config(url, tmp_path, FileConfig(oidc=oidc), oidc_client_secret=SECRET)
    message = (
        r"oidc\.default_team: there is no team named 'Stafff' \(teams: 'Contractors', 'Staff'\)"
    )
    with pytest.raises(ConfigError, match=message):
        async with running_app(config, FakeClock()):
            pass


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"default_team": "  "}, "default_team must name a team"),
        ({"default_team": "Staff", "create_users": False}, "create_users is false"),
    ],
)
def test_a_default_team_setting_that_cannot_work_is_refused(
    fields: dict[str, object], message: str
) -> None:
    with pytest.raises(pydantic.ValidationError, match=message):
        OIDCConfig(issuer="https://login.example.com", client_id="lockgate", **fields)
