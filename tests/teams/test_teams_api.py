"""/api/v1/teams: teams, members, keys and budgets, authorised in the service layer.

Every endpoint is called by each kind of caller (`tests/teams/conftest.py`'s organisation): a
global admin, the team's admin, a plain member, another team's admin (told the team does not
exist: 404) and someone in no team (403).
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import pytest

from tests.fixtures.appkit import ApiClient
from tests.teams.conftest import Org, add

Call = Callable[[ApiClient, Org], Awaitable[httpx.Response]]


async def a_key_of_carol(org: Org) -> str:
    created = await org.carol.post("/api/v1/keys", json={"name": "carol's"})
    assert created.status_code == 201, created.text
    key_id: str = created.json()["id"]
    return key_id


def team_a(org: Org) -> str:
    return org.ids["team_a"]


async def statuses(org: Org, call: Call, who: tuple[str, ...]) -> dict[str, int]:
    clients = org.clients()
    return {name: (await call(clients[name], org)).status_code for name in who}


# (endpoint, call, expected status by caller). A call that succeeds for a caller changes
# state, so each caller's expectation is checked in the order listed.
CASES: list[tuple[str, Call, dict[str, int]]] = [
    (
        "getTeam",
        lambda c, o: c.get(f"/api/v1/teams/{team_a(o)}"),
        {"carol": 403, "dave": 404, "erin": 403, "bob": 200},
    ),
    (
        "createTeam",
        lambda c, o: c.post("/api/v1/teams", json={"name": "New"}),
        {"bob": 403, "carol": 403, "dave": 403, "erin": 403},
    ),
    (
        "renameTeam",
        lambda c, o: c.patch(f"/api/v1/teams/{team_a(o)}", json={"name": "Renamed"}),
        {"bob": 403, "carol": 403, "dave": 403, "erin": 403},
    ),
    (
        "deleteTeam",
        lambda c, o: c.delete(f"/api/v1/teams/{team_a(o)}"),
        {"bob": 403, "carol": 403, "dave": 403, "erin": 403},
    ),
    (
        "setTeamLimits",
        lambda c, o: c.put(f"/api/v1/teams/{team_a(o)}/limits", json={"daily_usd": "100"}),
        {"bob": 403, "carol": 403, "dave": 403, "erin": 403},
    ),
    (
        "addTeamMember",
        lambda c, o: c.post(
            f"/api/v1/teams/{team_a(o)}/members", json={"email": "erin@example.com"}
        ),
        {"carol": 403, "dave": 404, "erin": 403, "bob": 201},
    ),
    (
        "setTeamMemberRole",
        lambda c, o: c.patch(
            f"/api/v1/teams/{team_a(o)}/members/{o.ids['carol']}", json={"role": "admin"}
        ),
        {"carol": 403, "dave": 404, "erin": 403, "bob": 200},
    ),
    (
        "removeTeamMember",
        lambda c, o: c.delete(f"/api/v1/teams/{team_a(o)}/members/{o.ids['carol']}"),
        {"carol": 403, "dave": 404, "erin": 403, "bob": 204},
    ),
    (
        "createTeamKey",
        lambda c, o: c.post(f"/api/v1/teams/{team_a(o)}/keys", json={"name": "ci"}),
        {"carol": 403, "dave": 404, "erin": 403, "bob": 201},
    ),
    (
        "listTeamKeys",
        lambda c, o: c.get(f"/api/v1/teams/{team_a(o)}/keys"),
        {"carol": 403, "dave": 404, "erin": 403, "bob": 200},
    ),
    (
        "listProviderLimits",
        lambda c, o: c.get("/api/v1/limits/providers"),
        {"bob": 403, "carol": 403, "dave": 403, "erin": 403},
    ),
    (
        "setProviderLimits",
        lambda c, o: c.put("/api/v1/limits/providers/sim", json={"daily_usd": "1"}),
        {"bob": 403, "carol": 403, "dave": 403, "erin": 403},
    ),
    (
        "resetProviderLimits",
        lambda c, o: c.delete("/api/v1/limits/providers/sim"),
        {"bob": 403, "carol": 403, "dave": 403, "erin": 403},
    ),
    (
        "adminSetUserLimits",
        lambda c, o: c.put(
            f"/api/v1/admin/users/{o.ids['carol']}/limits", json={"daily_budget_usd": "9"}
        ),
        {"bob": 403, "carol": 403, "dave": 403, "erin": 403},
    ),
]


@pytest.mark.parametrize(("endpoint", "call", "expected"), CASES, ids=[c[0] for c in CASES])
async def test_each_endpoint_refuses_whom_it_must(
    org: Org, endpoint: str, call: Call, expected: dict[str, int]
) -> None:
    assert await statuses(org, call, tuple(expected)) == expected


@pytest.mark.parametrize(
    ("endpoint", "method", "suffix", "body", "expected"),
    [
        ("getKeyLimits", "GET", "", None, {"carol": 403, "dave": 404, "erin": 403, "bob": 200}),
        (
            "setKeyLimits",
            "PUT",
            "",
            {"daily_usd": "1"},
            {"carol": 403, "dave": 404, "erin": 403, "bob": 200},
        ),
        (
            "setKeyTeam",
            "PUT",
            "/team",
            {"team_id": None},
            {"bob": 403, "carol": 403, "dave": 403, "erin": 403},
        ),
        (
            "revokeTeamKey",
            "DELETE",
            "team",
            None,
            {"carol": 403, "dave": 404, "erin": 403, "bob": 204},
        ),
    ],
)
async def test_each_key_endpoint_refuses_whom_it_must(
    org: Org,
    endpoint: str,
    method: str,
    suffix: str,
    body: Any,
    expected: dict[str, int],
) -> None:
    key = await a_key_of_carol(org)
    if suffix == "team":
        url = f"/api/v1/teams/{team_a(org)}/keys/{key}"
    else:
        url = f"/api/v1/limits/keys/{key}{suffix}"

    async def call(client: ApiClient, _: Org) -> httpx.Response:
        return await client.request(method, url, json=body)

    assert await statuses(org, call, tuple(expected)) == expected


async def test_an_admin_creates_renames_and_deletes_a_team(org: Org) -> None:
    created = await org.alice.post(
        "/api/v1/teams",
        json={"name": "Research", "limits": {"daily_usd": "5", "monthly_usd": "50", "rpm": 60}},
    )
    assert created.status_code == 201
    team = created.json()
    assert team["limits"] == {"daily_usd": "5", "monthly_usd": "50", "rpm": 60, "tpm": None}
    assert [s["period"] for s in team["spend"]] == ["daily", "monthly"]
    renamed = await org.alice.patch(f"/api/v1/teams/{team['id']}", json={"name": "R&D"})
    assert renamed.json()["name"] == "R&D"
    assert (await org.alice.delete(f"/api/v1/teams/{team['id']}")).status_code == 204
    assert (await org.alice.get(f"/api/v1/teams/{team['id']}")).status_code == 404


async def test_team_names_are_unique_whatever_the_case(org: Org) -> None:
    response = await org.alice.post("/api/v1/teams", json={"name": "team a"})
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "team_name_taken"


async def test_a_monthly_budget_below_the_daily_one_is_refused(org: Org) -> None:
    response = await org.alice.put(
        f"/api/v1/teams/{team_a(org)}/limits", json={"daily_usd": "10", "monthly_usd": "5"}
    )
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "budget_order"


@pytest.mark.parametrize(
    "body", [{"daily_usd": "-1"}, {"rpm": 0}, {"tpm": "many"}, {"daily_usd": "0.000000001"}]
)
async def test_an_invalid_limit_is_refused_with_its_field(org: Org, body: dict[str, Any]) -> None:
    response = await org.alice.put("/api/v1/limits/providers/sim", json=body)
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "validation_error"
    assert next(iter(body)) in error["message"]


async def test_a_user_is_in_at_most_one_team(org: Org) -> None:
    response = await org.alice.post(
        f"/api/v1/teams/{org.ids['team_b']}/members", json={"email": "carol@example.com"}
    )
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "already_in_team"


async def test_adding_an_unknown_email_is_404(org: Org) -> None:
    response = await org.bob.post(
        f"/api/v1/teams/{team_a(org)}/members", json={"email": "nobody@example.com"}
    )
    assert (response.status_code, response.json()["error"]["code"]) == (404, "user_not_found")


async def test_each_caller_lists_the_teams_they_manage(org: Org) -> None:
    async def names(client: ApiClient) -> list[str]:
        return [team["name"] for team in (await client.get("/api/v1/teams")).json()]

    seen = {
        name: await names(client) for name, client in {"alice": org.alice, **org.clients()}.items()
    }
    assert seen == {
        "alice": ["Team A", "Team B"],
        "bob": ["Team A"],
        "carol": [],
        "dave": ["Team B"],
        "erin": [],
    }


async def test_a_team_admin_sees_members_and_the_keys_that_pay_into_the_team(org: Org) -> None:
    key = await a_key_of_carol(org)
    await add(org.bob, team_a(org), "erin@example.com")
    team = (await org.bob.get(f"/api/v1/teams/{team_a(org)}")).json()
    assert [(m["email"], m["role"]) for m in team["members"]] == [
        ("bob@example.com", "admin"),
        ("carol@example.com", "member"),
        ("erin@example.com", "member"),
    ]
    keys = (await org.bob.get(f"/api/v1/teams/{team_a(org)}/keys")).json()
    assert [(k["id"], k["owner_email"]) for k in keys] == [(key, "carol@example.com")]


async def test_a_key_given_another_team_leaves_its_owners_team(org: Org) -> None:
    key = await a_key_of_carol(org)
    moved = await org.alice.put(
        f"/api/v1/limits/keys/{key}/team", json={"team_id": org.ids["team_b"]}
    )
    assert moved.status_code == 200
    assert (await org.bob.get(f"/api/v1/teams/{team_a(org)}/keys")).json() == []
    assert [
        k["id"] for k in (await org.dave.get(f"/api/v1/teams/{org.ids['team_b']}/keys")).json()
    ] == [key]
    assert org.state.gate.team_of(None, key_id=uuid.UUID(key)) == uuid.UUID(org.ids["team_b"])


async def test_a_provider_override_is_shown_over_its_default_and_can_be_reset(org: Org) -> None:
    put = await org.alice.put("/api/v1/limits/providers/sim", json={"daily_usd": "3", "rpm": 5})
    assert put.status_code == 200
    body = put.json()
    assert body["scope"] == "provider:sim"
    assert body["default"] == {"daily_usd": None, "monthly_usd": None, "rpm": None, "tpm": None}
    assert body["effective"] == {"daily_usd": "3", "monthly_usd": None, "rpm": 5, "tpm": None}
    assert org.state.gate.headroom.limits["sim"].rpm == 5
    reset = await org.alice.delete("/api/v1/limits/providers/sim")
    assert reset.json()["override"] is None
    assert (
        org.state.gate.headroom.limits.get("sim") is None
        or org.state.gate.headroom.limits["sim"].rpm is None
    )


async def test_an_unknown_provider_is_404(org: Org) -> None:
    response = await org.alice.put("/api/v1/limits/providers/nope", json={"daily_usd": "1"})
    assert (response.status_code, response.json()["error"]["code"]) == (404, "unknown_provider")


async def test_a_change_without_the_csrf_token_is_refused(org: Org) -> None:
    org.alice.csrf_enabled = False
    response = await org.alice.put(f"/api/v1/teams/{team_a(org)}/limits", json={"daily_usd": "0"})
    assert (response.status_code, response.json()["error"]["code"]) == (403, "csrf_failed")


async def test_every_change_is_recorded_in_the_audit_log(org: Org) -> None:
    await org.alice.put(f"/api/v1/teams/{team_a(org)}/limits", json={"daily_usd": "7"})
    page = (await org.alice.get("/api/v1/admin/audit", params={"action": "team.limits"})).json()
    [entry] = page["items"]
    assert (entry["actor_id"], entry["target_type"]) == (org.ids["alice"], "team")
    assert entry["target_id"] == team_a(org)
    assert entry["before"]["daily_usd"] is None
    assert entry["after"]["daily_usd"] == "7"


async def chat(client: ApiClient, key: str) -> httpx.Response:
    return await client.post(
        "/v1/chat/completions",
        json={"model": "priced", "messages": [{"role": "user", "content": "hi"}], "max_tokens": 5},
        headers={"Authorization": f"Bearer {key}"},
    )


async def test_a_team_budget_set_in_the_api_refuses_a_members_next_call(org: Org) -> None:
    created = await org.carol.post("/api/v1/keys", json={"name": "carol's"})
    secret = created.json()["key"]
    assert (await chat(org.carol, secret)).status_code == 200
    await org.alice.put(f"/api/v1/teams/{team_a(org)}/limits", json={"daily_usd": "0"})
    refused = await chat(org.carol, secret)
    assert refused.status_code == 429
    assert refused.json()["error"]["code"] == "budget_exceeded"
    assert "team's daily budget" in refused.json()["error"]["message"]


async def test_a_team_rpm_set_in_the_api_limits_its_members_keys(org: Org) -> None:
    await org.alice.put(f"/api/v1/teams/{team_a(org)}/limits", json={"rpm": 1})
    carol = (await org.carol.post("/api/v1/keys", json={"name": "c"})).json()["key"]
    bob = (await org.bob.post("/api/v1/keys", json={"name": "b"})).json()["key"]
    assert (await chat(org.carol, carol)).status_code == 200
    assert (await chat(org.bob, bob)).status_code == 429  # the team's one request is used


async def web_chat(client: ApiClient) -> httpx.Response:
    created = await client.post("/api/v1/conversations", json={})
    assert created.status_code == 201, created.text
    return await client.post(
        f"/api/v1/conversations/{created.json()['id']}/messages",
        json={"content": "hi", "max_tokens": 5},
    )


async def test_a_team_rpm_limits_its_members_web_chat_too(org: Org) -> None:
    await org.alice.put(f"/api/v1/teams/{team_a(org)}/limits", json={"rpm": 1})
    assert (await web_chat(org.carol)).status_code == 200
    refused = await web_chat(org.bob)
    assert refused.status_code == 429
    assert refused.json()["error"]["message"].startswith("Your team's request limit (1/minute)")
    assert (await web_chat(org.dave)).status_code == 200  # another team


async def test_a_users_own_tpm_set_in_the_console_limits_their_calls(org: Org) -> None:
    await org.alice.put(f"/api/v1/admin/users/{org.ids['erin']}/limits", json={"tpm": 1})
    refused = await web_chat(org.erin)
    assert refused.status_code == 429
    assert "Your token limit (1/minute)" in refused.json()["error"]["message"]


async def test_a_key_budget_lowered_by_its_team_admin_refuses_its_next_call(org: Org) -> None:
    created = (await org.carol.post("/api/v1/keys", json={"name": "carol's"})).json()
    assert (await chat(org.carol, created["key"])).status_code == 200  # cached by the gateway now
    lowered = await org.bob.put(f"/api/v1/limits/keys/{created['id']}", json={"daily_usd": "0"})
    assert lowered.json()["effective"]["daily_usd"] == "0"
    refused = await chat(org.carol, created["key"])
    assert refused.status_code == 429
    assert "This API key's daily budget" in refused.json()["error"]["message"]


async def test_a_deleted_teams_budget_no_longer_holds_its_members(org: Org) -> None:
    secret = (await org.carol.post("/api/v1/keys", json={"name": "c"})).json()["key"]
    await org.alice.put(f"/api/v1/teams/{team_a(org)}/limits", json={"daily_usd": "0"})
    assert (await chat(org.carol, secret)).status_code == 429
    assert (await org.alice.delete(f"/api/v1/teams/{team_a(org)}")).status_code == 204
    assert org.state.gate.team_of(uuid.UUID(org.ids["carol"])) is None
    assert (await chat(org.carol, secret)).status_code == 200


@pytest.mark.parametrize("method", ["GET", "PUT", "DELETE"])
async def test_user_limits_have_one_endpoint_the_consoles(org: Org, method: str) -> None:
    """``/api/v1/limits/users/{id}`` is gone: a user's overrides are set in one place."""
    response = await org.alice.request(
        method, f"/api/v1/limits/users/{org.ids['erin']}", json={"tpm": 1}
    )
    assert response.status_code in (404, 405), response.text


