"""A real Prometheus scrapes a running Lockgate under load, and every dashboard query returns data.

The dashboards cannot drift from the metric names: each PromQL expression of each panel (with
Grafana's macros and "All" variables filled in) must parse and return at least one finite value.
The alert rules are loaded into the same Prometheus and must evaluate without error.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.observability.lockgate_traffic import BUDGET_LIMIT_USD, PASSWORD, LockgateTraffic
from tests.observability.support import (
    DEPLOY,
    PrometheusServer,
    expand_grafana,
    iter_dashboard_targets,
    poll,
)

pytestmark = pytest.mark.slow

DASHBOARDS = sorted((DEPLOY / "grafana" / "dashboards").glob("*.json"))
DATA_TIMEOUT = 60.0


def _dashboard(path: Any) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return loaded


def _all_values(dashboard: dict[str, Any]) -> dict[str, str]:
    return {
        f"${v['name']}": v.get("allValue", ".*")
        for v in dashboard["templating"]["list"]
        if v["type"] == "query"
    }


def _queries() -> list[Any]:
    params = []
    for path in DASHBOARDS:
        dashboard = _dashboard(path)
        variables = _all_values(dashboard)
        for title, ref, expr in iter_dashboard_targets(dashboard):
            expanded = expand_grafana(expr, variables)
            params.append(pytest.param(expanded, id=f"{path.stem}:{title}:{ref}"))
    return params


def _variables() -> list[Any]:
    params = []
    for path in DASHBOARDS:
        for variable in _dashboard(path)["templating"]["list"]:
            if variable["type"] == "query":
                params.append(pytest.param(variable, id=f"{path.stem}:{variable['name']}"))
    return params


@pytest.fixture(scope="module")
def traffic(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LockgateTraffic]:
    with LockgateTraffic(tmp_path_factory.mktemp("scraped")) as running:
        yield running


@pytest.fixture(scope="module")
def prometheus(traffic: LockgateTraffic) -> Iterator[PrometheusServer]:
    token = traffic.token
    config = f"""
global:
  scrape_interval: 1s
  evaluation_interval: 1s
rule_files: [alerts.yml]
scrape_configs:
  - job_name: lockgate
    authorization:
      credentials: {token}
    static_configs:
      - targets: ["127.0.0.1:{traffic.port}"]
"""
    alerts = (DEPLOY / "prometheus" / "alerts.yml").read_text(encoding="utf-8")
    with PrometheusServer(config, files={"alerts.yml": alerts}) as server:
        poll(
            lambda: _target_health(server) == "up",
            timeout=DATA_TIMEOUT,
            what="the metrics target to be scraped with the bearer token",
        )
        yield server


def _target_health(server: PrometheusServer) -> str:
    targets = server.api("targets")["activeTargets"]
    return str(targets[0]["health"]) if targets else "none"


def _finite(result: list[dict[str, Any]]) -> bool:
    return any(math.isfinite(float(sample["value"][1])) for sample in result)


def test_dashboards_have_queries() -> None:
    assert len(DASHBOARDS) == 2
    assert len(_queries()) >= 30


@pytest.mark.parametrize("expr", _queries())
def test_dashboard_query_returns_data(prometheus: PrometheusServer, expr: str) -> None:
    prometheus.query(expr)  # raises PromQLError at once when it does not parse
    poll(
        lambda: _finite(prometheus.query(expr)),
        timeout=DATA_TIMEOUT,
        what=f"data for {expr}",
    )


@pytest.mark.parametrize("variable", _variables())
def test_dashboard_variable_has_values(prometheus: PrometheusServer, variable: Any) -> None:
    metric, label = variable["definition"].removeprefix("label_values(").rstrip(")").split(", ")
    poll(
        lambda: bool(prometheus.api(f"label/{label}/values", **{"match[]": metric})),
        timeout=DATA_TIMEOUT,
        what=f"values of {label} on {metric}",
    )


def test_budget_ratio_is_spent_over_limit(
    prometheus: PrometheusServer, traffic: LockgateTraffic
) -> None:
    expr = 'external_api_budget_ratio{provider="openai"}'
    poll(lambda: bool(prometheus.query(expr)), timeout=DATA_TIMEOUT, what=expr)
    scraped = float(prometheus.query(expr)[0]["value"][1])
    assert 0 < scraped <= 1.0
    # The gauge is the budget's (spent + reserved) / limit as the gate reports it.
    with httpx.Client(base_url=traffic.server.url) as client:
        client.post("/api/v1/auth/login", json={"email": "load@example.com", "password": PASSWORD})
        budget = next(
            p for p in client.get("/health/providers").json()["providers"] if p["name"] == "openai"
        )["budgets"][0]
    assert float(budget["limit_usd"]) == float(BUDGET_LIMIT_USD)
    assert budget["ratio"] == pytest.approx(
        (float(budget["spent_usd"]) + float(budget["reserved_usd"])) / float(BUDGET_LIMIT_USD)
    )


def test_alert_rules_evaluate_without_error(prometheus: PrometheusServer) -> None:
    def evaluated() -> bool:
        rules = [r for g in prometheus.api("rules")["groups"] for r in g["rules"]]
        return len(rules) >= 9 and all(r.get("lastEvaluation", "").startswith("2") for r in rules)

    poll(evaluated, timeout=DATA_TIMEOUT, what="a first evaluation of every alert rule")
    rules = [r for g in prometheus.api("rules")["groups"] for r in g["rules"]]
    assert [
        (r["name"], r["health"], r.get("lastError", "")) for r in rules if r["health"] != "ok"
    ] == []
