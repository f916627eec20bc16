"""Configuration: environment, lockgate.yaml validation, production secret refusal."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from pathlib import Path

import pytest

from lockgate.secret_strength import MIN_SECRET_BITS, estimate
from lockgate.settings import DEV_SECRET, ConfigError, load_config, load_file_config


def test_defaults_give_sqlite_and_the_simulated_provider(tmp_path: Path) -> None:
    config = load_config(env_file=None, data_dir=tmp_path, config_file=tmp_path / "none.yaml")
    assert config.settings.resolved_database_url == f"sqlite+aiosqlite:///{tmp_path}/lockgate.db"
    assert config.file.providers["simulated"].type == "simulated"
    assert config.file.effective_default_model == "sim-small"


def test_environment_variables_are_read(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LOCKGATE_REGISTRATION", "invite")
    monkeypatch.setenv("LOCKGATE_MAX_BODY_BYTES", "2048")
    config = load_config(env_file=None)
    assert config.settings.registration == "invite"
    assert config.settings.max_body_bytes == 2048


def test_production_refuses_the_default_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LOCKGATE_ENV", "production")
    with pytest.raises(ConfigError, match="LOCKGATE_SECRET_KEY"):
        load_config(env_file=None)
    monkeypatch.setenv("LOCKGATE_SECRET_KEY", DEV_SECRET)
    with pytest.raises(ConfigError, match="LOCKGATE_SECRET_KEY"):
        load_config(env_file=None)


def test_production_refuses_a_short_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LOCKGATE_ENV", "production")
    monkeypatch.setenv("LOCKGATE_SECRET_KEY", "short")
    with pytest.raises(ConfigError, match="at least 32"):
        load_config(env_file=None)


def test_production_starts_with_a_real_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LOCKGATE_ENV", "production")
    monkeypatch.setenv("LOCKGATE_SECRET_KEY", secrets.token_urlsafe(32))
    monkeypatch.setenv("LOCKGATE_METRICS_TOKEN", secrets.token_hex(32))
    assert load_config(env_file=None).settings.env == "production"


WEAK_SECRETS = [
    "a" * 32,  # one character (issue 12: passed the length-only check)
    "x" * 48,
    "ab" * 24,  # two characters
    "abc123" * 8,  # a repeated pattern
    "my-super-secret-lockgate-production-key-2024!",  # dictionary-ish
    "thisismysupersecretkeyforlockgateproduction",
    "abcdefghijklmnopqrstuvwxyz0123456789ABCDEF",  # sequences
    "replace-with-48-random-characters",  # deploy/k8s/overlays/prod/secret.example.yaml
    secrets.token_hex(16),  # 128 random bits, but too short to show it: 32 hex characters
]


@pytest.mark.parametrize(
    "weak", WEAK_SECRETS, ids=range(len(WEAK_SECRETS))
)  # one random: stable ids
def test_production_refuses_a_weak_secret_and_says_how_to_make_one(
    monkeypatch: pytest.MonkeyPatch, weak: str
) -> None:
    monkeypatch.setenv("LOCKGATE_ENV", "production")
    monkeypatch.setenv("LOCKGATE_SECRET_KEY", weak)
    with pytest.raises(ConfigError, match="LOCKGATE_SECRET_KEY") as refused:
        load_config(env_file=None)
    assert "secrets.token_urlsafe(32)" in str(refused.value)


@pytest.mark.parametrize("weak", ["a" * 40, "metrics-token-metrics-token-metrics-token"])
def test_production_refuses_a_weak_metrics_token(
    monkeypatch: pytest.MonkeyPatch, weak: str
) -> None:
    monkeypatch.setenv("LOCKGATE_ENV", "production")
    monkeypatch.setenv("LOCKGATE_SECRET_KEY", secrets.token_urlsafe(32))
    monkeypatch.setenv("LOCKGATE_METRICS_TOKEN", weak)
    with pytest.raises(ConfigError, match="LOCKGATE_METRICS_TOKEN"):
        load_config(env_file=None)


@pytest.mark.parametrize("make", [secrets.token_urlsafe, secrets.token_hex])
def test_every_generated_32_byte_token_passes(make: Callable[[int], str]) -> None:
    assert all(estimate(make(32)).bits >= MIN_SECRET_BITS for _ in range(500))


def test_development_keeps_the_default_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LOCKGATE_METRICS_TOKEN", "a" * 40)
    assert load_config(env_file=None).settings.env == "development"


def test_wildcard_cors_origin_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LOCKGATE_CORS_ORIGINS", '["*"]')
    with pytest.raises(ConfigError, match="cors_origins"):
        load_config(env_file=None)


def test_yaml_unknown_key_is_named(tmp_path: Path) -> None:
    path = tmp_path / "lockgate.yaml"
    path.write_text(
        "providers:\n  openai:\n    type: openai\n    base_ur: http://x\n"
        "models:\n  gpt-4o-mini:\n    provider: openai\n"
    )
    with pytest.raises(ConfigError) as info:
        load_file_config(path)
    assert "providers.openai.base_ur: Extra inputs are not permitted" in str(info.value)
    assert str(path) in str(info.value)


def test_yaml_model_with_unknown_provider_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "lockgate.yaml"
    path.write_text("models:\n  gpt-4o:\n    provider: nowhere\n")
    with pytest.raises(ConfigError, match=r"models.gpt-4o.provider: unknown provider 'nowhere'"):
        load_file_config(path)


def test_invalid_yaml_is_reported(tmp_path: Path) -> None:
    path = tmp_path / "lockgate.yaml"
    path.write_text("providers: [unclosed\n")
    with pytest.raises(ConfigError, match="not valid YAML"):
        load_file_config(path)


def test_yaml_configures_an_openai_compatible_provider(tmp_path: Path) -> None:
    path = tmp_path / "lockgate.yaml"
    path.write_text(
        "providers:\n"
        "  ollama:\n    type: openai\n    base_url: http://127.0.0.1:11434/v1\n"
        "models:\n"
        "  llama3:\n    provider: ollama\n    context_window: 8192\n"
        "default_model: llama3\n"
    )
    file = load_file_config(path)
    assert file.effective_default_model == "llama3"
    assert file.models["llama3"].provider == "ollama"
