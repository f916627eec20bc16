"""Render every deployment flavour once, with the real tools, for the tests of deploy/.

* the Kustomize overlays through ``kubectl kustomize`` (kubectl is part of the machine image; a
  missing or too old one is a `MissingTestDependencyError`, never a skip);
* the Helm chart through ``helm-python-sdk`` (Helm 4's Go SDK in a wheel: no helm binary, no
  cluster, no network), with its default values and with ``values-production.yaml``;
* every object checked by ``kubernetes-validate --strict`` against the Kubernetes version the
  chart declares as its minimum; the custom resources (ServiceMonitor, PrometheusRule, HTTPRoute)
  have no schema there and get their own checks (:func:`crd_problems`).

    docs = chart_objects("production")
    [deployment] = of_kind(docs, "Deployment")
"""

from __future__ import annotations

import functools
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import helm_python as helm
import kubernetes_validate
import yaml

from tests.fixtures.binaries import MissingTestDependencyError

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
CHART = DEPLOY / "helm" / "lockgate"
OVERLAYS = DEPLOY / "k8s" / "overlays"
RELEASE = "lockgate"
NAMESPACE = "lockgate"
# The oldest Kubernetes the chart supports (Chart.yaml kubeVersion): fields newer than it fail.
KUBE_VERSION = "1.29"
MIN_KUSTOMIZE = (5, 0)
CRD_KINDS = {
    ("monitoring.coreos.com/v1", "ServiceMonitor"),
    ("monitoring.coreos.com/v1", "PrometheusRule"),
    ("gateway.networking.k8s.io/v1", "HTTPRoute"),
}
KUBECTL_HINT = (
    "kubectl with Kustomize v5 is needed to render deploy/k8s/overlays: it comes with the machine "
    "image (the `kubectl` package of the Google Cloud SDK). Debian 12's `kubernetes-client` (1.20, "
    "Kustomize v2) is too old. Install a current kubectl and put it on PATH."
)
Doc = dict[str, Any]


def kubectl() -> str:
    """The kubectl binary, checked to embed Kustomize v5 or newer."""
    path = shutil.which("kubectl")
    if path is None:
        raise MissingTestDependencyError(f"kubectl not found. {KUBECTL_HINT}")
    out = subprocess.run(
        [path, "version", "--client"], capture_output=True, text=True, timeout=30, check=False
    ).stdout
    found = re.search(r"Kustomize Version: v(\d+)\.(\d+)", out)
    if found is None or (int(found[1]), int(found[2])) < MIN_KUSTOMIZE:
        raise MissingTestDependencyError(
            f"{path} has no Kustomize v5 ({out.strip()!r}). {KUBECTL_HINT}"
        )
    return path


