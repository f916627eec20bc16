"""The shutdown phases fit inside each other, so SIGKILL never lands while a reply is saved.

The numbers live in src/lockgate/settings.py (SHUTDOWN_GRACE_SECONDS and the budget around it);
the deployment files must leave room for all of them.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pytest
import yaml

from lockgate.settings import (
    FINAL_SAVE_SECONDS,
    PRESTOP_SECONDS,
    SHUTDOWN_GRACE_SECONDS,
    Settings,
    shutdown_budget_seconds,
)

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"


def pod_spec() -> dict[str, Any]:
    documents = list(yaml.safe_load_all((DEPLOY / "k8s" / "base" / "deployment.yaml").read_text()))
    deployment = next(d for d in documents if d and d.get("kind") == "Deployment")
    spec: dict[str, Any] = deployment["spec"]["template"]["spec"]
    return spec


def test_kubernetes_waits_longer_than_the_whole_shutdown_budget() -> None:
    budget = shutdown_budget_seconds(Settings(_env_file=None).shutdown_grace_seconds)
    assert pod_spec()["terminationGracePeriodSeconds"] > budget


def test_the_prestop_sleep_is_the_one_in_the_budget() -> None:
    (container,) = pod_spec()["containers"]
    command = container["lifecycle"]["preStop"]["exec"]["command"]
    assert command == ["sleep", str(int(PRESTOP_SECONDS))]


def test_compose_waits_longer_than_the_whole_shutdown_budget() -> None:
    compose = yaml.safe_load((DEPLOY / "compose.yaml").read_text())
    grace = compose["services"]["lockgate"]["stop_grace_period"]
    assert grace.endswith("s")
    assert float(grace[:-1]) > shutdown_budget_seconds(SHUTDOWN_GRACE_SECONDS)


def test_uvicorn_drains_for_the_chat_grace(monkeypatch: pytest.MonkeyPatch) -> None:
    import uvicorn

    from lockgate import cli

    seen: dict[str, Any] = {}
    monkeypatch.setattr(uvicorn, "run", lambda *_a, **kw: seen.update(kw))
    monkeypatch.setattr(cli, "_config", lambda **_kw: _config(shutdown_grace_seconds=12.5))
    cli.serve(host=None, port=None, workers=1, reload=False)
    assert seen["timeout_graceful_shutdown"] == math.ceil(12.5 + FINAL_SAVE_SECONDS)


def _config(**settings: Any) -> Any:
    from lockgate.settings import Config, FileConfig

    return Config(
        settings=Settings(_env_file=None, migrate_on_start=False, **settings),
        file=FileConfig(),
        environ={},
    )
