"""Usage rows and key ``last_used_at`` stamps from the ``/v1`` hot path, written in batches.

A gateway request must not wait for a database write: at 2,000 requests/s a commit per request
is the bottleneck (and on SQLite, one writer at a time). The money is already safe by then —
budgets are held by the gate (memory or Redis), not by these rows — so the ledger can be written
a moment later. `add` queues a row without awaiting; a background task writes everything queued
in one multi-row INSERT every `interval` seconds (or as soon as `batch` rows are waiting).

Guarantees, and their limits:

* **Read your writes.** Whoever reports usage calls `flush()` first, so a request answered by
  this process is in the report that follows it.
* **Clean shutdown loses nothing**: `aclose()` writes what is left (the lifespan calls it after
  the last request is served).
* **A failing database loses nothing it can keep**: a failed write is retried with a growing
  delay (logged, counted); rows wait in memory up to `max_pending`, beyond which the oldest are
  dropped and counted (``lockgate_usage_rows_dropped_total``), so a database that stays down
  cannot exhaust memory.
* A process killed with SIGKILL loses at most the last `interval` of rows (the default 0.1 s).

Rows are column values (`usage.service.usage_values`), not ORM objects, and a batch is one
``executemany`` of a statement compiled once for the database's dialect, each value converted
by its column type's own bind processor (UUIDs, money, enums, UTC datetimes): building an ORM
object and a bulk ORM insert cost ~150 µs per row, this ~10.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import uuid
from collections import deque
from collections.abc import Callable, Mapping
from typing import Any

from sqlalchemy import insert, update
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import AsyncEngine

from lockgate.models import ApiKey, UsageRecord
from lockgate.observability.logging import get_logger

log = get_logger("lockgate.usage")


class _Statement:
    """The INSERT of a whole row, compiled once for `dialect`, and how to convert a row."""

    def __init__(self, dialect: Dialect) -> None:
        columns = list(UsageRecord.__table__.columns)
        compiled = insert(UsageRecord).compile(
            dialect=dialect, column_keys=[c.key for c in columns]
        )
        self.sql = str(compiled)
        order = compiled.positiontup
        if order is None:  # a named paramstyle: keep the dialect's own and pass mappings
            raise RuntimeError(f"{dialect.name}: a positional paramstyle is expected")
        by_key = {c.key: c for c in columns}
        self.keys = list(order)
        self.processors: list[Callable[[Any], Any] | None] = [
            by_key[key].type.dialect_impl(dialect).bind_processor(dialect) for key in self.keys
        ]

    def row(self, values: Mapping[str, Any]) -> tuple[Any, ...]:
        return tuple(
            values[key] if process is None else process(values[key])
            for key, process in zip(self.keys, self.processors, strict=True)
        )


class UsageWriter:
    def __init__(
        self,
        engine: AsyncEngine,
        *,
        interval: float = 0.1,
        batch: int = 1000,
        max_pending: int = 200_000,
        max_backoff: float = 30.0,
    ) -> None:
        self._engine = engine
        self._statement = _Statement(engine.dialect)
        self.interval = interval
        self.batch = batch
        self.max_pending = max_pending
        self.max_backoff = max_backoff
        self._rows: deque[dict[str, Any]] = deque()
        self._touched: dict[uuid.UUID, dt.datetime] = {}
        self._wake = asyncio.Event()
        self._lock = asyncio.Lock()
        self._task: asyncio.Task[None] | None = None
        self._closed = False
        self.dropped = 0
        self.failures = 0

    @property
    def pending(self) -> int:
        return len(self._rows)

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name="lockgate-usage-writer")

    def add(self, values: dict[str, Any]) -> None:
        """Queue one ledger row (built by `usage.service.usage_values`)."""
        self._rows.append(values)
        if len(self._rows) > self.max_pending:
            self._rows.popleft()
            self.dropped += 1
            if self.dropped == 1 or self.dropped % 1000 == 0:
                log.error("usage_rows_dropped", dropped=self.dropped, pending=len(self._rows))
        if len(self._rows) >= self.batch:
            self._wake.set()

    def touch(self, key_id: uuid.UUID, when: dt.datetime) -> None:
        """Stamp a key's ``last_used_at`` (the newest stamp per key wins)."""
        self._touched[key_id] = when

    async def flush(self) -> None:
        """Write everything queued now; raises if the database refuses (rows are kept)."""
        async with self._lock:
            while self._rows or self._touched:
                rows = [self._rows.popleft() for _ in range(min(self.batch, len(self._rows)))]
                touched, self._touched = self._touched, {}
                try:
                    async with self._engine.begin() as connection:
                        if rows:
                            statement = self._statement
                            await connection.exec_driver_sql(
                                statement.sql, [statement.row(r) for r in rows]
                            )
                        for key_id, when in touched.items():
                            await connection.execute(
                                update(ApiKey).where(ApiKey.id == key_id).values(last_used_at=when)
                            )
                except BaseException:
                    self._rows.extendleft(reversed(rows))
                    for key_id, when in touched.items():
                        self._touched.setdefault(key_id, when)
                    raise

    async def _run(self) -> None:
        delay = self.interval
        while not self._closed:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=delay)
            self._wake.clear()
            try:
                await self.flush()
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                self.failures += 1
                delay = min(self.max_backoff, max(self.interval, delay * 2))
                log.error(
                    "usage_write_failed",
                    error=type(exc).__name__,
                    pending=len(self._rows),
                    retry_in=round(delay, 2),
                )
            else:
                delay = self.interval

    async def aclose(self) -> None:
        """Stop the background task and write what is left (once; logged if it cannot)."""
        self._closed = True
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None
        try:
            await self.flush()
        except Exception as exc:
            log.error("usage_rows_lost_at_shutdown", error=type(exc).__name__, rows=self.pending)
