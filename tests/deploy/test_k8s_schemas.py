"""Every object of both Kustomize overlays and both chart renders passes ``kubernetes-validate
--strict`` (no unknown field anywhere), at the oldest Kubernetes the chart supports and the newest
the package knows; and every pod is locked down the same way.

The custom resources (ServiceMonitor, PrometheusRule, HTTPRoute) have no schema in the package: only
those kinds skip it, and they get their own checks (support.crd_problems).
"""

from __future__ import annotations

import re
from typing import Any

import kubernetes_validate
import pytest
from kubernetes_validate.utils import SchemaNotFoundError, latest_version

from tests.deploy.support import (
    CRD_KINDS,
    KUBE_VERSION,
    chart_objects,
    crd_problems,
    is_crd,
    of_kind,
    overlay_objects,
    pod_specs,
    schema_problem,
)

Doc = dict[str, Any]
RENDERS = ["overlay:dev", "overlay:prod", "chart:default", "chart:production", "chart:external"]


def rendered(which: str) -> tuple[Doc, ...]:
    source, name = which.split(":")
    return overlay_objects(name) if source == "overlay" else chart_objects(name)


@pytest.mark.parametrize("which", RENDERS)
@pytest.mark.parametrize("version", [KUBE_VERSION, latest_version()])
def test_every_core_object_passes_kubernetes_validate_strict(which: str, version: str) -> None:
    problems = []
    for doc in rendered(which):
        if is_crd(doc):
            continue
        try:
            kubernetes_validate.validate(doc, version, strict=True)
        except kubernetes_validate.ValidationError as exc:
            problems.append(f"{doc['kind']}/{doc['metadata']['name']}: {exc.message}")
    assert problems == []


@pytest.mark.parametrize(("api_version", "kind"), sorted(CRD_KINDS))
def test_only_custom_resources_skip_the_schemas(api_version: str, kind: str) -> None:
    with pytest.raises(SchemaNotFoundError):
        kubernetes_validate.validate(
            {"apiVersion": api_version, "kind": kind}, KUBE_VERSION, strict=True
        )


def test_the_production_chart_renders_every_custom_resource() -> None:
    kinds = {(d["apiVersion"], d["kind"]) for d in chart_objects("production")}
    assert kinds >= CRD_KINDS


@pytest.mark.parametrize("which", RENDERS)
def test_custom_resources_pass_their_own_checks(which: str) -> None:
    docs = rendered(which)
    assert [p for d in docs if is_crd(d) for p in crd_problems(d, docs)] == []


def test_the_custom_checks_catch_a_servicemonitor_that_selects_nothing() -> None:
    docs = chart_objects("production")
    [monitor] = of_kind(docs, "ServiceMonitor")
    broken = {**monitor, "spec": {**monitor["spec"], "selector": {"matchLabels": {"app": "none"}}}}
    assert crd_problems(broken, docs) != []


def test_strict_validation_catches_an_unknown_field() -> None:
    [deployment] = of_kind(chart_objects("default"), "Deployment")
    broken = {**deployment, "spec": {**deployment["spec"], "replica": 2}}
    assert schema_problem(broken) is not None


def containers(pod: Doc) -> list[Doc]:
    return [*pod.get("initContainers", []), *pod["containers"]]


@pytest.mark.parametrize("which", RENDERS)
def test_every_pod_runs_non_root_on_a_read_only_root_filesystem(which: str) -> None:
    loose = []
    for name, pod in pod_specs(rendered(which)):
        if pod["securityContext"].get("runAsNonRoot") is not True:
            loose.append(f"{name}: runAsNonRoot")
        for c in containers(pod):
            sc = c.get("securityContext", {})
            if (
                sc.get("readOnlyRootFilesystem") is not True
                or sc.get("allowPrivilegeEscalation") is not False
                or sc.get("capabilities", {}).get("drop") != ["ALL"]
            ):
                loose.append(f"{name}/{c['name']}")
    assert loose == []


@pytest.mark.parametrize("which", RENDERS)
def test_every_container_has_requests_and_a_memory_limit(which: str) -> None:
    missing = [
        f"{name}/{c['name']}"
        for name, pod in pod_specs(rendered(which))
        for c in containers(pod)
        if not c.get("resources", {}).get("requests")
        or "memory" not in c["resources"].get("limits", {})
    ]
    assert missing == []


@pytest.mark.parametrize("which", RENDERS)
def test_lockgate_writes_only_to_mounted_volumes(which: str) -> None:
    """The root filesystem is read-only: the data dir and /tmp must be volumes."""
    unmounted = []
    for name, pod in pod_specs(rendered(which)):
        for c in pod["containers"]:
            if c.get("args", [])[:1] != ["lockgate"]:
                continue
            mounts = {m["mountPath"] for m in c.get("volumeMounts", [])}
            needed = {"/tmp"} | ({"/data"} if c["args"] == ["lockgate", "serve"] else set())
            unmounted += [f"{name}: {p}" for p in sorted(needed - mounts)]
    assert unmounted == []


@pytest.mark.parametrize("which", RENDERS)
def test_no_service_link_variables_reach_lockgate(which: str) -> None:
    """Kubernetes injects <SERVICE>_PORT=tcp://... for every Service: a Service named lockgate
    would set LOCKGATE_PORT, a setting. Lockgate's pods turn service links off."""
    linked = [
        name
        for name, pod in pod_specs(rendered(which))
        if any(c.get("args", [])[:1] == ["lockgate"] for c in pod["containers"])
        and pod.get("enableServiceLinks") is not False
    ]
    assert linked == []


@pytest.mark.parametrize("which", RENDERS)
def test_env_references_come_after_what_they_reference(which: str) -> None:
    """Kubernetes expands $(NAME) in a value only from variables listed before it."""
    broken = []
    for name, pod in pod_specs(rendered(which)):
        for c in containers(pod):
            seen: set[str] = set()
            for e in c.get("env", []):
                for ref in re.findall(r"\$\(([A-Z0-9_]+)\)", e.get("value", "")):
                    if ref not in seen:
                        broken.append(f"{name}/{c['name']}: {e['name']} uses $({ref})")
                seen.add(e["name"])
            for arg in c.get("args", []):
                broken += [
                    f"{name}: arg $({r})"
                    for r in re.findall(r"\$\(([A-Z0-9_]+)\)", arg)
                    if r not in seen
                ]
    assert broken == []


@pytest.mark.parametrize("which", RENDERS)
def test_every_service_selects_pods_on_named_ports(which: str) -> None:
    docs = rendered(which)
    templates = [d["spec"]["template"] for d in docs if d["kind"] in {"Deployment", "StatefulSet"}]
    broken = []
    for service in of_kind(docs, "Service"):
        selector = service["spec"]["selector"]
        pods = [t for t in templates if selector.items() <= t["metadata"]["labels"].items()]
        ports = {p["name"] for t in pods for c in t["spec"]["containers"] for p in c["ports"]}
        targets = {p["targetPort"] for p in service["spec"]["ports"]}
        if not pods or targets - ports:
            broken.append(service["metadata"]["name"])
    assert broken == []
