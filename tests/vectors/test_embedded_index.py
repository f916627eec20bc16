"""What only the embedded index does: its SQLite file (crash-safe, one process), the embedder it
was written by, and lazy purging of expired records."""

from __future__ import annotations

import asyncio
import os
import sqlite3
import sys
import textwrap
from pathlib import Path

import pytest

import lockgate
from lockgate.vectors import embedded
from lockgate.vectors.base import Record
from lockgate.vectors.embedded import EmbeddedIndex
from lockgate.vectors.errors import VectorStoreUnavailable
from tests.vectors.fakes import text_vector

NOW = 2_000_000_000.0
DIM = 8


def rows_in(path: Path) -> set[str]:
    with sqlite3.connect(path) as connection:
        return {row[0] for row in connection.execute("SELECT id FROM records")}


async def open_at(
    path: Path, *, embedder: str = "m", dim: int = DIM, now: float = NOW
) -> EmbeddedIndex:
    return await EmbeddedIndex.open(path, embedder=embedder, dimension=dim, now=now)


def record(record_id: str, expires_at: float = NOW + 100) -> Record:
    return Record(record_id, text_vector(record_id, DIM), {"t": "x"}, expires_at)


async def test_a_committed_add_survives_a_crash(tmp_path: Path) -> None:
    path = tmp_path / "v.sqlite3"
    blob = text_vector("a", DIM).tobytes().hex()
    script = textwrap.dedent(f"""
        import asyncio, os
        from pathlib import Path
        from lockgate.vectors.base import Record
        import numpy as np
        from lockgate.vectors.embedded import EmbeddedIndex
        async def main():
            path = Path({str(path)!r})
            index = await EmbeddedIndex.open(path, embedder="m", dimension={DIM}, now={NOW})
            vector = np.frombuffer(bytes.fromhex({blob!r}), np.float32)
            await index.add([Record("a", vector, {{"t": "x"}}, {NOW + 100})])
            os._exit(9)  # no close, no checkpoint: as if killed
        asyncio.run(main())
    """)
    source = str(Path(lockgate.__file__).parents[1])  # this checkout's lockgate, not another
    crashed = await asyncio.create_subprocess_exec(
        sys.executable, "-c", script, stderr=asyncio.subprocess.PIPE,
        env={**os.environ, "PYTHONPATH": source},
    )  # fmt: skip
    _, stderr = await asyncio.wait_for(crashed.communicate(), timeout=60)
    assert crashed.returncode == 9, stderr.decode()
    index = await open_at(path)
    try:
        found = await index.search(text_vector("a", DIM), tags={"t": "x"}, k=1, now=NOW)
        assert [m.id for m in found] == ["a"]
    finally:
        await index.close()


async def test_a_second_process_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "v.sqlite3"
    index = await open_at(path)
    try:
        with pytest.raises(VectorStoreUnavailable, match="in use by another process"):
            await open_at(path)
    finally:
        await index.close()
    await (await open_at(path)).close()  # free again once closed


async def test_another_embedder_resets_the_file(tmp_path: Path) -> None:
    path = tmp_path / "v.sqlite3"
    index = await open_at(path, embedder="model-a")
    await index.add([record("a")])
    await index.close()
    same = await open_at(path, embedder="model-a")
    assert (same.reset, len(same)) == (False, 1)
    await same.close()
    other = await open_at(path, embedder="model-b")
    assert (other.reset, len(other)) == (True, 0)
    await other.close()
    assert rows_in(path) == set()


async def test_expired_records_met_by_a_search_leave_the_file_with_the_next_write(
    tmp_path: Path,
) -> None:
    path = tmp_path / "v.sqlite3"
    index = await open_at(path)
    await index.add([record("old", NOW + 10), record("new", NOW + 1_000)])
    await index.search(text_vector("old", DIM), tags={"t": "x"}, k=5, now=NOW + 20)
    assert len(index) == 1
    await index.add([record("another")])
    await index.close()
    assert rows_in(path) == {"new", "another"}


async def test_opening_purges_what_expired(tmp_path: Path) -> None:
    path = tmp_path / "v.sqlite3"
    index = await open_at(path)
    await index.add([record("old", NOW + 10), record("new", NOW + 1_000)])
    await index.close()
    reopened = await open_at(path, now=NOW + 20)
    assert len(reopened) == 1
    await reopened.close()
    assert rows_in(path) == {"new"}


async def test_purge_expired_sweeps_records_no_search_met(tmp_path: Path) -> None:
    path = tmp_path / "v.sqlite3"
    index = await open_at(path)
    await index.add([record(f"r{i}", NOW + 10) for i in range(3)] + [record("kept", NOW + 99)])
    assert await index.purge_expired(NOW + 50) == 3
    await index.close()
    assert rows_in(path) == {"kept"}


async def test_adds_sweep_expired_records_now_and_then(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(embedded, "SWEEP_EVERY", 3)
    path = tmp_path / "v.sqlite3"
    index = await open_at(path)
    await index.add([record("short", NOW + 10)])
    await index.search(text_vector("x", DIM), tags={"t": "other"}, k=1, now=NOW + 50)
    await index.add([record("b")])
    await index.add([record("c")])  # the third add: the sweep runs with the latest now
    await index.close()
    assert rows_in(path) == {"b", "c"}


async def test_a_closed_index_says_so(tmp_path: Path) -> None:
    index = await open_at(tmp_path / "v.sqlite3")
    await index.close()
    await index.close()  # twice is fine
    with pytest.raises(VectorStoreUnavailable, match="closed"):
        await index.add([record("a")])


async def test_an_unopenable_path_is_a_clear_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    with pytest.raises(VectorStoreUnavailable, match="cannot be opened"):
        await open_at(blocker / "v.sqlite3")
