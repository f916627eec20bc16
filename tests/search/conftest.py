from __future__ import annotations

from pathlib import Path

import pytest

from tests.fixtures.appkit import migrated_sqlite_url
from tests.search.kit import Opener, opener, store

__all__ = ["store"]


@pytest.fixture
async def open_app(tmp_path: Path, store: tuple[str, str | None]) -> Opener:
    return opener(await migrated_sqlite_url(tmp_path), tmp_path, store)
