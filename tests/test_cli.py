"""The `lockgate` command line, run as a real process."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from lockgate import __version__

pytestmark = pytest.mark.slow


def run(
    tmp_path: Path, *args: str, stdin: str = "", **env: str
) -> subprocess.CompletedProcess[str]:
    environ = {k: v for k, v in os.environ.items() if not k.startswith("LOCKGATE_")}
    environ.update(
        {
            "LOCKGATE_DATA_DIR": str(tmp_path / "data"),
            "LOCKGATE_CONFIG_FILE": str(tmp_path / "lockgate.yaml"),
            **env,
        }
    )
    return subprocess.run(
        [sys.executable, "-m", "lockgate", *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=environ,
        cwd=tmp_path,
        timeout=60,
        check=False,
    )


def test_version(tmp_path: Path) -> None:
    result = run(tmp_path, "--version")
    assert result.stdout.strip() == f"lockgate {__version__}"


def test_check_config_summarises_without_secrets(tmp_path: Path) -> None:
    (tmp_path / "lockgate.yaml").write_text(
        "providers:\n  openai:\n    type: openai\n    api_key_env: MY_OPENAI_KEY\n"
        "models:\n  gpt-4o-mini:\n    provider: openai\n"
    )
    result = run(tmp_path, "check-config", MY_OPENAI_KEY="sk-supersecret")
    assert result.returncode == 0, result.stderr
    assert "provider openai: openai (key set)" in result.stdout
    assert "sk-supersecret" not in result.stdout + result.stderr


def test_check_config_names_the_bad_key(tmp_path: Path) -> None:
    (tmp_path / "lockgate.yaml").write_text("chat:\n  title_mod: first_message\n")
    result = run(tmp_path, "check-config")
    assert result.returncode == 2
    assert "chat.title_mod" in result.stderr


def test_production_without_secret_refuses_to_start(tmp_path: Path) -> None:
    result = run(tmp_path, "serve", LOCKGATE_ENV="production")
    assert result.returncode == 2
    assert "LOCKGATE_SECRET_KEY" in result.stderr


def test_several_workers_without_redis_are_refused(tmp_path: Path) -> None:
    result = run(tmp_path, "serve", "--workers", "2")
    assert result.returncode == 2
    assert "Redis" in result.stderr


def test_several_workers_with_the_embedded_cache_are_refused(tmp_path: Path) -> None:
    (tmp_path / "lockgate.yaml").write_text("cache: {enabled: true}\n")
    result = run(tmp_path, "serve", "--workers", "2", LOCKGATE_REDIS_URL="redis://127.0.0.1:1/0")
    assert result.returncode == 2
    assert "cache.store: redis" in result.stderr


def test_several_workers_with_an_embedded_vector_index_are_refused(tmp_path: Path) -> None:
    # The defaults: search by meaning and documents on, and no shared Redis for their vectors.
    result = run(tmp_path, "serve", "--workers", "2", LOCKGATE_REDIS_URL="redis://127.0.0.1:1/0")
    assert result.returncode == 2
    assert "one vector index" in result.stderr


def test_cache_store_redis_without_its_url_is_a_configuration_error(tmp_path: Path) -> None:
    (tmp_path / "lockgate.yaml").write_text("cache: {enabled: true, store: redis}\n")
    result = run(tmp_path, "serve")
    assert result.returncode == 2
    assert "LOCKGATE_CACHE_REDIS_URL is not set" in result.stderr


def test_migrate_then_user_create(tmp_path: Path) -> None:
    migrated = run(tmp_path, "migrate")
    assert migrated.returncode == 0, migrated.stderr
    assert "database at revision" in migrated.stdout
    created = run(
        tmp_path,
        "user",
        "create",
        "--email",
        "root@example.com",
        "--admin",
        stdin="a strong passphrase\na strong passphrase\n",
    )
    assert created.returncode == 0, created.stderr
    assert "created root@example.com (admin)" in created.stdout
    again = run(
        tmp_path,
        "user",
        "create",
        "--email",
        "root@example.com",
        stdin="a strong passphrase\na strong passphrase\n",
    )
    assert again.returncode == 1
    assert "email_taken" in again.stderr
