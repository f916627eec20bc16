"""The embedded vector index: one process, persisted in a SQLite file in the data dir.

SQLite holds the records (id, tags, expiry, the vector as float32 bytes): every write is one
transaction in WAL mode, so a crash loses nothing committed and never corrupts the file. The search
runs in memory over `TaggedMatrix` (exact search inside the query's tag partition — chosen by
measurement, see ``bench/vectors.py``), rebuilt from the file at open::

    index = await EmbeddedIndex.open(data_dir / "vectors" / "cache.sqlite3",
                                     embedder=embedder.name, dimension=embedder.dimension,
                                     now=time.time())
    await index.add([Record("a1", vector, {"scope": "key:7", "ctx": "9f…"}, expires_at)])
    await index.search(query, tags={"scope": "key:7", "ctx": "9f…"}, k=1, now=time.time())

The file remembers which embedder (name and dimension) wrote it: opened for another one, its
records are dropped (vectors of two models are not comparable) and `reset` says so. The file is
locked to this process (SQLite's exclusive locking mode); a second process is refused.

Expired records are never returned. They are purged lazily: those a search meets are removed at
once from memory and from the file with the next write; every ``SWEEP_EVERY`` adds, all records
expired by the latest ``now`` a search was given are swept; `purge_expired` does it on demand.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import TypeVar

import numpy as np
import orjson

from .base import Match, Record, Vector
from .errors import VectorStoreUnavailable
from .matrix import TaggedMatrix

SCHEMA_VERSION = "1"
SWEEP_EVERY = 1_000
_LOAD_BATCH = 10_000

T = TypeVar("T")

_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT)",
    "CREATE TABLE IF NOT EXISTS records (id TEXT PRIMARY KEY, tags BLOB NOT NULL,"
    " expires_at REAL NOT NULL, vector BLOB NOT NULL)",
    "CREATE INDEX IF NOT EXISTS records_expires ON records (expires_at)",
)


class EmbeddedIndex:
    """The `VectorIndex` for ``store: embedded``. Build it with `open`."""

    def __init__(
        self, connection: sqlite3.Connection, executor: ThreadPoolExecutor, dimension: int
    ) -> None:
        self._db = connection
        self._executor = executor
        self._matrix = TaggedMatrix(dimension)
        self._to_purge: set[str] = set()
        self._latest_now = 0.0
        self._adds_since_sweep = 0
        self._closed = False
        self.reset = False
        """True when the file held another embedder's records and they were dropped at open."""

    @classmethod
    async def open(cls, path: Path, *, embedder: str, dimension: int, now: float) -> EmbeddedIndex:
        """Open (or create) the index file, purge what expired by ``now``, load the rest."""
        executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="lockgate-vectors")
        loop = asyncio.get_running_loop()
        try:
            connection = await loop.run_in_executor(executor, _connect, path)
            index = cls(connection, executor, dimension)
            await index._call(index._prepare, embedder, dimension, now)
            for rows in await index._call(index._load_rows):
                for record in rows:
                    index._matrix.put(record)
        except BaseException:
            executor.shutdown(wait=False)
            raise
        index._latest_now = now
        return index

    def __len__(self) -> int:
        """Records held (expired ones not yet purged included)."""
        return len(self._matrix)

    async def add(self, records: Sequence[Record]) -> None:
        for record in records:
            if np.asarray(record.vector).shape != (self._matrix.dimension,):
                raise ValueError(
                    f"record {record.id!r}: vector of shape {np.asarray(record.vector).shape}, "
                    f"the index holds {self._matrix.dimension} dimensions"
                )
        if not records:
            return
        self._adds_since_sweep += len(records)
        if self._adds_since_sweep >= SWEEP_EVERY:
            self._adds_since_sweep = 0
            self._forget(self._matrix.expired(self._latest_now))
        purge, self._to_purge = self._to_purge, set()
        rows = [(r.id, orjson.dumps(dict(r.tags)), r.expires_at, _blob(r.vector)) for r in records]
        await self._call(self._write, rows, purge)
        for record in records:
            self._matrix.put(record)

    async def search(
        self,
        vector: Vector,
        *,
        tags: Mapping[str, str],
        k: int,
        now: float,
        min_similarity: float = -1.0,
    ) -> list[Match]:
        self._latest_now = max(self._latest_now, now)
        found = self._matrix.search(vector, tags=tags, k=k, now=now, min_similarity=min_similarity)
        self._forget(found.expired)
        return found.matches

    async def delete(self, ids: Sequence[str]) -> None:
        if ids:
            await self._remove(ids)

    async def delete_where(self, tags: Mapping[str, str]) -> int:
        ids = self._matrix.ids_where(tags)
        if ids:
            await self._remove(ids)
        return len(ids)

    async def purge_expired(self, now: float) -> int:
        """Remove every record expired by ``now``; the number removed."""
        self._latest_now = max(self._latest_now, now)
        expired = self._matrix.expired(now)
        self._forget(expired)
        await self._flush()
        return len(expired)

    async def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        try:
            purge, self._to_purge = self._to_purge, set()
            loop = asyncio.get_running_loop()
            await loop.run_in_executor(self._executor, self._finish, purge)
        finally:
            self._executor.shutdown(wait=False)

    def _forget(self, ids: Iterable[str]) -> None:
        """Out of memory now; out of the file with the next write."""
        for record_id in ids:
            if self._matrix.remove(record_id):
                self._to_purge.add(record_id)

    async def _flush(self) -> None:
        purge, self._to_purge = self._to_purge, set()
        if purge:
            await self._call(self._write, [], purge)

    async def _remove(self, ids: Sequence[str]) -> None:
        purge = self._to_purge | set(ids)
        self._to_purge = set()
        await self._call(self._write, [], purge)
        for record_id in ids:
            self._matrix.remove(record_id)

    async def _call(self, fn: Callable[..., T], *args: object) -> T:
        if self._closed:
            raise VectorStoreUnavailable("The embedded vector index is closed.")
        loop = asyncio.get_running_loop()
        try:
            return await loop.run_in_executor(self._executor, fn, *args)
        except sqlite3.Error as exc:
            raise VectorStoreUnavailable(f"The embedded vector index failed: {exc}") from exc

    # Below: run on the index's own thread only.

    def _prepare(self, embedder: str, dimension: int, now: float) -> None:
        with _transaction(self._db):
            for statement in _SCHEMA:
                self._db.execute(statement)
            stored = dict(self._db.execute("SELECT key, value FROM meta").fetchall())
            wanted = {"schema": SCHEMA_VERSION, "embedder": embedder, "dimension": str(dimension)}
            if stored and stored != wanted:
                self._db.execute("DELETE FROM records")
                self.reset = True
            if stored != wanted:
                self._db.execute("DELETE FROM meta")
                self._db.executemany("INSERT INTO meta VALUES (?, ?)", wanted.items())
            self._db.execute("DELETE FROM records WHERE expires_at <= ?", (now,))

    def _load_rows(self) -> list[list[Record]]:
        cursor = self._db.execute("SELECT id, tags, expires_at, vector FROM records")
        batches = []
        while rows := cursor.fetchmany(_LOAD_BATCH):
            batches.append(
                [
                    Record(rid, np.frombuffer(vec, dtype=np.float32), orjson.loads(tags), exp)
                    for rid, tags, exp, vec in rows
                ]
            )
        return batches

    def _write(self, rows: list[tuple[str, bytes, float, bytes]], purge: set[str]) -> None:
        with _transaction(self._db):
            if purge:
                self._db.executemany("DELETE FROM records WHERE id = ?", ((i,) for i in purge))
            if rows:
                self._db.executemany("INSERT OR REPLACE INTO records VALUES (?, ?, ?, ?)", rows)

    def _finish(self, purge: set[str]) -> None:
        try:
            if purge:
                self._write([], purge)
        finally:
            self._db.close()


def _connect(path: Path) -> sqlite3.Connection:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        connection = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
    except (OSError, sqlite3.Error) as exc:
        raise VectorStoreUnavailable(f"The vector index {path} cannot be opened: {exc}") from exc
    try:
        connection.execute("PRAGMA busy_timeout = 2000")
        connection.execute("PRAGMA locking_mode = EXCLUSIVE")
        connection.execute("PRAGMA journal_mode = WAL")
        connection.execute("PRAGMA synchronous = NORMAL")
        with _transaction(connection):  # a write transaction takes the lock, for good
            connection.execute("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT)")
    except sqlite3.OperationalError as exc:
        connection.close()
        raise VectorStoreUnavailable(
            f"The vector index {path} is in use by another process ({exc}); the embedded "
            "store serves one process: use the Redis store for several workers or replicas."
        ) from exc
    return connection


@contextmanager
def _transaction(connection: sqlite3.Connection) -> Iterator[None]:
    connection.execute("BEGIN IMMEDIATE")
    try:
        yield
    except BaseException:
        connection.execute("ROLLBACK")
        raise
    connection.execute("COMMIT")


def _blob(vector: Vector) -> bytes:
    return np.ascontiguousarray(vector, dtype=np.float32).tobytes()
