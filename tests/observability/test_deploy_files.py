"""deploy/: dashboards, provisioning and compose files are well formed and consistent.

Docker and Grafana cannot run here, so these read the files; the PromQL itself is checked
against a real Prometheus in test_prometheus_scrape.py. The Kubernetes files (Kustomize overlays,
Helm chart) are rendered and checked in tests/deploy/.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from lockgate.observability.metrics import Metrics
from tests.observability.support import DEPLOY, iter_dashboard_targets
from tests.observability.traffic import exercise

DASHBOARDS = sorted((DEPLOY / "grafana" / "dashboards").glob("*.json"))
METRIC_NAME = re.compile(r"\b(?:lockgate|external_api)_[a-z_]+")


def load_json(path: Path) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return loaded


def load_yaml(path: Path) -> Any:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def exposed_names() -> set[str]:
    metrics = Metrics()
    exercise(metrics, 1)
    return set(METRIC_NAME.findall(metrics.render()[0].decode()))


def test_dashboard_uids_are_unique_and_stable() -> None:
    assert sorted(load_json(p)["uid"] for p in DASHBOARDS) == ["lockgate-api", "lockgate-providers"]


@pytest.mark.parametrize("path", DASHBOARDS, ids=lambda p: p.stem)
def test_every_panel_queries_the_datasource_variable(path: Path) -> None:
    panels = [p for p in load_json(path)["panels"] if p["type"] != "row"]
    assert [p["title"] for p in panels if p["datasource"]["uid"] != "${datasource}"] == []


@pytest.mark.parametrize("path", DASHBOARDS, ids=lambda p: p.stem)
def test_panels_fit_the_grid_and_have_unique_ids(path: Path) -> None:
    panels = load_json(path)["panels"]
    ids = [p["id"] for p in panels]
    too_wide = [p["title"] for p in panels if p["gridPos"]["x"] + p["gridPos"]["w"] > 24]
    assert (too_wide, len(ids) == len(set(ids))) == ([], True)


@pytest.mark.parametrize("path", DASHBOARDS, ids=lambda p: p.stem)
def test_dashboard_queries_use_only_exposed_metrics(path: Path) -> None:
    used = {
        name.removesuffix("_bucket").removesuffix("_count").removesuffix("_sum")
        for _, _, expr in iter_dashboard_targets(load_json(path))
        for name in METRIC_NAME.findall(expr)
    }
    assert used - exposed_names() == set()


def test_alert_rules_use_only_exposed_metrics() -> None:
    text = (DEPLOY / "prometheus" / "alerts.yml").read_text(encoding="utf-8")
    exprs = [r["expr"] for g in yaml.safe_load(text)["groups"] for r in g["rules"]]
    used = {name.removesuffix("_bucket") for e in exprs for name in METRIC_NAME.findall(e)}
    assert used - exposed_names() == set()


def test_grafana_provisioning_points_at_prometheus_and_the_mounted_dashboards() -> None:
    datasources = load_yaml(DEPLOY / "grafana/provisioning/datasources/prometheus.yml")
    providers = load_yaml(DEPLOY / "grafana/provisioning/dashboards/lockgate.yml")
    grafana = load_yaml(DEPLOY / "compose.yaml")["services"]["grafana"]
    mounts = {m.split(":")[1] for m in grafana["volumes"]}
    assert (
        datasources["datasources"][0]["type"],
        providers["providers"][0]["options"]["path"] in mounts,
    ) == ("prometheus", True)


def test_compose_has_the_six_services() -> None:
    services = load_yaml(DEPLOY / "compose.yaml")["services"]
    assert set(services) == {
        "lockgate",
        "postgres",
        "redis",
        "redis-cache",
        "prometheus",
        "grafana",
    }


def test_compose_bind_mounts_exist() -> None:
    services = load_yaml(DEPLOY / "compose.yaml")["services"]
    sources = [
        m.split(":")[0] for s in services.values() for m in s.get("volumes", []) if m[0] == "."
    ]
    assert [s for s in sources if not (DEPLOY / s).exists()] == []


def test_prometheus_scrapes_the_metrics_port_compose_opens() -> None:
    lockgate = load_yaml(DEPLOY / "compose.yaml")["services"]["lockgate"]
    scrape = load_yaml(DEPLOY / "prometheus" / "prometheus.yml")["scrape_configs"][0]
    port = lockgate["environment"]["LOCKGATE_METRICS_PORT"]
    assert scrape["static_configs"][0]["targets"] == [f"lockgate:{port}"]
