"""deploy/helm/lockgate: lints, renders, refuses wrong values, and wires what it promises.

Rendered offline by helm-python-sdk (Helm 4's SDK: the same engine as `helm template`/`helm lint`,
with `values.schema.json` applied). Schemas and pod security of every object: test_k8s_schemas.py;
the shutdown numbers: test_shutdown_numbers.py; agreement with compose: test_compose_and_chart.py.
"""

from __future__ import annotations

import base64
import json
import os
from pathlib import Path
from typing import Any

import helm_python as helm
import pytest
import yaml

from lockgate.secret_strength import secret_problem
from lockgate.settings import FileConfig, Settings
from tests.deploy.support import (
    CHART,
    DEPLOY,
    RELEASE,
    chart_objects,
    env_of,
    named,
    of_kind,
    parse,
    pod_specs,
    render_chart,
    values_file,
)

Doc = dict[str, Any]
FLAVOURS = ["default", "production", "external"]
BUNDLED = {"db": {"deployStandalone": True}, "redis": {"deployStandalone": True}}
EXTERNAL = {
    "db": {"useExisting": True, "secret": {"name": "my-db", "key": "url"}},
    "redis": {"useExisting": True, "secret": {"name": "my-redis", "key": "url"}},
    "redisCache": {"useExisting": True, "secret": {"name": "my-cache", "key": "url"}},
}


def objects(values: Doc) -> tuple[Doc, ...]:
    return parse(render_chart(values, is_install=True))


def server(docs: tuple[Doc, ...]) -> Doc:
    found: list[Doc] = named(docs, "Deployment", RELEASE)["spec"]["template"]["spec"]["containers"]
    [only] = found
    return only


@pytest.mark.parametrize("flavour", FLAVOURS)
def test_chart_lints_without_warnings(flavour: str) -> None:
    report = helm.lint(str(CHART), values_file(flavour), strict=True)
    problems = [m for m in report["messages"] if m["severity"] >= 2]
    assert (report["errors"], problems) == ([], [])


def test_default_values_are_one_replica_on_sqlite_without_extra_servers() -> None:
    docs = chart_objects("default")
    env = env_of(server(docs))
    assert (
        named(docs, "Deployment", RELEASE)["spec"]["replicas"],
        of_kind(docs, "StatefulSet"),
        of_kind(docs, "Job"),
        "LOCKGATE_DATABASE_URL" in env,
        env["LOCKGATE_MIGRATE_ON_START"]["value"],
    ) == (1, [], [], False, "true")


def test_production_values_render_every_optional_object() -> None:
    kinds = {d["kind"] for d in chart_objects("production")}
    assert {
        "HorizontalPodAutoscaler",
        "PodDisruptionBudget",
        "Ingress",
        "HTTPRoute",
        "ServiceMonitor",
        "PrometheusRule",
        "NetworkPolicy",
        "StatefulSet",
        "Job",
    } <= kinds


WRONG_VALUES = [
    ({"replicaCount": "three"}, "/replicaCount"),
    ({"replicaCount": 0}, "/replicaCount"),
    ({"replicaCount": 3}, "/db"),  # several replicas without PostgreSQL
    ({"shutdown": {"preStopSeconds": 5, "graceSeconds": -1, "marginSeconds": 10}}, "graceSeconds"),
    (
        {"redisCache": {"useExisting": False, "deployStandalone": True, "port": 70000}},
        "/redisCache/port",
    ),
    ({"lockgate": {"env": "staging"}}, "/lockgate/env"),
    ({"lockgate": {"env": "production", "settings": {"REDIS_URL": "x"}}}, "'REDIS_URL'"),
    (
        {"lockgate": {"env": "production", "settings": {"LOCKGATE_DATABASE_URL": "x"}}},
        "'LOCKGATE_DATABASE_URL'",
    ),
    (
        {
            "ingress": {
                "enabled": True,
                "hosts": [{"host": "a", "paths": [{"path": "x", "pathType": "Prefix"}]}],
            }
        },
        "path",
    ),
    ({"persistence": {"enabled": True, "accessModes": ["ReadWriteAlways"]}}, "accessModes"),
    ({"serviceMonitor": {"enabled": True, "interval": "15"}}, "interval"),
    ({"replicaCuont": 2}, "replicaCuont"),
]


