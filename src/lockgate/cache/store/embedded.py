"""Cached answers in a SQLite file in the data dir (``<data_dir>/cache/answers.db``).

One process (or the workers of one host: SQLite's WAL lets them share the file). Its own file,
not the application database: the cache is disposable (delete the file, lose nothing but hits),
it never takes the main database's write lock, and PostgreSQL deployments keep their cache
local. Expired rows are skipped on read and swept in small batches as new ones are written.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import aiosqlite

from lockgate.cache.store.base import Entry

SCHEMA = """
CREATE TABLE IF NOT EXISTS entries (
    id TEXT PRIMARY KEY,
    scope TEXT NOT NULL,
    model TEXT NOT NULL,
    expires_at REAL NOT NULL,
    body BLOB NOT NULL
);
CREATE INDEX IF NOT EXISTS ix_entries_scope ON entries (scope);
CREATE INDEX IF NOT EXISTS ix_entries_model ON entries (model);
CREATE INDEX IF NOT EXISTS ix_entries_expiry ON entries (expires_at);
"""
SWEEP_EVERY = 100  # writes between two sweeps of expired rows
SWEEP_BATCH = 1000


class EmbeddedStore:
    def __init__(self, connection: aiosqlite.Connection) -> None:
        self._db = connection
        self._writes = 0

    @classmethod
    async def open(cls, path: Path) -> EmbeddedStore:
        path.parent.mkdir(parents=True, exist_ok=True)
        connection = await aiosqlite.connect(path)
        try:
            await connection.execute("PRAGMA journal_mode=WAL")
            await connection.execute("PRAGMA synchronous=NORMAL")
            await connection.execute("PRAGMA busy_timeout=5000")
            await connection.executescript(SCHEMA)
            await connection.commit()
        except BaseException:
            await connection.close()
            raise
        return cls(connection)

    async def get(self, entry_id: str, now: float) -> Entry | None:
        async with self._db.execute(
            "SELECT body FROM entries WHERE id = ? AND expires_at > ?", (entry_id, now)
        ) as cursor:
            row = await cursor.fetchone()
        return Entry.loads(row[0]) if row is not None else None

    async def put(self, entry: Entry) -> None:
        await self._db.execute(
            "INSERT OR REPLACE INTO entries (id, scope, model, expires_at, body) "
            "VALUES (?, ?, ?, ?, ?)",
            (entry.id, entry.scope, entry.model, entry.expires_at, entry.dumps()),
        )
        self._writes += 1
        if self._writes % SWEEP_EVERY == 0:
            await self._db.execute(
                "DELETE FROM entries WHERE id IN "
                "(SELECT id FROM entries WHERE expires_at <= ? LIMIT ?)",
                (entry.created_at, SWEEP_BATCH),
            )
        await self._db.commit()

    async def purge(self, *, scope: str | None = None, model: str | None = None) -> list[str]:
        clauses, args = [], []
        if scope is not None:
            clauses.append("scope = ?")
            args.append(scope)
        if model is not None:
            clauses.append("model = ?")
            args.append(model)
        where = f" WHERE {' AND '.join(clauses)}" if clauses else ""
        return await self._delete(where, args)

    async def purge_scopes(self, scopes: Sequence[str]) -> list[str]:
        if not scopes:
            return []
        marks = ", ".join("?" for _ in scopes)
        return await self._delete(f" WHERE scope IN ({marks})", list(scopes))

    async def _delete(self, where: str, args: list[str]) -> list[str]:
        async with self._db.execute(f"DELETE FROM entries{where} RETURNING id", args) as cursor:
            ids = [row[0] for row in await cursor.fetchall()]
        await self._db.commit()
        return ids

    async def close(self) -> None:
        await self._db.close()
