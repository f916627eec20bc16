"""The admins' spend reports over a large ledger: 1M usage rows in SQLite, each query timed with
and without the spend index (``ix_usage_records_spend``, migration 0012).

    .venv/bin/python -m bench.spend [--rows 1000000] [--repeat 3]

The database is migrated to head, then seeded with one year of rows (2,000 users, 5,000 keys,
8 models on 3 providers; 40 % of rows through a key) written straight through sqlite3 in one
transaction (seeding through the ORM would take minutes and measure nothing useful). Each query
is `lockgate.spend.repository.SpendRepository.groups`, exactly what the endpoints run. Prints the
median of ``--repeat`` runs in milliseconds and writes ``bench/results/spend-*.json``.
"""

from __future__ import annotations

import argparse
import asyncio
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

from lockgate.db.engine import create_engine, create_sessionmaker
from lockgate.db.migrate import upgrade
from lockgate.spend.repository import Dimension, SpendFilter, SpendRepository

RESULTS = Path(__file__).parent / "results"
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


def seed(path: Path, rows: int, rng: random.Random) -> None:
    db = sqlite3.connect(path)
    users = [uuid.uuid4() for _ in range(2000)]
    keys = [(uuid.uuid4(), rng.choice(users)) for _ in range(5000)]
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
        key = rng.choice(keys) if rng.random() < 0.4 else None
        user = key[1] if key else rng.choice(users)
        model, provider = rng.choice(MODELS)
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
    for first in range(0, rows, 100_000):
        db.executemany(sql, map(row, range(first, min(rows, first + 100_000))))
    db.commit()
    db.execute("ANALYZE")
    db.commit()
    db.close()


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


async def run_queries(url: str, repeat: int, user_id: uuid.UUID) -> dict[str, float]:
    engine = create_engine(url)
    sessionmaker = create_sessionmaker(engine)
    out: dict[str, float] = {}
    try:
        for name, by, days, one_user in QUERIES:
            f = SpendFilter(END - timedelta(days=days), END, user_id=user_id if one_user else None)
            times = []
            for _ in range(repeat):
                async with sessionmaker() as db:
                    began = time.perf_counter()
                    groups = await SpendRepository(db).groups(by, f)
                    times.append((time.perf_counter() - began) * 1000)
            out[name] = round(statistics.median(times), 1)
            print(f"  {name:<26} {out[name]:>9.1f} ms  ({len(groups)} groups)", flush=True)
    finally:
        await engine.dispose()
    return out


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "spend.db"
        url = f"sqlite+aiosqlite:///{path}"
        engine = create_engine(url)
        await upgrade(engine)
        await engine.dispose()
        began = time.perf_counter()
        seed(path, args.rows, random.Random(19))
        print(f"seeded {args.rows:,} rows in {time.perf_counter() - began:.1f} s", flush=True)
        db = sqlite3.connect(path)
        user_hex = db.execute("SELECT user_id FROM usage_records LIMIT 1").fetchone()[0]
        db.close()
        user_id = uuid.UUID(user_hex)
        print("with ix_usage_records_spend:")
        indexed = await run_queries(url, args.repeat, user_id)
        db = sqlite3.connect(path)
        db.execute("DROP INDEX ix_usage_records_spend")
        db.commit()
        db.close()
        print("without it (only the indexes before migration 0012):")
        plain = await run_queries(url, args.repeat, user_id)
    RESULTS.mkdir(exist_ok=True)
    result = {
        "rows": args.rows,
        "repeat": args.repeat,
        "with_spend_index_ms": indexed,
        "without_spend_index_ms": plain,
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