@functools.cache
def overlay_objects(overlay: str) -> tuple[Doc, ...]:
    """``kubectl kustomize deploy/k8s/overlays/<overlay>``, parsed."""
    done = subprocess.run(
        [kubectl(), "kustomize", str(OVERLAYS / overlay)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return tuple(d for d in yaml.safe_load_all(done.stdout) if d)


def values_file(name: str) -> Doc:
    """The values of a named flavour: ``default`` (values.yaml alone), ``production``
    (values-production.yaml) or ``external`` (ci/external-values.yaml: managed stores)."""
    if name == "default":
        return {}
    path = (
        CHART / "ci" / f"{name}-values.yaml"
        if name == "external"
        else CHART / f"values-{name}.yaml"
    )
    loaded: Doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    return loaded


def render_chart(values: Doc | None = None, **options: Any) -> dict[str, str]:
    """The chart's templates rendered offline (``helm template``), by template path."""
    helm.disable_logging()
    with helm.Chart.load(str(CHART)) as chart:
        return chart.render(values or {}, name=RELEASE, namespace=NAMESPACE, **options)


def parse(manifests: dict[str, str]) -> tuple[Doc, ...]:
    return tuple(
        doc
        for path, text in sorted(manifests.items())
        if not path.endswith("NOTES.txt")
        for doc in yaml.safe_load_all(text)
        if doc
    )


@functools.cache
def chart_objects(flavour: str) -> tuple[Doc, ...]:
    """Every object the chart renders with the named values, hooks included."""
    return parse(render_chart(values_file(flavour), is_install=True))


def of_kind(docs: tuple[Doc, ...] | list[Doc], kind: str) -> list[Doc]:
    return [d for d in docs if d["kind"] == kind]


def named(docs: tuple[Doc, ...] | list[Doc], kind: str, name: str) -> Doc:
    [found] = [d for d in of_kind(docs, kind) if d["metadata"]["name"] == name]
    return found


def pod_specs(docs: tuple[Doc, ...] | list[Doc]) -> list[tuple[str, Doc]]:
    """(object name, pod spec) of every Deployment, StatefulSet and Job."""
    return [
        (f"{d['kind']}/{d['metadata']['name']}", d["spec"]["template"]["spec"])
        for d in docs
        if d["kind"] in {"Deployment", "StatefulSet", "Job"}
    ]


def env_of(container: Doc) -> dict[str, Doc]:
    return {e["name"]: e for e in container.get("env", [])}


def schema_problem(doc: Doc) -> str | None:
    """kubernetes-validate --strict on one core object: None when it passes."""
    try:
        kubernetes_validate.validate(doc, KUBE_VERSION, strict=True)
    except kubernetes_validate.ValidationError as exc:
        path = ".".join(str(p) for p in exc.path)
        return f"{doc['kind']}/{doc['metadata']['name']}: {path}: {exc.message}"
    return None


def is_crd(doc: Doc) -> bool:
    return (doc["apiVersion"], doc["kind"]) in CRD_KINDS


def crd_problems(doc: Doc, docs: tuple[Doc, ...]) -> list[str]:
    """What kubernetes-validate cannot see in a custom resource: the fields its operator needs,
    and that its references point at objects of the same render."""
    problems: list[str] = []
    kind, spec = doc["kind"], doc.get("spec", {})
    name = doc["metadata"].get("name", "")
    if not re.fullmatch(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?", name) or len(name) > 63:
        problems.append(f"{kind}: bad name {name!r}")
    unknown = set(doc) - {"apiVersion", "kind", "metadata", "spec"}
    if unknown:
        problems.append(f"{kind}/{name}: unknown top-level keys {sorted(unknown)}")
    services = of_kind(docs, "Service")
    if kind == "ServiceMonitor":
        selector = spec["selector"]["matchLabels"]
        matching = [s for s in services if selector.items() <= s["metadata"]["labels"].items()]
        ports = {p["name"] for s in matching for p in s["spec"]["ports"]}
        if not matching or {e["port"] for e in spec["endpoints"]} - ports:
            problems.append(f"ServiceMonitor/{name}: selects no Service with its endpoint ports")
    elif kind == "PrometheusRule":
        for group in spec["groups"]:
            for rule in group["rules"]:
                if set(rule) - {
                    "alert",
                    "record",
                    "expr",
                    "for",
                    "labels",
                    "annotations",
                    "keep_firing_for",
                }:
                    problems.append(
                        f"PrometheusRule/{name}: rule {rule.get('alert')} has unknown keys"
                    )
                if not isinstance(rule.get("expr"), str) or not ("alert" in rule) ^ (
                    "record" in rule
                ):
                    problems.append(
                        f"PrometheusRule/{name}: rule {rule} needs expr and alert|record"
                    )
    elif kind == "HTTPRoute":
        names = {s["metadata"]["name"]: {p["port"] for p in s["spec"]["ports"]} for s in services}
        for rule in spec["rules"]:
            for ref in rule["backendRefs"]:
                if ref["port"] not in names.get(ref["name"], set()):
                    problems.append(f"HTTPRoute/{name}: backend {ref} is not a Service port")
        if not spec.get("parentRefs"):
            problems.append(f"HTTPRoute/{name}: no parentRefs")
    return problems
