"""The gate in the chat path (in-process, memory backends): budgets, fallbacks, breaker,
backpressure, rate limits, and what /health/providers reports."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AsyncExitStack
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from lockgate.clock import FakeClock
from lockgate.models import Message, UsageRecord
from lockgate.providers.config import ModelConfig, Price, SimulatedProviderConfig
from lockgate.settings import FileConfig
from lockgate.state import AppState
from tests.fixtures.appkit import (
    ApiClient,
    GatedSleep,
    api_client,
    make_config,
    parse_sse,
    running_app,
)

PRICE = Price(input_per_mtok=Decimal("1000"), output_per_mtok=Decimal("2000"))
Factory = Callable[..., Awaitable[tuple[ApiClient, AppState]]]


def file_config(gate: dict[str, Any], *, primary_failure: str = "none") -> FileConfig:
    return FileConfig.model_validate(
        {
            "providers": {
                "alpha": SimulatedProviderConfig(type="simulated", failure=primary_failure),
                "beta": SimulatedProviderConfig(type="simulated", seed=7),
            },
            "models": {
                "main": ModelConfig(provider="alpha", price=PRICE, fallbacks=["backup"]),
                "backup": ModelConfig(provider="beta", price=PRICE),
                "solo": ModelConfig(provider="alpha", price=PRICE),
            },
            "default_model": "main",
            "gate": {
                **gate,
                "rate_limits": {
                    "chat": "1000/minute",
                    "conversations": "1000/minute",
                    **gate.get("rate_limits", {}),
                },
            },
        }
    )


@pytest.fixture
async def make_app(tmp_path: Path, clock: FakeClock) -> AsyncIterator[Factory]:
    from tests.fixtures.appkit import migrated_sqlite_url

    async with AsyncExitStack() as stack:

        async def factory(file: FileConfig, *, sleep: Any = None) -> tuple[ApiClient, AppState]:
            url = await migrated_sqlite_url(tmp_path)
            extra = {"provider_sleep": sleep} if sleep is not None else {}
            app, state = await stack.enter_async_context(
                running_app(make_config(url, tmp_path, file=file), clock, **extra)
            )
            client = await stack.enter_async_context(api_client(app))
            await client.register("spender@example.com")
            return client, state

        yield factory


async def chat(client: ApiClient, content: str = "hello", **extra: Any) -> Any:
    cid = (await client.post("/api/v1/conversations", json={})).json()["id"]
    response = await client.post(
        f"/api/v1/conversations/{cid}/messages",
        json={"content": content, "max_tokens": 50, **extra},
    )
    return cid, response


async def usage(state: AppState) -> list[UsageRecord]:
    async with state.sessionmaker() as db:
        return list((await db.scalars(select(UsageRecord))).all())


async def test_user_budget_is_never_overspent_and_refusals_say_budget_exceeded(
    make_app: Factory,
) -> None:
    client, state = await make_app(file_config({"budgets": {"users": {"daily_usd": "1"}}}))
    statuses = []
    for _ in range(30):
        _, response = await chat(client, "spend [[tokens:40]]")
        statuses.append(response.status_code)
        if response.status_code == 429:
            body = response.json()
            assert body["error"]["code"] == "budget_exceeded"
            assert int(response.headers["Retry-After"]) >= 1
            assert "resets at" in body["error"]["message"]
    assert 200 in statuses
    assert 429 in statuses
    spent = sum((r.cost_usd for r in await usage(state)), Decimal(0))
    assert Decimal(0) < spent <= Decimal(1)


async def test_a_refused_call_saves_nothing(make_app: Factory) -> None:
    client, state = await make_app(file_config({"budgets": {"users": {"daily_usd": "0.0001"}}}))
    cid, response = await chat(client)
    assert response.status_code == 429
    async with state.sessionmaker() as db:
        assert (await db.scalars(select(Message))).all() == []
    assert (await client.get(f"/api/v1/conversations/{cid}")).json()["messages"]["items"] == []


async def test_spent_provider_budget_routes_to_the_fallback(make_app: Factory) -> None:
    client, state = await make_app(
        file_config({"budgets": {"providers": {"alpha": {"daily_usd": "0"}}}})
    )
    _, response = await chat(client)
    events = parse_sse(response.text)
    final = events[-1][1]["final"]
    assert (final["provider"], final["model"]) == ("beta", "backup")
    assert {r.provider for r in await usage(state)} == {"beta"}


async def test_every_provider_budget_spent_is_429_with_reset(make_app: Factory) -> None:
    client, _ = await make_app(
        file_config(
            {"budgets": {"providers": {"alpha": {"daily_usd": "0"}, "beta": {"daily_usd": "0"}}}}
        )
    )
    _, response = await chat(client)
    assert response.status_code == 429
    assert response.json()["error"]["code"] == "budget_exceeded"
    assert "X-Budget-Resets-At" in response.headers


async def test_failing_provider_is_retried_then_falls_back(make_app: Factory) -> None:
    client, state = await make_app(file_config({}, primary_failure="500"))
    _, response = await chat(client)
    events = parse_sse(response.text)
    names = [name for name, _ in events]
    assert "fallback" in names
    fallback = dict(events)["fallback"]
    assert (fallback["from_provider"], fallback["to_provider"]) == ("alpha", "beta")
    assert events[-1][1]["final"]["provider"] == "beta"
    rows = await usage(state)
    assert sorted((r.provider, r.outcome.value) for r in rows) == [
        ("alpha", "error"),
        ("alpha", "error"),
        ("beta", "ok"),
    ]


async def test_breaker_opens_and_traffic_skips_the_failing_provider(make_app: Factory) -> None:
    gate = {"breaker": {"consecutive_failures": 2, "min_calls": 100, "cooldown_seconds": 60}}
    client, state = await make_app(file_config(gate, primary_failure="500"))
    await chat(client)  # two failed attempts on alpha trip its breaker
    health = (await client.get("/health/providers")).json()["providers"]
    alpha = next(p for p in health if p["name"] == "alpha")
    assert alpha["breaker"] == "open"
    assert alpha["last_error"]["code"] == "provider_unavailable"
    before = len([r for r in await usage(state) if r.provider == "alpha"])
    _, response = await chat(client)
    assert parse_sse(response.text)[-1][1]["final"]["provider"] == "beta"
    assert len([r for r in await usage(state) if r.provider == "alpha"]) == before


async def test_open_breaker_without_fallback_is_503(make_app: Factory) -> None:
    gate = {"breaker": {"consecutive_failures": 2, "min_calls": 100, "cooldown_seconds": 60}}
    client, _ = await make_app(file_config(gate, primary_failure="500"))
    await chat(client, model="solo")
    _, response = await chat(client, model="solo")
    assert response.status_code == 503
    assert response.json()["error"]["code"] == "provider_unavailable"
    assert int(response.headers["Retry-After"]) >= 1


async def test_full_lane_sheds_at_once_with_overloaded(make_app: Factory) -> None:
    lanes = {"providers": {"alpha": {"max_concurrent": 1, "max_queue": 0}}}
    gate = GatedSleep(block_at=3)
    client, _ = await make_app(file_config(lanes), sleep=gate)
    first = asyncio.create_task(chat(client, "one [[tokens:20]]", model="solo"))
    await gate.reached.wait()  # the first reply is streaming and holds alpha's only slot
    _, shed = await chat(client, "two", model="solo")
    gate.release()
    _, done = await first
    assert shed.status_code == 503
    assert shed.json()["error"]["code"] == "overloaded"
    assert int(shed.headers["Retry-After"]) >= 1
    assert parse_sse(done.text)[-1][0] == "done"


async def test_chat_burst_limit_is_exact_with_headers(make_app: Factory) -> None:
    client, _ = await make_app(file_config({"rate_limits": {"chat": "3/minute"}}))
    statuses = []
    for _ in range(5):
        _, response = await chat(client)
        statuses.append(response.status_code)
    assert statuses == [200, 200, 200, 429, 429]
    assert response.json()["error"]["code"] == "rate_limited"
    assert response.headers["RateLimit-Remaining"] == "0"
    assert int(response.headers["Retry-After"]) >= 1


async def test_health_reports_spend_equal_to_the_ledger(make_app: Factory) -> None:
    client, state = await make_app(
        file_config({"budgets": {"providers": {"alpha": {"daily_usd": "100"}}}})
    )
    for _ in range(3):
        await chat(client)
    ledger = sum((r.cost_usd for r in await usage(state) if r.provider == "alpha"), Decimal(0))
    health = (await client.get("/health/providers")).json()["providers"]
    alpha = next(p for p in health if p["name"] == "alpha")
    [budget] = alpha["budgets"]
    assert Decimal(budget["spent_usd"]) == ledger
    assert Decimal(budget["reserved_usd"]) == 0
    assert budget["ratio"] == pytest.approx(float(ledger / 100))
    assert alpha["in_flight"] == 0


async def test_a_model_with_its_own_breaker_does_not_trip_its_providers(
    make_app: Factory,
) -> None:
    file = FileConfig.model_validate(
        {
            "providers": {"alpha": {"type": "simulated"}},
            "models": {
                "fragile": {"provider": "alpha", "breaker_per_model": True},
                "sturdy": {"provider": "alpha"},
            },
            "gate": {
                "breaker": {"consecutive_failures": 2, "min_calls": 100, "cooldown_seconds": 60},
                "rate_limits": {"chat": "1000/minute", "conversations": "1000/minute"},
            },
        }
    )
    client, state = await make_app(file)
    await chat(client, "x [[fail:500]]", model="fragile")
    assert (await state.gate.breaker.state("alpha:fragile")).state.value == "open"
    assert (await state.gate.breaker.state("alpha")).state.value == "closed"
    _, fragile = await chat(client, model="fragile")
    assert fragile.status_code == 503
    _, sturdy = await chat(client, model="sturdy")
    assert parse_sse(sturdy.text)[-1][0] == "done"


@pytest.mark.parametrize(
    "budgets",
    [
        {"users": {"daily_usd": "0.001"}},
        {"providers": {"alpha": {"daily_usd": "0.001"}, "beta": {"daily_usd": "0.001"}}},
    ],
    ids=["user", "every-provider"],
)
async def test_budget_refusals_are_written_for_people(
    make_app: Factory, budgets: dict[str, Any]
) -> None:
    """Money in cents (never 0E-8 or eight decimals), one UTC minute, no internal scope ids."""
    client, _ = await make_app(file_config({"budgets": budgets}))
    for _ in range(10):
        _, response = await chat(client, "spend [[tokens:40]]")
        if response.status_code == 429:
            break
    message = response.json()["error"]["message"]
    assert response.json()["error"]["code"] == "budget_exceeded"
    assert re.search(r"resets at \d{4}-\d\d-\d\d \d\d:\d\d UTC\.", message), message
    assert "E-" not in message
    assert "provider:" not in message
    assert "user:" not in message
    assert not re.search(r"\$\d+\.\d{5,}", message), message