async def test_a_team_admin_creates_a_key_that_pays_into_the_team(org: Org) -> None:
    created = await org.bob.post(
        f"/api/v1/teams/{team_a(org)}/keys", json={"name": "ci", "daily_budget_usd": "2"}
    )
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["key"].startswith("lg-")
    assert body["user_id"] == org.ids["bob"]
    listed = (await org.bob.get(f"/api/v1/teams/{team_a(org)}/keys")).json()
    assert [(k["id"], k["team_id"], "key" in k) for k in listed] == [
        (body["id"], team_a(org), False)  # the secret is never listed
    ]
    assert (await chat(org.bob, body["key"])).status_code == 200
    await org.alice.put(f"/api/v1/teams/{team_a(org)}/limits", json={"daily_usd": "0"})
    refused = await chat(org.bob, body["key"])
    assert refused.status_code == 429
    assert "team" in refused.json()["error"]["message"].lower()
    rows = (await org.alice.get("/api/v1/admin/audit", params={"action": "key.created"})).json()
    assert [(r["actor_email"], r["after"]["team_id"]) for r in rows["items"]] == [
        ("bob@example.com", team_a(org))
    ]


async def test_a_team_key_follows_the_rules_of_every_key(org: Org) -> None:
    response = await org.bob.post(
        f"/api/v1/teams/{team_a(org)}/keys", json={"name": "x", "allowed_models": ["nope"]}
    )
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "unknown_model"
