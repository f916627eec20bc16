"""deploy/: dashboards, provisioning, compose and Kubernetes files are well formed and consistent.

Docker, Grafana and a cluster cannot run here, so these read the files; the PromQL itself is
checked against a real Prometheus in test_prometheus_scrape.py.
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


def k8s_documents() -> list[dict[str, Any]]:
    return [
        doc
        for path in sorted((DEPLOY / "k8s").glob("*.yaml"))
        for doc in yaml.safe_load_all(path.read_text(encoding="utf-8"))
        if doc and doc["kind"] != "Kustomization"
    ]


def k8s(kind: str, name: str) -> dict[str, Any]:
    [found] = [d for d in k8s_documents() if d["kind"] == kind and d["metadata"]["name"] == name]
    return found


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


def test_compose_has_the_five_services() -> None:
    services = load_yaml(DEPLOY / "compose.yaml")["services"]
    assert set(services) == {"lockgate", "postgres", "redis", "prometheus", "grafana"}


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


def test_k8s_probes_use_the_health_endpoints() -> None:
    [container] = k8s("Deployment", "lockgate")["spec"]["template"]["spec"]["containers"]
    assert (
        container["readinessProbe"]["httpGet"]["path"],
        container["livenessProbe"]["httpGet"]["path"],
    ) == ("/health/ready", "/health/live")


def test_k8s_probe_and_service_ports_are_named_container_ports() -> None:
    [container] = k8s("Deployment", "lockgate")["spec"]["template"]["spec"]["containers"]
    names = {p["name"] for p in container["ports"]}
    probes = {container[p]["httpGet"]["port"] for p in ("readinessProbe", "livenessProbe")}
    targets = {p["targetPort"] for p in k8s("Service", "lockgate")["spec"]["ports"]}
    assert (probes | targets) - names == set()


def test_k8s_service_selects_the_deployment_pods() -> None:
    pod_labels = k8s("Deployment", "lockgate")["spec"]["template"]["metadata"]["labels"]
    selector = k8s("Service", "lockgate")["spec"]["selector"]
    assert selector.items() <= pod_labels.items()


def test_k8s_config_and_secret_references_exist() -> None:
    pod = k8s("Deployment", "lockgate")["spec"]["template"]["spec"]
    [container] = pod["containers"]
    refs = {
        ("ConfigMap", e["configMapRef"]["name"])
        if "configMapRef" in e
        else ("Secret", e["secretRef"]["name"])
        for e in container["envFrom"]
    } | {("ConfigMap", v["configMap"]["name"]) for v in pod["volumes"] if "configMap" in v}
    defined = {(d["kind"], d["metadata"]["name"]) for d in k8s_documents()}
    assert refs - defined == set()  # fmt: skip


def test_kustomization_lists_existing_files_and_not_the_example_secret() -> None:
    resources = load_yaml(DEPLOY / "k8s" / "kustomization.yaml")["resources"]
    missing = [r for r in resources if not (DEPLOY / "k8s" / r).exists()]
    assert (missing, "secret.example.yaml" in resources) == ([], False)
