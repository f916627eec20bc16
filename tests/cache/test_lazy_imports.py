"""A serving worker with the response cache off (or exact-only), and search by meaning and
documents off, never loads numpy, the embedders or the vector indexes: they cost ~14 MB of RSS
per worker (issue 16: ≤ 150 MB per worker).

Each case is a fresh interpreter doing what a uvicorn worker of ``lockgate serve`` does —
``lockgate.app:app_factory()`` with the configuration from the environment, then the lifespan's
start-up (``build_state``: the gate, the cache, the embedder) — and reporting which of the heavy
modules it holds. The semantic case is the control: it must load them, or the check proves
nothing.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.fixtures.serve import SIMULATED_CONFIG

pytestmark = pytest.mark.slow  # fresh interpreters: ~5 s each on an idle machine

HEAVY = ("numpy", "onnxruntime", "tokenizers", "lockgate.vectors.local", "lockgate.calls.embedder")
# Loaded only when configured: Sentry with a DSN (~4 MB), joserfc with OIDC on (~9 MB).
OPTIONAL = ("sentry_sdk", "joserfc")

WORKER = """
import asyncio, json, sys
from lockgate.app import app_factory

app = app_factory()


async def start_and_stop() -> None:
    async with app.router.lifespan_context(app):
        pass


asyncio.run(start_and_stop())
print(json.dumps(sorted(m for m in json.loads(sys.argv[1]) if m in sys.modules)))
"""


def loaded_after_startup(tmp_path: Path, cache: dict[str, Any] | None) -> list[str]:
    # Search by meaning and documents are on by default and open their vector index at start-up:
    # a gateway worker that wants the smallest footprint turns them off.
    off = {"search": {"semantic": False}, "documents": {"enabled": False}}
    config = {**SIMULATED_CONFIG, **off, **({"cache": cache} if cache else {})}
    config_file = tmp_path / "lockgate.yaml"
    config_file.write_text(yaml.safe_dump(config, sort_keys=False))
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("LOCKGATE_")},
        "LOCKGATE_DATA_DIR": str(tmp_path / "data"),
        "LOCKGATE_CONFIG_FILE": str(config_file),
        "LOCKGATE_LOG_LEVEL": "WARNING",
    }

    def run(*args: str) -> str:
        done = subprocess.run(
            [sys.executable, *args], cwd=tmp_path, env=env, capture_output=True, text=True,
            timeout=120, check=False,
        )  # fmt: skip
        assert done.returncode == 0, done.stderr[-3000:]
        return done.stdout

    run("-m", "lockgate", "migrate")
    watched = json.dumps([*HEAVY, *OPTIONAL])
    loaded: list[str] = json.loads(run("-c", WORKER, watched).strip().splitlines()[-1])
    return loaded


@pytest.mark.parametrize(
    "cache",
    [None, {"enabled": True, "semantic": False, "store": "embedded"}],
    ids=["cache-off", "exact-only"],
)
def test_worker_without_semantic_cache_never_loads_numpy(
    tmp_path: Path, cache: dict[str, Any] | None
) -> None:
    assert loaded_after_startup(tmp_path, cache) == []


def test_semantic_cache_loads_the_local_embedder(tmp_path: Path) -> None:
    cache = {"enabled": True, "semantic": True, "store": "embedded", "embedding_model": "local"}
    loaded = loaded_after_startup(tmp_path, cache)
    assert {"numpy", "onnxruntime", "lockgate.vectors.local"} <= set(loaded)
