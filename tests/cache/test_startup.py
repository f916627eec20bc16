"""``cache.store: redis`` refuses to start rather than fall back: no URL, an unreachable server,
or a Redis without the query engine each stop start-up with what to do."""

from __future__ import annotations

from contextlib import AsyncExitStack
from pathlib import Path

import pytest

from lockgate.cache.factory import CacheStartupError
from lockgate.clock import FakeClock
from lockgate.settings import ConfigError, load_config
from tests.cache.kit import file_config
from tests.fixtures.appkit import make_config, migrated_sqlite_url, running_app
from tests.fixtures.ports import free_port

REDIS = {"store": "redis"}


async def start(tmp_path: Path, **settings: str) -> None:
    config = make_config(
        await migrated_sqlite_url(tmp_path), tmp_path, file=file_config(REDIS), **settings
    )
    async with AsyncExitStack() as stack:
        await stack.enter_async_context(running_app(config, FakeClock()))


async def test_a_redis_without_the_query_engine_is_refused(tmp_path: Path, redis_url: str) -> None:
    with pytest.raises(CacheStartupError, match=r"no query engine.*redis:8"):
        await start(tmp_path, cache_redis_url=redis_url)


async def test_an_unreachable_cache_redis_is_refused(tmp_path: Path) -> None:
    url = f"redis://127.0.0.1:{free_port()}/0"
    with pytest.raises(CacheStartupError, match="cannot be reached"):
        await start(tmp_path, cache_redis_url=url)


async def test_no_url_is_refused_when_the_app_starts(tmp_path: Path) -> None:
    with pytest.raises(CacheStartupError, match="LOCKGATE_CACHE_REDIS_URL is not set"):
        await start(tmp_path)


def test_no_url_is_a_configuration_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "lockgate.yaml"
    path.write_text("cache: {enabled: true, store: redis}\n")
    monkeypatch.delenv("LOCKGATE_CACHE_REDIS_URL", raising=False)
    with pytest.raises(ConfigError, match="LOCKGATE_CACHE_REDIS_URL"):
        load_config(env_file=None, config_file=path)


@pytest.mark.parametrize(
    ("cache", "message"),
    [
        ({"embedding_model": "sim-chat"}, "neither 'local' nor a configured embedding model"),
        ({"threshold": 1.5}, "less than or equal to 1"),
        ({"store": "memcached"}, "'embedded' or 'redis'"),
    ],
)
def test_a_bad_cache_section_names_the_key(
    tmp_path: Path, cache: dict[str, object], message: str
) -> None:
    path = tmp_path / "lockgate.yaml"
    path.write_text(f"cache: {cache!r}\n".replace("'", '"'))
    with pytest.raises(ConfigError, match=message):
        load_config(env_file=None, config_file=path)
