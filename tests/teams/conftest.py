"""A small organisation for the team tests: an admin, two teams, their admins and members.

``alice`` registered first, so she is the global admin; ``bob`` is the admin of team A,
``carol`` a member of A, ``dave`` the admin of team B, ``erin`` in no team. Each is a browser
of their own (CSRF as the web UI sends it). The simulated model ``priced`` costs money, so
budgets bite.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from lockgate.clock import FakeClock
from lockgate.settings import FileConfig
from lockgate.state import AppState
from tests.fixtures.appkit import ApiClient, api_client, make_config, running_app

PRICE = {"input_per_mtok": 1000, "output_per_mtok": 2000}


def priced_file() -> FileConfig:
    return FileConfig.model_validate(
        {
            "providers": {"sim": {"type": "simulated"}},
            "models": {"priced": {"provider": "sim", "upstream": "sim-small", "price": PRICE}},
            "default_model": "priced",
        }
    )


@dataclass
class Org:
    state: AppState
    alice: ApiClient
    bob: ApiClient
    carol: ApiClient
    dave: ApiClient
    erin: ApiClient
    ids: dict[str, str]
    """user ids by name, and ``team_a`` / ``team_b``."""

    def clients(self) -> dict[str, ApiClient]:
        return {"bob": self.bob, "carol": self.carol, "dave": self.dave, "erin": self.erin}


async def add(client: ApiClient, team: str, email: str, role: str = "member") -> Any:
    response = await client.post(
        f"/api/v1/teams/{team}/members", json={"email": email, "role": role}
    )
    assert response.status_code == 201, response.text
    return response.json()


@pytest.fixture
async def org(database_url: str, tmp_path: Path, clock: FakeClock) -> AsyncIterator[Org]:
    config = make_config(database_url, tmp_path, file=priced_file())
    async with AsyncExitStack() as stack:
        app, state = await stack.enter_async_context(running_app(config, clock))
        browsers = {}
        ids = {}
        for name in ("alice", "bob", "carol", "dave", "erin"):
            client = await stack.enter_async_context(api_client(app))
            ids[name] = (await client.register(f"{name}@example.com"))["user"]["id"]
            browsers[name] = client
        alice = browsers["alice"]
        for team in ("a", "b"):
            created = await alice.post("/api/v1/teams", json={"name": f"Team {team.upper()}"})
            assert created.status_code == 201, created.text
            ids[f"team_{team}"] = created.json()["id"]
        await add(alice, ids["team_a"], "bob@example.com", "admin")
        await add(alice, ids["team_a"], "carol@example.com")
        await add(alice, ids["team_b"], "dave@example.com", "admin")
        yield Org(state, ids=ids, **browsers)
