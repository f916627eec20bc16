"""A serving worker settles its heap once started; a test-built app leaves the collector alone."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from pathlib import Path

import pytest
from asgi_lifespan import LifespanManager

from lockgate import app as app_module
from lockgate import heap
from lockgate.app import create_app
from tests.fixtures.appkit import make_config, migrated_sqlite_url


@pytest.fixture
def restore_gc() -> Iterator[None]:
    before = gc.get_threshold()
    gc.unfreeze()
    yield
    gc.unfreeze()
    gc.set_threshold(*before)


@pytest.mark.usefixtures("restore_gc")
def test_settle_freezes_what_is_alive_and_raises_the_young_threshold() -> None:
    kept = [object() for _ in range(10)]
    heap.settle()
    assert gc.get_freeze_count() > len(kept)
    assert gc.get_threshold() == (20_000, 50, 100)


@pytest.mark.usefixtures("restore_gc")
@pytest.mark.parametrize("settle", [True, False])
async def test_the_lifespan_settles_only_when_asked(tmp_path: Path, settle: bool) -> None:
    before = gc.get_threshold()
    config = make_config(await migrated_sqlite_url(tmp_path), tmp_path)
    app = create_app(config, settle_heap=settle)
    async with LifespanManager(app):
        assert (gc.get_freeze_count() > 0) is settle
        assert gc.get_threshold() == ((20_000, 50, 100) if settle else before)


def test_the_worker_factory_asks_for_it(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    seen: dict[str, object] = {}

    def spy(config: object, **kwargs: object) -> object:
        seen.update(kwargs)
        return object()

    monkeypatch.setattr(app_module, "create_app", spy)
    monkeypatch.setattr(
        app_module,
        "load_config",
        lambda: make_config(f"sqlite+aiosqlite:///{tmp_path / 'db.sqlite'}", tmp_path),
    )
    monkeypatch.setattr(app_module, "configure_tracing", lambda *_a, **_k: None)
    app_module.app_factory()
    assert seen["settle_heap"] is True
