"""compose.yaml, the Helm chart and the Kustomize overlays name the same images, ports and
settings, and every setting they pass is one Lockgate reads (src/lockgate/settings.py)."""

from __future__ import annotations

import re
from typing import Any

import pytest
import yaml

from lockgate.settings import Settings
from tests.deploy.support import (
    DEPLOY,
    RELEASE,
    chart_objects,
    named,
    of_kind,
    overlay_objects,
    pod_specs,
)

Doc = dict[str, Any]
# compose service -> the chart's component label of the same server
STORES = {"postgres": "postgresql", "redis": "redis", "redis-cache": "redis-cache"}
URL_PORT = re.compile(r"@?([a-z0-9-]+):(\d+)/")


def compose() -> Doc:
    loaded: Doc = yaml.safe_load((DEPLOY / "compose.yaml").read_text())
    return loaded


def chart_store(component: str) -> Doc:
    [sts] = [
        d
        for d in of_kind(chart_objects("production"), "StatefulSet")
        if d["metadata"]["labels"]["app.kubernetes.io/component"] == component
    ]
    containers: list[Doc] = sts["spec"]["template"]["spec"]["containers"]
    [only] = containers
    return only


def chart_server_env() -> dict[str, Doc]:
    [c] = named(chart_objects("production"), "Deployment", RELEASE)["spec"]["template"]["spec"][
        "containers"
    ]
    return {e["name"]: e for e in c["env"]}


def compose_port(service: str) -> int:
    """The port a compose store listens on: --port in its command, else the image's default."""
    command = compose()["services"][service].get("command", [])
    if "--port" in command:
        return int(command[command.index("--port") + 1])
    return {"postgres": 5432, "redis": 6379}[service]


@pytest.mark.parametrize("service", sorted(STORES))
def test_compose_and_chart_run_the_same_image(service: str) -> None:
    assert compose()["services"][service]["image"] == chart_store(STORES[service])["image"]


@pytest.mark.parametrize("service", sorted(STORES))
def test_compose_and_chart_listen_on_the_same_port(service: str) -> None:
    assert compose_port(service) == chart_store(STORES[service])["ports"][0]["containerPort"]


@pytest.mark.parametrize(
    ("variable", "service"),
    [
        ("LOCKGATE_DATABASE_URL", "postgres"),
        ("LOCKGATE_REDIS_URL", "redis"),
        ("LOCKGATE_CACHE_REDIS_URL", "redis-cache"),
    ],
)
def test_lockgate_reaches_each_store_on_its_port_in_both(variable: str, service: str) -> None:
    compose_url = compose()["services"]["lockgate"]["environment"][variable]
    chart_url = chart_server_env()[variable]["value"]
    hosts_ports = [URL_PORT.search(u) for u in (compose_url, chart_url)]
    assert [(m[1], int(m[2])) for m in hosts_ports if m] == [
        (service, compose_port(service)),
        (f"{RELEASE}-{STORES[service]}", compose_port(service)),
    ]


def test_lockgate_ports_agree() -> None:
    lockgate = compose()["services"]["lockgate"]
    command = lockgate["command"]
    env = chart_server_env()
    assert (
        int(command[command.index("--port") + 1]),
        int(lockgate["environment"]["LOCKGATE_METRICS_PORT"]),
    ) == (int(env["LOCKGATE_PORT"]["value"]), int(env["LOCKGATE_METRICS_PORT"]["value"]))


COMPOSE_ONLY = {
    # compose runs two workers per container (the chart: one per pod), which share this directory
    "PROMETHEUS_MULTIPROC_DIR",
    # a secret: with the chart it comes from a Secret listed in environmentSecrets
    "SENTRY_DSN",
}


def test_compose_sets_no_setting_the_chart_lacks() -> None:
    names = set(compose()["services"]["lockgate"]["environment"])
    assert names - COMPOSE_ONLY - set(chart_server_env()) == set()


def settings_variables() -> set[str]:
    """Every environment variable Settings reads: LOCKGATE_<FIELD> or the field's alias."""
    return {
        f.validation_alias if isinstance(f.validation_alias, str) else f"LOCKGATE_{name.upper()}"
        for name, f in Settings.model_fields.items()
    }


def env_names_and_helpers(docs: tuple[Doc, ...]) -> tuple[set[str], set[str]]:
    """(names set in Lockgate containers, names used as $(NAME) by another value)."""
    names: set[str] = set()
    helpers: set[str] = set()
    for _, pod in pod_specs(docs):
        for c in pod["containers"]:
            if c.get("args", [])[:1] != ["lockgate"]:
                continue
            for e in c.get("env", []):
                names.add(e["name"])
                helpers |= set(re.findall(r"\$\(([A-Z0-9_]+)\)", e.get("value", "")))
            for ref in c.get("envFrom", []):
                if "configMapRef" in ref:
                    names |= set(named(docs, "ConfigMap", ref["configMapRef"]["name"])["data"])
    return names, helpers


@pytest.mark.parametrize(
    "which", ["chart:default", "chart:production", "chart:external", "overlay:dev", "overlay:prod"]
)
def test_every_variable_set_is_a_lockgate_setting(which: str) -> None:
    source, name = which.split(":")
    docs = chart_objects(name) if source == "chart" else overlay_objects(name)
    names, helpers = env_names_and_helpers(docs)
    assert names - helpers - settings_variables() == set()


def test_every_compose_variable_is_a_lockgate_setting() -> None:
    names = set(compose()["services"]["lockgate"]["environment"])
    assert names - settings_variables() == set()


def test_the_cache_redis_evicts_only_what_expires_in_all_three() -> None:
    """volatile-lru: cached answers (which all expire) are evicted under memory pressure; the
    search and document vectors (no expiry) never are (`lockgate.vectors.base.NO_EXPIRY`)."""
    [kustomize] = named(overlay_objects("prod"), "StatefulSet", "lockgate-redis-cache")["spec"][
        "template"
    ]["spec"]["containers"]
    for command in (
        compose()["services"]["redis-cache"]["command"],
        chart_store("redis-cache")["args"],
        kustomize["args"],
    ):
        assert command[command.index("--maxmemory-policy") + 1] == "volatile-lru", command