@pytest.mark.parametrize(("values", "where"), WRONG_VALUES, ids=lambda v: json.dumps(v)[:40])
def test_schema_refuses_a_wrong_value(values: Doc, where: str) -> None:
    with pytest.raises(helm.HelmValuesError, match="schema") as refused:
        render_chart(values)
    assert where in str(refused.value)


UNSAFE = [
    ({"replicaCount": 2, **BUNDLED}, "ReadWriteMany"),
    ({"autoscaling": {"enabled": True}, "db": {"deployStandalone": True}}, "schema"),
    (
        {
            "db": {
                "useExisting": True,
                "deployStandalone": True,
                "secret": {"name": "x", "key": "url"},
            }
        },
        "not both",
    ),
    ({"db": {"useExisting": True, "deployStandalone": False}}, "db.secret.name"),
    ({"persistence": {"enabled": False}}, "SQLite"),
    (
        {"readinessProbe": {"periodSeconds": 15, "failureThreshold": 2}},
        "must not exceed shutdown.graceSeconds",
    ),
    ({"pdb": {"enabled": True, "minAvailable": None, "maxUnavailable": None}}, "pdb: set"),
]


@pytest.mark.parametrize(("values", "message"), UNSAFE, ids=lambda v: json.dumps(v)[:40])
def test_chart_refuses_values_that_break_a_guarantee(values: Doc, message: str) -> None:
    with pytest.raises(helm.HelmError, match=message):
        render_chart(values)


def generated_secret(docs: tuple[Doc, ...]) -> dict[str, str]:
    data = named(docs, "Secret", RELEASE)["data"]
    return {k: base64.b64decode(v).decode() for k, v in data.items()}


def test_generated_secret_key_is_strong_enough_for_production() -> None:
    key = generated_secret(chart_objects("default"))["LOCKGATE_SECRET_KEY"]
    Settings(_env_file=None, env="production", secret_key=key)
    assert secret_problem("LOCKGATE_SECRET_KEY", key) is None


def test_generated_secrets_are_random_never_a_default() -> None:
    first, second = (generated_secret(objects(values_file("production"))) for _ in range(2))
    assert sorted(first) == [
        "LOCKGATE_SECRET_KEY",
        "postgres-password",
        "redis-cache-password",
        "redis-password",
    ]
    assert [k for k in first if first[k] == second[k]] == []


def test_generated_secret_outlives_upgrades_and_uninstall() -> None:
    annotations = named(chart_objects("default"), "Secret", RELEASE)["metadata"]["annotations"]
    template = (CHART / "templates" / "_helpers.tpl").read_text()
    assert (annotations["helm.sh/resource-policy"], 'lookup "v1" "Secret"' in template) == (
        "keep",
        True,
    )


def test_existing_secret_replaces_every_generated_one() -> None:
    """GitOps (no `lookup`): one Secret of yours holds the key and the servers' passwords."""
    docs = objects({**values_file("production"), "secrets": {"existingSecret": "mine"}})
    refs = {
        e["valueFrom"]["secretKeyRef"]["name"]
        for _, pod in pod_specs(docs)
        for c in pod["containers"]
        for e in c.get("env", [])
        if "secretKeyRef" in e.get("valueFrom", {})
    }
    assert (refs, of_kind(docs, "Secret")) == ({"mine"}, [])


@pytest.mark.parametrize("flavour", FLAVOURS)
def test_config_values_become_lockgate_yaml_that_lockgate_accepts(flavour: str) -> None:
    data = named(chart_objects(flavour), "ConfigMap", RELEASE)["data"]["lockgate.yaml"]
    loaded = yaml.safe_load(data)
    FileConfig.model_validate(loaded)
    assert loaded == render_values(flavour)["config"]


