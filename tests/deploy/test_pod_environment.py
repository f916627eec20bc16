"""The environment Kubernetes assembles for a Lockgate pod is one Lockgate accepts.

For each render, the server container's environment is built the way the kubelet does it
(`envFrom` ConfigMaps and Secrets in order, then `env`, with `$(NAME)` expanded from the variables
before it), Secrets filled from the chart's generated Secret or, for the ones an operator creates,
with values of the documented shape; then `load_config` must accept it in production mode, with the
rendered lockgate.yaml, and see the stores the flavour promises.
"""

from __future__ import annotations

import base64
import os
import re
import secrets
from pathlib import Path
from typing import Any

import pytest

from lockgate.settings import Config, load_config
from tests.deploy.support import RELEASE, chart_objects, named, of_kind, overlay_objects

Doc = dict[str, Any]

# Secrets an operator creates (secret.example.yaml, ci/external-values.yaml), by name and key.
OPERATOR_SECRETS: dict[str, dict[str, str]] = {
    "lockgate-secrets": {
        "LOCKGATE_SECRET_KEY": secrets.token_urlsafe(48),
        "LOCKGATE_DATABASE_URL": "postgresql+asyncpg://lockgate:pw@lockgate-postgres:5432/lockgate",
        "OPENAI_API_KEY": "sk-test",
    },
    "lockgate-postgres": {"POSTGRES_PASSWORD": "pw"},
    "lockgate-database": {"url": "postgresql+asyncpg://lockgate:pw@db.internal:5432/lockgate"},
    "lockgate-redis": {"url": "redis://:pw@redis.internal:6379/0"},
    "lockgate-redis-cache": {"url": "redis://:pw@cache.internal:6380/0"},
    "lockgate-providers": {"OPENAI_API_KEY": "sk-test"},
}


def secret_data(docs: tuple[Doc, ...], name: str) -> dict[str, str]:
    rendered = [s for s in of_kind(docs, "Secret") if s["metadata"]["name"] == name]
    if rendered:
        return {k: base64.b64decode(v).decode() for k, v in rendered[0]["data"].items()}
    return OPERATOR_SECRETS[name]


def expand(value: str, env: dict[str, str]) -> str:
    return re.sub(r"\$\(([A-Za-z0-9_]+)\)", lambda m: env.get(m[1], m[0]), value)


def pod_environment(docs: tuple[Doc, ...], deployment: str) -> tuple[dict[str, str], Doc]:
    """(environment, pod spec) of the Deployment's lockgate container, as the kubelet builds it."""
    pod = named(docs, "Deployment", deployment)["spec"]["template"]["spec"]
    [container] = pod["containers"]
    env: dict[str, str] = {}
    for source in container.get("envFrom", []):
        if "configMapRef" in source:
            env.update(named(docs, "ConfigMap", source["configMapRef"]["name"])["data"])
        elif not source["secretRef"].get("optional"):  # an optional one is left out: none made
            env.update(secret_data(docs, source["secretRef"]["name"]))
    for item in container.get("env", []):
        if "value" in item:
            env[item["name"]] = expand(item["value"], env)
        else:
            ref = item["valueFrom"]["secretKeyRef"]
            env[item["name"]] = secret_data(docs, ref["name"])[ref["key"]]
    return env, pod


def load_as_pod(
    docs: tuple[Doc, ...], deployment: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Config:
    env, pod = pod_environment(docs, deployment)
    [config] = [v for v in pod["volumes"] if v["name"] == "config"]
    lockgate_yaml = named(docs, "ConfigMap", config["configMap"]["name"])["data"]["lockgate.yaml"]
    (tmp_path / "lockgate.yaml").write_text(lockgate_yaml)
    env |= {
        "LOCKGATE_CONFIG_FILE": str(tmp_path / "lockgate.yaml"),
        "LOCKGATE_DATA_DIR": str(tmp_path),
    }
    for name in [n for n in os.environ if n.startswith("LOCKGATE_")]:
        monkeypatch.delenv(name)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return load_config(env_file=None)


EXPECTED = {
    # render: (LOCKGATE_ENV, database, gate store, cache store)
    "chart:default": ("production", "sqlite", None, None),
    "chart:production": (
        "production",
        f"@{RELEASE}-postgresql:5432/",
        f"@{RELEASE}-redis:6379/",
        f"@{RELEASE}-redis-cache:6380/",
    ),
    "chart:external": (
        "production",
        "@db.internal:5432/",
        "@redis.internal:6379/",
        "@cache.internal:6380/",
    ),
    "overlay:dev": ("development", "sqlite", None, None),
    "overlay:prod": (
        "production",
        "@lockgate-postgres:5432/",
        "lockgate-redis:6379/",
        "lockgate-redis-cache:6380/",
    ),
}


@pytest.mark.parametrize("which", sorted(EXPECTED))
def test_lockgate_accepts_the_pod_environment(
    which: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    source, name = which.split(":")
    docs = chart_objects(name) if source == "chart" else overlay_objects(name)
    config = load_as_pod(docs, RELEASE if source == "chart" else "lockgate", tmp_path, monkeypatch)
    settings = config.settings

    def where(url: str | None) -> str | None:
        return (
            None if url is None else next((p for p in EXPECTED[which][1:] if p and p in url), url)
        )

    assert (
        settings.env,
        "sqlite" if settings.is_sqlite else where(settings.resolved_database_url),
        where(settings.redis_url),
        where(settings.cache_redis_url),
    ) == EXPECTED[which]


@pytest.mark.parametrize("which", ["chart:production", "overlay:prod"])
def test_every_configured_provider_finds_its_api_key(
    which: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    source, name = which.split(":")
    docs = chart_objects(name) if source == "chart" else overlay_objects(name)
    config = load_as_pod(docs, RELEASE if source == "chart" else "lockgate", tmp_path, monkeypatch)
    paid = [p for p, cfg in config.file.providers.items() if cfg.type != "simulated"]
    assert (paid != [], [p for p in paid if not config.api_key(p)]) == (True, [])
