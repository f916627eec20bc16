"""After real traffic through the app, /metrics holds each metric with the right labels and
values — the gate's gauges come from its shared state (here: the memory backends)."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

from prometheus_client.parser import text_string_to_metric_families

from lockgate.clock import FakeClock
from lockgate.gate.events import GaugeRefresher
from lockgate.providers.config import ModelConfig, Price, SimulatedProviderConfig
from lockgate.settings import FileConfig
from tests.fixtures.appkit import api_client, make_config, migrated_sqlite_url, running_app

PRICE = Price(input_per_mtok=Decimal("1000"), output_per_mtok=Decimal("2000"))


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    out = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            out[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return out


def value(found: dict[Any, float], name: str, **labels: str) -> float:
    return found[(name, tuple(sorted(labels.items())))]


async def test_metrics_after_real_traffic(tmp_path: Path, clock: FakeClock) -> None:
    file = FileConfig.model_validate(
        {
            "providers": {
                "alpha": SimulatedProviderConfig(type="simulated"),
                "beta": SimulatedProviderConfig(type="simulated", failure="500"),
            },
            "models": {
                "main": ModelConfig(provider="alpha", price=PRICE),
                "broken": ModelConfig(provider="beta", price=PRICE),
            },
            "gate": {
                "budgets": {"providers": {"alpha": {"daily_usd": "10"}}},
                "providers": {"alpha": {"rpm": 1000, "tpm": 1000000}},
                "breaker": {"consecutive_failures": 2, "min_calls": 100},
                "rate_limits": {"chat": "4/minute"},
            },
        }
    )
    url = await migrated_sqlite_url(tmp_path)
    async with (
        running_app(make_config(url, tmp_path, file=file), clock) as (app, state),
        api_client(app) as client,
    ):
        await client.register("ops@example.com")
        cid = (await client.post("/api/v1/conversations", json={})).json()["id"]
        path = f"/api/v1/conversations/{cid}/messages"
        for _ in range(3):
            assert (await client.post(path, json={"content": "hi", "model": "main"})).is_success
        broken = await client.post(path, json={"content": "hi", "model": "broken"})
        assert broken.status_code == 200  # the error arrives as an SSE event
        limited = await client.post(path, json={"content": "hi"})
        assert limited.status_code == 429
        await GaugeRefresher(state.gate, state.metrics, ["alpha", "beta"])(
            await state.gate.backpressure.refresh_gauges()
        )
        [budget] = [
            await state.gate.budgets.status(limit)
            for limit in state.gate.budget_limits("alpha", None)
        ]
        found = samples((await client.get("/metrics")).text)

    route = "/api/v1/conversations/{conversation_id}/messages"
    assert (
        value(found, "lockgate_http_requests_total", method="POST", route=route, status="200") == 4
    )
    assert (
        value(found, "lockgate_http_requests_total", method="POST", route=route, status="429") == 1
    )
    assert not any("/api/v1/conversations/" + cid in str(key) for key in found)  # templates only
    assert value(found, "external_api_budget_ratio", provider="alpha") == float(
        budget.spent_usd / budget.limit_usd
    )
    assert budget.spent_usd > 0
    assert value(found, "external_api_circuit_breaker_state", provider="beta") == 2
    assert value(found, "external_api_circuit_breaker_state", provider="alpha") == 0
    assert (
        value(found, "external_api_rate_limit_remaining", provider="alpha", kind="requests") == 997
    )
    assert (
        value(
            found,
            "lockgate_provider_tokens_total",
            provider="alpha",
            model="main",
            direction="output",
        )
        > 0
    )
    assert value(found, "lockgate_provider_cost_usd_total", provider="alpha", model="main") == (
        float(budget.spent_usd)
    )
    assert (
        value(
            found,
            "lockgate_provider_call_duration_seconds_count",
            provider="beta",
            model="broken",
            outcome="error",
        )
        == 2
    )
    assert (
        value(
            found,
            "lockgate_breaker_transitions_total",
            provider="beta",
            from_state="closed",
            to_state="open",
        )
        == 1
    )
    assert (
        value(found, "lockgate_budget_reservations_total", scope_kind="provider", result="reserved")
        == 3
    )
    assert value(found, "lockgate_rate_limit_rejections_total", scope="chat") == 1