def test_production_config_drops_the_simulated_defaults() -> None:
    """Helm merges maps: values-production.yaml removes the default simulated provider and model
    with nulls, so production only offers the providers it configures."""
    data = named(chart_objects("production"), "ConfigMap", RELEASE)["data"]["lockgate.yaml"]
    loaded = yaml.safe_load(data)
    assert (sorted(loaded["providers"]), sorted(loaded["models"])) == (["openai"], ["gpt-4o-mini"])


def render_values(flavour: str) -> Doc:
    with helm.Chart.load(str(CHART)) as chart:
        return chart.merge_values(values_file(flavour))


def test_a_config_change_rolls_the_pods() -> None:
    def checksum(values: Doc) -> str:
        pod = named(objects(values), "Deployment", RELEASE)["spec"]["template"]
        annotation: str = pod["metadata"]["annotations"]["checksum/config"]
        return annotation

    changed = {"config": {"models": {"sim-small": {"max_output_tokens": 1024}}}}
    assert checksum({}) != checksum(changed)


def test_migration_job_runs_before_install_with_an_external_database() -> None:
    [job] = of_kind(objects(EXTERNAL), "Job")
    assert job["metadata"]["annotations"]["helm.sh/hook"] == "pre-install,pre-upgrade"


def test_migration_job_waits_for_the_bundled_database_after_install() -> None:
    [job] = of_kind(chart_objects("production"), "Job")
    [wait] = job["spec"]["template"]["spec"]["initContainers"]
    assert (job["metadata"]["annotations"]["helm.sh/hook"], wait["name"]) == (
        "post-install,pre-upgrade",
        "wait-for-postgresql",
    )


def test_the_secret_hook_is_created_before_the_migration_hook() -> None:
    docs = chart_objects("production")
    weight = {
        d["kind"]: int(d["metadata"]["annotations"]["helm.sh/hook-weight"])
        for d in docs
        if "helm.sh/hook" in d["metadata"].get("annotations", {})
    }
    assert weight["Secret"] < weight["Job"]


def test_pods_and_the_job_migrate_in_exactly_one_place() -> None:
    docs = chart_objects("production")
    [job] = of_kind(docs, "Job")
    [migrate] = job["spec"]["template"]["spec"]["containers"]
    assert (migrate["args"], env_of(server(docs))["LOCKGATE_MIGRATE_ON_START"]["value"]) == (
        ["lockgate", "migrate"],
        "false",
    )


def test_external_stores_come_from_their_secrets() -> None:
    env = env_of(server(objects(EXTERNAL)))
    refs = {
        name: env[name]["valueFrom"]["secretKeyRef"]
        for name in ("LOCKGATE_DATABASE_URL", "LOCKGATE_REDIS_URL", "LOCKGATE_CACHE_REDIS_URL")
    }
    assert refs == {
        "LOCKGATE_DATABASE_URL": {"name": "my-db", "key": "url"},
        "LOCKGATE_REDIS_URL": {"name": "my-redis", "key": "url"},
        "LOCKGATE_CACHE_REDIS_URL": {"name": "my-cache", "key": "url"},
    }


def test_bundled_redis_cache_is_redis_8_on_6380_and_lockgate_points_at_it() -> None:
    docs = chart_objects("production")
    name = f"{RELEASE}-redis-cache"
    [cache] = named(docs, "StatefulSet", name)["spec"]["template"]["spec"]["containers"]
    url = env_of(server(docs))["LOCKGATE_CACHE_REDIS_URL"]["value"]
    assert (cache["image"], cache["ports"][0]["containerPort"], url) == (
        "redis:8",
        6380,
        f"redis://:$(REDIS_CACHE_PASSWORD)@{name}:6380/0",
    )


