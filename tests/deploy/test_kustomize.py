"""deploy/k8s: both overlays render with ``kubectl kustomize`` and say what they promise.

dev: one replica on SQLite (a ReadWriteOnce volume, Recreate), the simulated provider, migrations at
start, no Secret required. prod: three replicas, PostgreSQL, the gate's Redis, redis-cache on 6380,
HPA, PDB, NetworkPolicies, the migration Job. Schemas and pod security are checked for every
object in test_k8s_schemas.py.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
import yaml

from lockgate.settings import FileConfig
from tests.deploy.support import OVERLAYS, named, of_kind, overlay_objects, pod_specs

Doc = dict[str, Any]
BOTH = ["dev", "prod"]


def deployment(overlay: str) -> Doc:
    return named(overlay_objects(overlay), "Deployment", "lockgate")


def container(overlay: str) -> Doc:
    found: list[Doc] = deployment(overlay)["spec"]["template"]["spec"]["containers"]
    [only] = found
    return only


def settings_env(overlay: str) -> dict[str, str]:
    """The environment the lockgate container gets from its ConfigMaps."""
    docs = overlay_objects(overlay)
    names = [
        e["configMapRef"]["name"] for e in container(overlay)["envFrom"] if "configMapRef" in e
    ]
    return {k: v for n in names for k, v in named(docs, "ConfigMap", n)["data"].items()}


def lockgate_yaml(overlay: str) -> Doc:
    pod = deployment(overlay)["spec"]["template"]["spec"]
    [volume] = [v for v in pod["volumes"] if v["name"] == "config"]
    data = named(overlay_objects(overlay), "ConfigMap", volume["configMap"]["name"])["data"]
    loaded: Doc = yaml.safe_load(data["lockgate.yaml"])
    return loaded


@pytest.mark.parametrize("overlay", BOTH)
def test_overlay_renders_with_kubectl_kustomize(overlay: str) -> None:
    kinds = {d["kind"] for d in overlay_objects(overlay)}
    assert {"Deployment", "Service", "ConfigMap", "PersistentVolumeClaim"} <= kinds


@pytest.mark.parametrize("overlay", BOTH)
def test_lockgate_yaml_is_accepted_by_lockgate(overlay: str) -> None:
    FileConfig.model_validate(lockgate_yaml(overlay))


def test_dev_is_one_replica_on_sqlite_replaced_not_rolled() -> None:
    env = settings_env("dev")
    spec = deployment("dev")["spec"]
    assert (spec["replicas"], spec["strategy"]["type"], "LOCKGATE_DATABASE_URL" in env) == (
        1,
        "Recreate",
        False,
    )


def test_dev_migrates_at_start_and_has_no_job() -> None:
    env = settings_env("dev")
    assert (env["LOCKGATE_MIGRATE_ON_START"], of_kind(overlay_objects("dev"), "Job")) == (
        "true",
        [],
    )


def test_dev_uses_only_the_simulated_provider() -> None:
    providers = lockgate_yaml("dev")["providers"]
    assert {p["type"] for p in providers.values()} == {"simulated"}


def test_dev_needs_no_secret() -> None:
    [ref] = [e["secretRef"] for e in container("dev")["envFrom"] if "secretRef" in e]
    assert (ref["optional"], settings_env("dev")["LOCKGATE_ENV"]) == (True, "development")


def test_prod_runs_three_replicas_with_an_hpa_from_three() -> None:
    [hpa] = of_kind(overlay_objects("prod"), "HorizontalPodAutoscaler")
    assert (deployment("prod")["spec"]["replicas"], hpa["spec"]["minReplicas"]) == (3, 3)


def test_prod_pdb_covers_the_server_pods() -> None:
    [pdb] = of_kind(overlay_objects("prod"), "PodDisruptionBudget")
    labels = deployment("prod")["spec"]["template"]["metadata"]["labels"]
    assert pdb["spec"]["selector"]["matchLabels"].items() <= labels.items()


def test_prod_shares_the_data_volume_between_replicas() -> None:
    [pvc] = of_kind(overlay_objects("prod"), "PersistentVolumeClaim")
    assert pvc["spec"]["accessModes"] == ["ReadWriteMany"]


def test_prod_migrates_in_a_job_not_at_start() -> None:
    [job] = of_kind(overlay_objects("prod"), "Job")
    [migrate] = job["spec"]["template"]["spec"]["containers"]
    assert (migrate["args"], settings_env("prod")["LOCKGATE_MIGRATE_ON_START"]) == (
        ["lockgate", "migrate"],
        "false",
    )


STORES = [
    ("lockgate-postgres", "postgres:16-alpine", 5432),
    ("lockgate-redis", "redis:7-alpine", 6379),
    ("lockgate-redis-cache", "redis:8", 6380),
]


@pytest.mark.parametrize(("name", "image", "port"), STORES)
def test_prod_runs_each_store_behind_a_service(name: str, image: str, port: int) -> None:
    docs = overlay_objects("prod")
    [store] = named(docs, "StatefulSet", name)["spec"]["template"]["spec"]["containers"]
    service = named(docs, "Service", name)
    assert (store["image"], [p["port"] for p in service["spec"]["ports"]]) == (image, [port])


def test_prod_points_lockgate_at_both_redis_servers() -> None:
    env = settings_env("prod")
    assert (env["LOCKGATE_REDIS_URL"], env["LOCKGATE_CACHE_REDIS_URL"]) == (
        "redis://lockgate-redis:6379/0",
        "redis://lockgate-redis-cache:6380/0",
    )


@pytest.mark.parametrize(("name", "image", "port"), STORES)
def test_prod_store_accepts_only_lockgate_pods(name: str, image: str, port: int) -> None:
    docs = overlay_objects("prod")
    store_labels = named(docs, "StatefulSet", name)["spec"]["template"]["metadata"]["labels"]
    server_labels = deployment("prod")["spec"]["template"]["metadata"]["labels"]
    [policy] = [
        p
        for p in of_kind(docs, "NetworkPolicy")
        if p["spec"]["podSelector"]["matchLabels"].items() <= store_labels.items()
    ]
    [rule] = policy["spec"]["ingress"]
    [peer] = rule["from"]
    assert (
        peer["podSelector"]["matchLabels"].items() <= server_labels.items(),
        [p["port"] for p in rule["ports"]],
    ) == (True, [port])


# Moved from tests/observability/test_deploy_files.py, now on the rendered overlays.
@pytest.mark.parametrize("overlay", BOTH)
def test_k8s_probes_use_the_health_endpoints(overlay: str) -> None:
    main = container(overlay)
    assert (
        main["readinessProbe"]["httpGet"]["path"],
        main["livenessProbe"]["httpGet"]["path"],
    ) == ("/health/ready", "/health/live")


@pytest.mark.parametrize("overlay", BOTH)
def test_k8s_probe_and_service_ports_are_named_container_ports(overlay: str) -> None:
    main = container(overlay)
    names = {p["name"] for p in main["ports"]}
    probes = {main[p]["httpGet"]["port"] for p in ("readinessProbe", "livenessProbe")}
    service = named(overlay_objects(overlay), "Service", "lockgate")
    targets = {p["targetPort"] for p in service["spec"]["ports"]}
    assert (probes | targets) - names == set()


@pytest.mark.parametrize("overlay", BOTH)
def test_k8s_service_selects_the_deployment_pods(overlay: str) -> None:
    pod_labels = deployment(overlay)["spec"]["template"]["metadata"]["labels"]
    selector = named(overlay_objects(overlay), "Service", "lockgate")["spec"]["selector"]
    assert selector.items() <= pod_labels.items()


# Made out of band (deploy/k8s/overlays/prod/secret.example.yaml says how).
EXTERNAL_SECRETS = {"lockgate-secrets", "lockgate-postgres"}


@pytest.mark.parametrize("overlay", BOTH)
def test_k8s_config_and_secret_references_exist(overlay: str) -> None:
    docs = overlay_objects(overlay)
    refs: set[tuple[str, str]] = set()
    for _, pod in pod_specs(docs):
        for c in pod["containers"]:
            for e in c.get("envFrom", []):
                kind, ref = (
                    ("ConfigMap", e["configMapRef"])
                    if "configMapRef" in e
                    else ("Secret", e["secretRef"])
                )
                refs.add((kind, ref["name"]))
            for e in c.get("env", []):
                if "secretKeyRef" in e.get("valueFrom", {}):
                    refs.add(("Secret", e["valueFrom"]["secretKeyRef"]["name"]))
        refs |= {
            ("ConfigMap", v["configMap"]["name"])
            for v in pod.get("volumes", [])
            if "configMap" in v
        }
    defined = {(d["kind"], d["metadata"]["name"]) for d in docs}
    defined |= {("Secret", name) for name in EXTERNAL_SECRETS}
    assert refs - defined == set()


def test_the_example_secret_is_never_applied() -> None:
    resources = yaml.safe_load((OVERLAYS / "prod" / "kustomization.yaml").read_text())["resources"]
    kinds = {d["kind"] for d in overlay_objects("prod")}
    assert ("secret.example.yaml" in resources, "Secret" in kinds) == (False, False)


@pytest.mark.parametrize("overlay", BOTH)
def test_changed_settings_roll_the_pods(overlay: str) -> None:
    """The ConfigMaps are generated with a content hash in their name, and the pods refer to it."""
    [ref] = [
        e["configMapRef"]["name"] for e in container(overlay)["envFrom"] if "configMapRef" in e
    ]
    assert re.fullmatch(r"lockgate-env-[a-z0-9]{10}", ref)
