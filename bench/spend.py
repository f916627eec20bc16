"""The admins' spend reports over a large ledger: 1M usage rows in SQLite, each report timed
from the daily rollup (``usage_daily``, what the endpoints read) and, for comparison, by
aggregating the ledger itself (what a report without the rollup has to do).

    .venv/bin/python -m bench.spend [--rows 1000000] [--users 200] [--repeat 3]

The database is migrated to head, then seeded with one year of rows (``--users`` users, about two
keys each, each user on two or three of 8 models on 3 providers; 40 % of rows through a key),
inserted through sqlite3 with the rollup trigger on (so the seeding time includes the trigger's
cost). Each rollup query is `lockgate.spend.repository.SpendRepository.groups`, exactly what the
endpoints run; each ledger query groups ``usage_records`` by the same dimension with the indexes
the ledger has. Prints the median of ``--repeat`` runs in milliseconds and writes
``bench/results/spend-*.json``.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib.util
import json
import platform
import random
import sqlite3
import statistics
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Integer, cast, func, select

import lockgate
from lockgate.db.engine import create_engine, create_sessionmaker
from lockgate.db.migrate import upgrade
from lockgate.models import UsageRecord
from lockgate.spend.repository import Dimension, SpendFilter, SpendRepository

RESULTS = Path(__file__).parent / "results"
MIGRATIONS = Path(lockgate.__file__).parent / "db" / "migrations" / "versions"
MODELS = [
    ("gpt-4o", "openai"),
    ("gpt-4o-mini", "openai"),
    ("o3", "openai"),
    ("claude-sonnet", "anthropic"),
    ("claude-haiku", "anthropic"),
    ("llama-70b", "local"),
    ("llama-8b", "local"),
    ("mistral", "local"),
]
END = datetime(2026, 12, 1, tzinfo=UTC)


def seed(path: Path, rows: int, n_users: int, rng: random.Random) -> float:
    """Seed; returns the insert rate (rows per second, trigger included)."""
    db = sqlite3.connect(path)
    users = [uuid.uuid4() for _ in range(n_users)]
    keys = [(uuid.uuid4(), rng.choice(users)) for _ in range(n_users * 2)]
    keys_of: dict[uuid.UUID, list[uuid.UUID]] = {}
    for key_id, owner in keys:
        keys_of.setdefault(owner, []).append(key_id)
    models_of = {u: rng.sample(MODELS, rng.choice((2, 3))) for u in users}
    stamp = "2026-01-01 00:00:00.000000"
    db.executemany(
        "INSERT INTO users (id, email, password_hash, is_admin, is_active, created_at, updated_at)"
        " VALUES (?, ?, '', 0, 1, ?, ?)",
        [(u.hex, f"user{i}@example.com", stamp, stamp) for i, u in enumerate(users)],
    )
    db.executemany(
        "INSERT INTO api_keys (id, user_id, name, prefix, key_hash, created_at)"
        " VALUES (?, ?, ?, 'lg-xxxxxxx', ?, ?)",
        [(k.hex, u.hex, f"key {i}", uuid.uuid4().hex, stamp) for i, (k, u) in enumerate(keys)],
    )
    start = END - timedelta(days=365)
    span = int(timedelta(days=365).total_seconds())

    def row(_: int) -> tuple[Any, ...]:
        user = rng.choice(users)
        own = keys_of.get(user)
        key = (rng.choice(own), user) if own and rng.random() < 0.4 else None
        model, provider = rng.choice(models_of[user])
        at = start + timedelta(seconds=rng.randrange(span))
        tokens_in, tokens_out = rng.randrange(10, 4000), rng.randrange(1, 1500)
        cost = f"{(tokens_in * 25 + tokens_out * 100) / 10**8:.8f}"
        return (
            uuid.uuid4().hex,
            user.hex,
            key[0].hex if key else None,
            "chat",
            provider,
            model,
            tokens_in,
            tokens_out,
            cost,
            "0.00000000",
            "ok",
            at.strftime("%Y-%m-%d %H:%M:%S.%f"),
        )

    sql = (
        "INSERT INTO usage_records (id, user_id, api_key_id, kind, provider, model, input_tokens,"
        " output_tokens, images, cost_usd, saved_usd, cost_exact, latency_ms, outcome, created_at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, 0, ?, ?, 1, 100, ?, ?)"
    )
    values = [row(i) for i in range(rows)]
    began = time.perf_counter()
    for first in range(0, rows, 100_000):
        db.executemany(sql, values[first : first + 100_000])
    db.commit()
    rate = rows / (time.perf_counter() - began)
    db.execute("ANALYZE")
    db.commit()
    db.close()
    return rate


def money(column: Any) -> Any:
    return func.sum(cast(func.round(column * 100000000), Integer))


def ledger_query(by: Dimension, f: SpendFilter) -> Any:
    """The same report straight from ``usage_records`` (money summed exactly, as units)."""
    dims: list[Any] = {  # type: ignore[assignment]
        "user": [UsageRecord.user_id],
        "key": [UsageRecord.api_key_id],
        "model": [UsageRecord.model, UsageRecord.provider],
        "provider": [UsageRecord.provider],
        "day": [func.substr(UsageRecord.created_at, 1, 10)],
    }[by]
    begin = datetime.combine(f.start, datetime.min.time(), tzinfo=UTC)
    stop = datetime.combine(f.end + timedelta(days=1), datetime.min.time(), tzinfo=UTC)
    stmt = select(
        *dims,
        func.count(),
        func.sum(UsageRecord.input_tokens),
        func.sum(UsageRecord.output_tokens),
        money(UsageRecord.cost_usd),
        money(UsageRecord.saved_usd),
    ).where(UsageRecord.created_at >= begin, UsageRecord.created_at < stop)
    if f.user_id is not None:
        stmt = stmt.where(UsageRecord.user_id == f.user_id)
    return stmt.group_by(*dims)


QUERIES: list[tuple[str, Dimension, int, bool]] = [
    # name, dimension, days back from END, for one user only
    ("year_by_user_top", "user", 365, False),
    ("year_by_key", "key", 365, False),
    ("year_by_model", "model", 365, False),
    ("year_by_provider", "provider", 365, False),
    ("year_by_day", "day", 365, False),
    ("month_by_user", "user", 30, False),
    ("day_by_user", "user", 1, False),
    ("one_user_year_by_model", "model", 365, True),
]


async def run_queries(
    url: str, repeat: int, user_id: uuid.UUID, *, ledger: bool
) -> dict[str, float]:
    engine = create_engine(url)
    sessionmaker = create_sessionmaker(engine)
    out: dict[str, float] = {}
    try:
        for name, by, days, one_user in QUERIES:
            last = (END - timedelta(days=1)).date()  # whole UTC days, the last one included
            first = last - timedelta(days=days - 1)
            f = SpendFilter(first, last, user_id=user_id if one_user else None)
            times = []
            for _ in range(repeat):
                async with sessionmaker() as db:
                    began = time.perf_counter()
                    if ledger:
                        groups: Any = (await db.execute(ledger_query(by, f))).all()
                    else:
                        groups = await SpendRepository(db).groups(by, f)
                    times.append((time.perf_counter() - began) * 1000)
            out[name] = round(statistics.median(times), 1)
            print(f"  {name:<26} {out[name]:>9.1f} ms  ({len(groups)} groups)", flush=True)
    finally:
        await engine.dispose()
    return out


def backfill_sql() -> str:
    """The rollup's backfill as migration 0012 runs it on SQLite."""
    path = MIGRATIONS / "0012_admin_console.py"
    spec = importlib.util.spec_from_file_location("migration_0012", path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    statement: str = module._rollup_sql("sqlite")[0]
    return statement


async def insert_cost(rows: int, users: int) -> dict[str, float]:
    """Ledger inserts per second into a fresh database, with the rollup trigger and without it
    (the write cost the rollup adds to every usage row)."""
    out: dict[str, float] = {}
    for name in ("with_trigger", "without_trigger"):
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "insert.db"
            engine = create_engine(f"sqlite+aiosqlite:///{path}")
            await upgrade(engine)
            await engine.dispose()
            if name == "without_trigger":
                db = sqlite3.connect(path)
                db.execute("DROP TRIGGER usage_daily_rollup")
                db.commit()
                db.close()
            out[name] = round(seed(path, rows, users, random.Random(7)))
            print(f"  {name:<26} {out[name]:>9,.0f} inserts/s", flush=True)
    return out


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--users", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument(
        "--insert-rows", type=int, default=100_000, help="rows for the insert-cost comparison"
    )
    args = parser.parse_args()
    print(f"insert cost ({args.insert_rows:,} rows into a fresh database):")
    inserts = await insert_cost(args.insert_rows, args.users)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "spend.db"
        url = f"sqlite+aiosqlite:///{path}"
        engine = create_engine(url)
        await upgrade(engine)
        await engine.dispose()
        began = time.perf_counter()
        # The trigger's cost is measured above; here the ledger is seeded without it and the
        # rollup built once from it, with the migration's own backfill statement.
        db = sqlite3.connect(path)
        db.execute("DROP TRIGGER usage_daily_rollup")
        db.commit()
        db.close()
        rate = seed(path, args.rows, args.users, random.Random(19))
        db = sqlite3.connect(path)
        db.execute(backfill_sql())
        db.commit()
        db.close()
        print(f"seeded {args.rows:,} rows in {time.perf_counter() - began:.1f} s", flush=True)
        db = sqlite3.connect(path)
        user_hex = db.execute("SELECT user_id FROM usage_records LIMIT 1").fetchone()[0]
        db.close()
        user_id = uuid.UUID(user_hex)
        db = sqlite3.connect(path)
        rollup_rows = db.execute("SELECT COUNT(*) FROM usage_daily").fetchone()[0]
        db.close()
        print(f"rollup: {rollup_rows:,} rows. From the rollup (what the endpoints run):")
        indexed = await run_queries(url, args.repeat, user_id, ledger=False)
        print("aggregating the ledger instead:")
        plain = await run_queries(url, args.repeat, user_id, ledger=True)
    RESULTS.mkdir(exist_ok=True)
    result = {
        "rows": args.rows,
        "repeat": args.repeat,
        "users": args.users,
        "seed_insert_rate": round(rate),
        "insert_cost": inserts,
        "rollup_rows": rollup_rows,
        "rollup_ms": indexed,
        "ledger_ms": plain,
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "machine": platform.platform(),
        "at": datetime.now(UTC).isoformat(),
    }
    out = RESULTS / f"spend-{datetime.now(UTC):%Y%m%dT%H%M%S}.json"
    out.write_text(json.dumps(result, indent=2))
    print(f"wrote {out}")


if __name__ == "__main__":
    asyncio.run(main())
