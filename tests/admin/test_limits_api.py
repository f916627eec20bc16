"""Per-user budget and rate-limit overrides: stored, validated, audited, and applied by the
gate to the user's next chat and /v1 call (YAML gives the defaults)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import httpx2
import openai
import pytest

from lockgate.clock import FakeClock
from lockgate.providers.config import ModelConfig, Price, SimulatedProviderConfig
from lockgate.settings import FileConfig
from lockgate.state import AppState
from tests.admin.kit import audit, user_id
from tests.fixtures.appkit import ApiClient, api_client, make_config, running_app

PRICE = Price(input_per_mtok=Decimal("1000"), output_per_mtok=Decimal("2000"))
World = tuple[ApiClient, ApiClient, AppState, Any]


def file_config() -> FileConfig:
    return FileConfig.model_validate(
        {
            "providers": {"alpha": SimulatedProviderConfig(type="simulated")},
            "models": {"main": ModelConfig(provider="alpha", price=PRICE)},
            "default_model": "main",
            "gate": {
                "budgets": {"users": {"daily_usd": "100"}},
                "rate_limits": {"chat": "1000/minute", "conversations": "1000/minute"},
            },
        }
    )


@pytest.fixture
async def world(database_url: str, tmp_path: Path, clock: FakeClock) -> AsyncIterator[World]:
    async with AsyncExitStack() as stack:
        config = make_config(database_url, tmp_path, file=file_config())
        app, state = await stack.enter_async_context(running_app(config, clock))
        admin = await stack.enter_async_context(api_client(app))
        member = await stack.enter_async_context(api_client(app))
        await admin.register("alice@example.com")
        await member.register("bob@example.com")
        yield admin, member, state, app


async def chat(client: ApiClient) -> httpx.Response:
    cid = (await client.post("/api/v1/conversations", json={})).json()["id"]
    response: httpx.Response = await client.post(
        f"/api/v1/conversations/{cid}/messages", json={"content": "hi", "max_tokens": 50}
    )
    return response


async def test_overrides_are_stored_with_effective_values_and_defaults(world: World) -> None:
    admin, _, _, _ = world
    bob = await user_id(admin, "bob@example.com")
    response = await admin.put(
        f"/api/v1/admin/users/{bob}/limits", json={"daily_budget_usd": "0.5", "rpm": 30}
    )
    assert response.status_code == 200, response.text
    limits = (await admin.get(f"/api/v1/admin/users/{bob}")).json()["limits"]
    assert limits["override"] == {
        "daily_budget_usd": "0.50000000",
        "monthly_budget_usd": None,
        "rpm": 30,
        "tpm": None,
    }
    assert limits["effective"]["daily_budget_usd"] == "0.50000000"
    assert limits["defaults"]["daily_budget_usd"] == "100.00000000"
    [entry] = await audit(admin, action="user.limits_changed")
    assert entry["before"] is None
    assert entry["after"] == {
        "daily_budget_usd": "0.5",
        "monthly_budget_usd": None,
        "rpm": 30,
        "tpm": None,
    }


async def test_all_nulls_reset_to_the_defaults(world: World, clock: FakeClock) -> None:
    admin, _, _, _ = world
    bob = await user_id(admin, "bob@example.com")
    await admin.put(f"/api/v1/admin/users/{bob}/limits", json={"tpm": 1000})
    clock.advance(seconds=1)
    await admin.put(f"/api/v1/admin/users/{bob}/limits", json={})
    detail = (await admin.get(f"/api/v1/admin/users/{bob}")).json()
    assert detail["limits"]["override"] is None
    assert detail["has_override"] is False
    latest = (await audit(admin, action="user.limits_changed"))[0]
    assert (latest["before"]["tpm"], latest["after"]) == (1000, None)


@pytest.mark.parametrize(
    "body",
    [
        {"daily_budget_usd": "-1"},
        {"rpm": 0},
        {"tpm": 1.5},
        {"monthly_budget_usd": "0.000000001"},
        {"rpm": True},
        {"budget": 1},
    ],
)
async def test_bad_overrides_are_422(world: World, body: dict[str, Any]) -> None:
    admin, _, _, _ = world
    bob = await user_id(admin, "bob@example.com")
    response = await admin.put(f"/api/v1/admin/users/{bob}/limits", json=body)
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "validation_error"


async def test_a_lowered_budget_refuses_the_users_next_chat(world: World) -> None:
    admin, member, _, _ = world
    assert (await chat(member)).status_code == 200
    bob = await user_id(admin, "bob@example.com")
    await admin.put(f"/api/v1/admin/users/{bob}/limits", json={"daily_budget_usd": "0"})
    refused = await chat(member)
    assert refused.status_code == 429
    error = refused.json()["error"]
    assert error["code"] == "budget_exceeded"
    assert "Your daily budget of $0.00 is spent" in error["message"]
    assert (await chat(admin)).status_code == 200  # only bob's limit changed


async def test_a_lowered_budget_refuses_the_users_next_v1_call(world: World) -> None:
    admin, member, _, app = world
    key = (await member.post("/api/v1/keys", json={"name": "k"})).json()["key"]
    transport = httpx2.ASGITransport(app=app)
    async with httpx2.AsyncClient(transport=transport) as http:
        sdk = openai.AsyncOpenAI(
            api_key=key, base_url="http://testserver/v1", http_client=http, max_retries=0
        )
        messages: Any = [{"role": "user", "content": "hi"}]
        await sdk.chat.completions.create(model="main", messages=messages, max_tokens=5)
        bob = await user_id(admin, "bob@example.com")
        await admin.put(f"/api/v1/admin/users/{bob}/limits", json={"daily_budget_usd": "0"})
        with pytest.raises(openai.RateLimitError) as refused:
            await sdk.chat.completions.create(model="main", messages=messages, max_tokens=5)
    assert "daily budget" in str(refused.value)


async def test_an_rpm_override_limits_the_users_chat(world: World) -> None:
    admin, member, _, _ = world
    bob = await user_id(admin, "bob@example.com")
    await admin.put(f"/api/v1/admin/users/{bob}/limits", json={"rpm": 2})
    assert [(await chat(member)).status_code for _ in range(2)] == [200, 200]
    refused = await chat(member)
    assert refused.status_code == 429
    assert refused.json()["error"]["code"] == "user_rate_limited"
    assert "request limit (2/minute)" in refused.json()["error"]["message"]
    assert int(refused.headers["Retry-After"]) >= 1


async def test_a_monthly_budget_below_the_daily_one_is_refused(world: World) -> None:
    admin, _, _, _ = world
    bob = await user_id(admin, "bob@example.com")
    response = await admin.put(
        f"/api/v1/admin/users/{bob}/limits",
        json={"daily_budget_usd": "5", "monthly_budget_usd": "1"},
    )
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "budget_order"
    assert (await admin.get(f"/api/v1/admin/users/{bob}")).json()["limits"]["override"] is None
