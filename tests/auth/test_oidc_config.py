"""The ``oidc:`` section: an incomplete or unsafe configuration refuses to start, naming the key."""

from __future__ import annotations

from pathlib import Path

import pytest

from lockgate.clock import FakeClock
from lockgate.oidc_settings import OIDCConfig
from lockgate.settings import ConfigError, FileConfig, load_config
from tests.fixtures.appkit import make_config, migrated_sqlite_url, running_app

ISSUER = "https://login.example.com/realms/staff"


def write_yaml(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "lockgate.yaml"
    path.write_text(body, encoding="utf-8")
    return path


def load(tmp_path: Path, body: str) -> None:
    load_config(env_file=None, data_dir=tmp_path, config_file=write_yaml(tmp_path, body))


def test_complete_section_with_the_secret_in_the_environment_loads(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LOCKGATE_OIDC_CLIENT_SECRET", "s3cret-from-the-environment")
    path = write_yaml(tmp_path, f"oidc:\n  issuer: {ISSUER}\n  client_id: lockgate\n")
    config = load_config(env_file=None, data_dir=tmp_path, config_file=path)
    assert config.file.oidc is not None
    assert config.file.oidc.client_id == "lockgate"
    assert config.file.oidc.allowed_domains == ()


def test_missing_secret_refuses_to_start(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("LOCKGATE_OIDC_CLIENT_SECRET", raising=False)
    with pytest.raises(ConfigError, match="LOCKGATE_OIDC_CLIENT_SECRET"):
        load(tmp_path, f"oidc:\n  issuer: {ISSUER}\n  client_id: lockgate\n")


def test_missing_client_id_is_named(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LOCKGATE_OIDC_CLIENT_SECRET", "x" * 20)
    with pytest.raises(ConfigError, match=r"oidc\.client_id: Field required"):
        load(tmp_path, f"oidc:\n  issuer: {ISSUER}\n")


def test_a_secret_in_the_file_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LOCKGATE_OIDC_CLIENT_SECRET", "x" * 20)
    with pytest.raises(ConfigError, match=r"does not belong in lockgate\.yaml"):
        load(tmp_path, f"oidc:\n  issuer: {ISSUER}\n  client_id: a\n  client_secret: leak\n")


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"issuer": "http://login.example.com"}, "must use https"),
        ({"issuer": "login.example.com"}, "absolute https URL"),
        ({"scopes": ("email",)}, "must include 'openid'"),
        ({"scopes": ("openid",)}, "must include 'email'"),
        ({"role_claim": "groups"}, "admin_values"),
        ({"admin_values": ("admins",)}, "role_claim"),
        ({"allowed_domains": ("not a domain",)}, "not a domain name"),
    ],
)
def test_unsafe_or_inconsistent_values_are_refused(fields: dict[str, object], message: str) -> None:
    values: dict[str, object] = {"issuer": ISSUER, "client_id": "lockgate", **fields}
    with pytest.raises(ValueError, match=message):
        OIDCConfig.model_validate(values)


def test_loopback_http_issuer_is_accepted_for_local_providers() -> None:
    config = OIDCConfig(issuer="http://127.0.0.1:9000", client_id="lockgate")
    assert config.issuer == "http://127.0.0.1:9000"


def test_allowed_domains_are_compared_in_lower_case() -> None:
    config = OIDCConfig(issuer=ISSUER, client_id="c", allowed_domains=("@Example.COM",))
    assert config.allowed_domains == ("example.com",)


async def test_app_built_without_the_secret_refuses_to_start(tmp_path: Path) -> None:
    url = await migrated_sqlite_url(tmp_path)
    file = FileConfig(oidc=OIDCConfig(issuer=ISSUER, client_id="lockgate"))
    with pytest.raises(ConfigError, match="LOCKGATE_OIDC_CLIENT_SECRET"):
        async with running_app(make_config(url, tmp_path, file), FakeClock()):
            pass
