"""The console's providers and models: the model catalogue (prices and their source) and the
admins' health check per provider, against the fake upstreams (OpenAI-format and Anthropic)
and the simulated provider: ok, slow (timeout), failing, too soon, and refused to non-admins."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from contextlib import AsyncExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from lockgate.clock import FakeClock
from lockgate.settings import FileConfig
from tests.admin.kit import audit
from tests.fixtures.appkit import ApiClient, api_client, make_config, running_app
from tests.fixtures.fake_anthropic import FakeAnthropic
from tests.fixtures.fake_openai import INTERNAL_DETAIL, FakeOpenAI

CHECK_TIMEOUT = 0.5


@pytest.fixture(scope="module")
def upstream() -> Iterator[FakeOpenAI]:
    with FakeOpenAI() as fake:
        yield fake


@pytest.fixture(scope="module")
def claude() -> Iterator[FakeAnthropic]:
    with FakeAnthropic() as fake:
        yield fake


def file_config(upstream: FakeOpenAI, claude: FakeAnthropic) -> FileConfig:
    return FileConfig.model_validate(
        {
            "providers": {
                "openai": {"type": "openai", "base_url": upstream.url},
                "slow": {"type": "openai", "base_url": upstream.fault_url("timeout")},
                "failing": {"type": "openai", "base_url": upstream.fault_url("500")},
                "claude": {"type": "anthropic", "base_url": claude.url, "api_key_env": None},
                "sim": {"type": "simulated"},
                "sim-broken": {"type": "simulated", "failure": "500"},
            },
            "models": {
                "mini": {"provider": "openai", "upstream": "gpt-4o-mini", "vision": True},
                "house": {
                    "provider": "openai",
                    "upstream": "gpt-4o",
                    "price": {"input_per_mtok": "1.5", "output_per_mtok": "6"},
                    "fallbacks": ["mini", "haiku"],
                    "label": "House model",
                },
                "local": {"provider": "failing", "upstream": "llama3"},
                "haiku": {"provider": "claude", "upstream": "claude-haiku-4-5-20251001"},
                "painter": {"provider": "openai", "upstream": "dall-e-3", "kind": "image"},
                "echo": {"provider": "sim", "upstream": "sim-small"},
            },
            "default_model": "house",
        }
    )


@dataclass
class World:
    admin: ApiClient
    member: ApiClient
    claude: FakeAnthropic


@pytest.fixture
async def world(
    database_url: str,
    tmp_path: Path,
    clock: FakeClock,
    upstream: FakeOpenAI,
    claude: FakeAnthropic,
) -> AsyncIterator[World]:
    config = make_config(
        database_url,
        tmp_path,
        file=file_config(upstream, claude),
        provider_check_timeout_seconds=CHECK_TIMEOUT,
    )
    claude.models_failure = None
    async with AsyncExitStack() as stack:
        app, _ = await stack.enter_async_context(running_app(config, clock))
        admin = await stack.enter_async_context(api_client(app))
        member = await stack.enter_async_context(api_client(app))
        await admin.register("admin@example.com")
        await member.register("member@example.com")
        yield World(admin, member, claude)


async def check(client: ApiClient, provider: str) -> Any:
    return await client.post(f"/api/v1/admin/providers/{provider}/check")


def by_name(body: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {m["name"]: m for m in body["models"]}


async def test_the_catalogue_names_each_price_and_its_source(world: World) -> None:
    response = await world.member.get("/api/v1/catalog/models")
    assert response.status_code == 200, response.text
    models = by_name(response.json())
    assert list(models) == ["mini", "house", "local", "haiku", "painter", "echo"]
    summary = {
        name: (m["price_source"], m["price"]["input_per_mtok"], m["price"]["output_per_mtok"])
        for name, m in models.items()
        if m["kind"] == "chat"
    }
    assert summary == {
        "mini": ("builtin", "0.15", "0.60"),
        "house": ("config", "1.5", "6"),
        "local": ("unknown", "0", "0"),
        "haiku": ("builtin", "1.00", "5.00"),  # a dated snapshot finds its family
        "echo": ("unknown", "0", "0"),
    }
    painter = models["painter"]
    assert (painter["price_source"], painter["price"]["per_image"]) == ("builtin", "0.08")
    assert (painter["streaming"], painter["image_sizes"][-1]) == (False, "1024x1024")


async def test_the_catalogue_shows_capabilities_provider_and_fallbacks(world: World) -> None:
    models = by_name((await world.member.get("/api/v1/catalog/models")).json())
    house = models["house"]
    assert (house["label"], house["provider"], house["provider_type"]) == (
        "House model",
        "openai",
        "openai",
    )
    assert (house["upstream"], house["fallbacks"], house["default"]) == (
        "gpt-4o",
        ["mini", "haiku"],
        True,
    )
    assert (models["mini"]["vision"], models["mini"]["streaming"]) == (True, True)
    assert models["haiku"]["vision"] is False


async def test_the_catalogue_needs_a_sign_in(world: World) -> None:
    await world.member.post("/api/v1/auth/logout")
    response = await world.member.get("/api/v1/catalog/models")
    assert response.status_code == 401


@pytest.mark.parametrize(
    ("provider", "checked"),
    [
        ("openai", "GET /models"),
        ("claude", "GET /v1/models?limit=1"),
        ("sim", "one embedding (simulated, free)"),
    ],
)
async def test_a_healthy_provider_checks_ok_and_is_audited(
    world: World, provider: str, checked: str
) -> None:
    response = await check(world.admin, provider)
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["provider"], body["ok"], body["checked"]) == (provider, True, checked)
    assert (body["code"], body["message"]) == (None, None)
    assert 0 <= body["latency_ms"] < CHECK_TIMEOUT * 1000
    rows = await audit(world.admin, action="provider.checked")
    assert [(r["target_id"], r["actor_email"], r["after"]["ok"]) for r in rows] == [
        (provider, "admin@example.com", True)
    ]


async def test_the_anthropic_check_asks_for_one_model_only(world: World) -> None:
    world.claude.gets.clear()
    assert (await check(world.admin, "claude")).json()["ok"] is True
    assert world.claude.gets == ["/v1/models?limit=1"]


async def test_a_slow_provider_is_cut_at_the_timeout(world: World) -> None:
    body = (await check(world.admin, "slow")).json()
    assert (body["ok"], body["code"]) == (False, "provider_timeout")
    assert body["message"] == "The model provider took too long to answer."
    assert CHECK_TIMEOUT * 1000 <= body["latency_ms"] < 5000
    rows = await audit(world.admin, action="provider.checked")
    assert [(r["after"]["ok"], r["after"]["code"]) for r in rows] == [(False, "provider_timeout")]


async def test_a_failing_provider_reports_the_public_error_only(world: World) -> None:
    body = (await check(world.admin, "failing")).json()
    assert (body["ok"], body["code"]) == (False, "provider_unavailable")
    assert body["message"] == "The model provider failed or could not be reached."
    assert INTERNAL_DETAIL not in str(body)


async def test_a_refused_key_is_an_auth_error_without_the_upstreams_text(world: World) -> None:
    world.claude.models_failure = (401, '{"error": {"message": "key sk-ant-SECRET is invalid"}}')
    body = (await check(world.admin, "claude")).json()
    assert (body["ok"], body["code"]) == (False, "provider_auth_error")
    assert "SECRET" not in str(body)


async def test_a_simulated_provider_configured_to_fail_checks_as_failing(world: World) -> None:
    body = (await check(world.admin, "sim-broken")).json()
    assert (body["ok"], body["code"]) == (False, "provider_unavailable")


async def test_a_provider_is_not_checked_twice_in_a_row(world: World) -> None:
    assert (await check(world.admin, "openai")).status_code == 200
    again = await check(world.admin, "openai")
    assert again.status_code == 429
    assert again.json()["error"]["code"] == "check_too_soon"
    assert int(again.headers["Retry-After"]) >= 1
    assert (await check(world.admin, "claude")).status_code == 200  # per provider
    assert len(await audit(world.admin, action="provider.checked")) == 2


async def test_a_non_admin_is_refused_and_nothing_is_asked_upstream(world: World) -> None:
    world.claude.gets.clear()
    refused = await check(world.member, "claude")
    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "admin_only"
    assert world.claude.gets == []
    assert (await check(world.admin, "claude")).status_code == 200  # not counted for it


async def test_an_unknown_provider_is_404(world: World) -> None:
    response = await check(world.admin, "nope")
    assert (response.status_code, response.json()["error"]["code"]) == (404, "unknown_provider")


async def test_a_check_needs_the_csrf_token(world: World) -> None:
    world.admin.csrf_enabled = False
    response = await check(world.admin, "openai")
    assert response.status_code == 403