def test_bundled_servers_require_their_password() -> None:
    docs = chart_objects("production")
    args = {
        d["metadata"]["name"]: d["spec"]["template"]["spec"]["containers"][0]["args"]
        for d in of_kind(docs, "StatefulSet")
        if "redis" in d["metadata"]["name"]
    }
    assert {name: "--requirepass" in a for name, a in args.items()} == {
        f"{RELEASE}-redis": True,
        f"{RELEASE}-redis-cache": True,
    }


def test_alert_rules_have_one_source() -> None:
    """files/alerts.yml is deploy/prometheus/alerts.yml (a symlink, followed by Helm), and the
    PrometheusRule carries exactly its groups: a copy that drifted would fail here."""
    source = DEPLOY / "prometheus" / "alerts.yml"
    [rule] = of_kind(chart_objects("production"), "PrometheusRule")
    assert (
        os.path.realpath(CHART / "files" / "alerts.yml") == str(source),
        rule["spec"]["groups"] == yaml.safe_load(source.read_text())["groups"],
    ) == (True, True)


def test_the_packaged_chart_carries_the_rules_and_dashboards(tmp_path: Path) -> None:
    """`helm package` follows the symlinks: the archive a registry serves has the files."""
    helm.disable_logging()
    archive = helm.package(str(CHART), destination=str(tmp_path))
    with helm.Chart.load(archive) as chart:
        docs = parse(chart.render(values_file("production"), name=RELEASE, namespace="x"))
    [rule] = of_kind(docs, "PrometheusRule")
    dashboards = [m for m in of_kind(docs, "ConfigMap") if "dashboard" in m["metadata"]["name"]]
    source = DEPLOY / "prometheus" / "alerts.yml"
    assert (
        rule["spec"]["groups"] == yaml.safe_load(source.read_text())["groups"],
        len(dashboards),
    ) == (True, len(list((DEPLOY / "grafana" / "dashboards").glob("*.json"))))


def test_dashboards_have_one_source_and_the_sidecar_label() -> None:
    source = DEPLOY / "grafana" / "dashboards"
    maps = [
        m
        for m in of_kind(chart_objects("production"), "ConfigMap")
        if "dashboard" in m["metadata"]["name"]
    ]
    rendered = {k: json.loads(v) for m in maps for k, v in m["data"].items()}
    expected = {p.name: json.loads(p.read_text()) for p in source.glob("*.json")}
    labels = {m["metadata"]["labels"].get("grafana_dashboard") for m in maps}
    assert (
        os.path.realpath(CHART / "files" / "dashboards") == str(source),
        rendered == expected,
        labels,
    ) == (True, True, {"1"})


def test_extra_settings_reach_the_environment() -> None:
    env = env_of(
        server(
            objects(
                {"lockgate": {"env": "production", "settings": {"LOCKGATE_REGISTRATION": "invite"}}}
            )
        )
    )
    assert env["LOCKGATE_REGISTRATION"]["value"] == "invite"


def test_pdb_min_available_wins_over_the_default_max_unavailable() -> None:
    [pdb] = of_kind(chart_objects("external"), "PodDisruptionBudget")
    assert pdb["spec"] == {
        "minAvailable": 1,
        "selector": named(chart_objects("external"), "Deployment", RELEASE)["spec"]["selector"],
    }


def test_ingress_and_httproute_send_traffic_to_the_service() -> None:
    docs = chart_objects("production")
    service = named(docs, "Service", RELEASE)
    [ingress] = of_kind(docs, "Ingress")
    [route] = of_kind(docs, "HTTPRoute")
    [path] = ingress["spec"]["rules"][0]["http"]["paths"]
    [backend] = route["spec"]["rules"][0]["backendRefs"]
    assert (path["backend"]["service"]["name"], backend["name"], backend["port"]) == (
        RELEASE,
        RELEASE,
        service["spec"]["ports"][0]["port"],
    )
