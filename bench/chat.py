"""The web chat path under open-loop load: does throughput hold as offered load rises?

A real ``lockgate serve`` (1 worker; SQLite by default, ``--postgres`` for PostgreSQL) with the
simulated provider; twenty users, each signed in with a cookie and CSRF token and owning ten
conversations, send messages through ``POST /api/v1/conversations/{id}/messages`` and read each
SSE reply to its final event. Sends are scheduled at fixed times (open loop: a slow reply never
delays the next send), for each offered rate in turn:

* instant replies (20 tokens, no first-token delay): 50, 100, 150, 200 msg/s;
* streamed replies (52 tokens at 40 tokens/s, about 1.3 s, saved every 250 ms): 20, 40, 60, 80
  msg/s.

For each: messages answered per second (achieved), latency p50/p99 from send to final event,
refusals (503 with Retry-After: shed load), failures, and the server's CPU per message. JSON
to ``bench/results/chat-<timestamp>.json``.
Bounded: every request has a timeout, a hard alarm ends the run, every process is stopped.

    .venv/bin/python -m bench.chat [--seconds 8] [--sqlite | --postgres] [--only instant|streamed]
                                   [--without-search]

Both databases by default, one after the other (``--sqlite`` or ``--postgres`` for one). Each
figure is printed beside issue 16's target, and per workload whether achieved throughput held as
offered load rose (no collapse: past capacity the rest is shed with 503 + Retry-After).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import statistics
import tempfile
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import yaml

from bench.harness import (
    PASSWORD,
    RESULTS,
    BenchError,
    install_deadline,
    loadavg,
    services,
    start_lockgate,
    tree_cpu,
)

USERS = 20
CONVERSATIONS_PER_USER = 10
WORKLOADS: dict[str, dict[str, Any]] = {
    "instant": {"rates": [50, 100, 150, 200], "tokens": 20, "tps": 1_000_000.0},
    "streamed": {"rates": [20, 40, 60, 80], "tokens": 52, "tps": 40.0},
}


@dataclass
class Outcome:
    started: float
    ended: float = 0.0
    status: int = 0
    final: bool = False


@dataclass
class Result:
    workload: str
    offered: int
    seconds: float
    outcomes: list[Outcome] = field(default_factory=list)
    cpu_seconds: float = 0.0

    def summary(self) -> dict[str, Any]:
        done = [o for o in self.outcomes if o.status == 200 and o.final]
        shed = sum(1 for o in self.outcomes if o.status == 503)
        failed = len(self.outcomes) - len(done) - shed
        latencies = sorted((o.ended - o.started) * 1000 for o in done)
        last_end = max((o.ended for o in done), default=0.0)
        first = min((o.started for o in self.outcomes), default=0.0)
        span = max(self.seconds, last_end - first) if done else self.seconds
        return {
            "workload": self.workload,
            "offered": self.offered,
            "achieved": len(done) / span if span else 0.0,
            "answered": len(done),
            "shed": shed,
            "failed": failed,
            "p50_ms": _pct(latencies, 50),
            "p99_ms": _pct(latencies, 99),
            "cpu_ms_per_msg": 1000 * self.cpu_seconds / max(1, len(done)),
        }


def _pct(values: list[float], pct: int) -> float:
    if not values:
        return float("nan")
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[pct - 1]


def server_env(
    workdir: Path, tps: float, pg_dsn: str | None, *, search: bool = True
) -> dict[str, str]:
    config: dict[str, Any] = {
        "providers": {
            "sim": {"type": "simulated", "first_token_latency": 0, "tokens_per_second": tps}
        },
        "models": {"sim-chat": {"provider": "sim", "context_window": 8192}},
        "default_model": "sim-chat",
        "gate": {
            "rate_limits": {
                "default": "100000000/minute",
                "per_ip": "100000000/minute",
                "chat": "100000000/minute",
            }
        },
    }
    if not search:  # search by meaning embeds every message: what it costs, measured apart
        config["search"] = {"semantic": False}
    config_file = workdir / "lockgate.yaml"
    workdir.mkdir(parents=True, exist_ok=True)
    config_file.write_text(yaml.safe_dump(config, sort_keys=False))
    inherited = {k: v for k, v in os.environ.items() if not k.startswith(("LOCKGATE_", "OTEL_"))}
    env = {
        **inherited,
        "LOCKGATE_ENV": "development",  # the simulated provider's reply-length directive
        "LOCKGATE_DATA_DIR": str(workdir / "data"),
        "LOCKGATE_CONFIG_FILE": str(config_file),
        "LOCKGATE_LOG_LEVEL": "WARNING",
        "LOCKGATE_LOG_FORMAT": "json",
        "LOCKGATE_MIGRATE_ON_START": "false",
    }
    if pg_dsn is not None:
        env["LOCKGATE_DATABASE_URL"] = pg_dsn
    return env


async def sign_up(base: str, index: int) -> tuple[httpx.AsyncClient, list[str]]:
    client = httpx.AsyncClient(
        base_url=base, timeout=httpx.Timeout(60.0), limits=httpx.Limits(max_connections=64)
    )
    email = f"chat{index}@example.com"
    registered = await client.post(
        "/api/v1/auth/register", json={"email": email, "password": PASSWORD}
    )
    if registered.status_code not in (200, 201):
        raise BenchError(f"register failed: {registered.status_code} {registered.text}")
    client.headers["X-CSRF-Token"] = client.cookies["lockgate_csrf"]
    conversations = []
    for _ in range(CONVERSATIONS_PER_USER):
        created = await client.post("/api/v1/conversations", json={})
        if created.status_code != 201:
            raise BenchError(f"conversation failed: {created.status_code} {created.text}")
        conversations.append(created.json()["id"])
    return client, conversations


async def send(client: httpx.AsyncClient, conversation: str, tokens: int) -> Outcome:
    outcome = Outcome(started=time.monotonic())
    body = {"content": f"[[tokens:{tokens}]] How do I reset my password?"}
    try:
        async with client.stream(
            "POST", f"/api/v1/conversations/{conversation}/messages", json=body
        ) as response:
            outcome.status = response.status_code
            if response.status_code == 200:
                async for line in response.aiter_lines():
                    if line.startswith("event: done") or line.startswith("event: error"):
                        outcome.final = line.startswith("event: done")
            else:
                await response.aread()
    except httpx.HTTPError:
        outcome.status = -1
    outcome.ended = time.monotonic()
    return outcome


async def run_rate(
    users: list[tuple[httpx.AsyncClient, list[str]]],
    workload: str,
    rate: int,
    seconds: float,
    tokens: int,
    server_pid: int,
) -> Result:
    result = Result(workload, rate, seconds)
    total = int(rate * seconds)
    cpu_before = tree_cpu(server_pid)
    start = time.monotonic()
    tasks = []
    for i in range(total):
        due = start + i / rate
        delay = due - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)  # the open-loop schedule, not synchronisation
        client, conversations = users[i % len(users)]
        conversation = conversations[(i // len(users)) % len(conversations)]
        tasks.append(asyncio.create_task(send(client, conversation, tokens)))
    result.outcomes = list(await asyncio.wait_for(asyncio.gather(*tasks), timeout=120))
    result.cpu_seconds = tree_cpu(server_pid) - cpu_before
    return result


TARGETS = {
    ("instant", 100): "p99 < 50 ms",
    ("instant", 150): "≥ 150 msg/s",
    ("streamed", 60): "≥ 60 msg/s, p99 < 2.6 s",
}
# A rate "holds" when it answers at least this share of the best achieved at a lower rate.
HOLDS = 0.9


def verdict(row: dict[str, Any]) -> str:
    key = (row["workload"], row["offered"])
    target = TARGETS.get(key)
    if target is None:
        return ""
    if key == ("instant", 100):
        met = row["p99_ms"] < 50
    elif key == ("instant", 150):
        met = row["achieved"] >= 150 * 0.98
    else:
        met = row["achieved"] >= 60 * 0.98 and row["p99_ms"] < 2600
    return f"{target}: {'met' if met else 'NOT met'}"


def no_collapse(rows: list[dict[str, Any]]) -> str:
    """Issue 16's first target: achieved throughput never falls as offered load rises."""
    best = 0.0
    for row in rows:
        if best and row["achieved"] < HOLDS * best:
            return (
                f"no collapse: NOT met ({row['achieved']:.1f} msg/s at {row['offered']} offered, "
                f"{best:.1f} at a lower rate)"
            )
        best = max(best, row["achieved"])
    return "no collapse (achieved never falls as offered rises): met"


async def measure(base: str, pid: int, workload: str, seconds: float) -> list[dict[str, Any]]:
    spec = WORKLOADS[workload]
    users = [await sign_up(base, i) for i in range(USERS)]
    rows = []
    try:
        for rate in spec["rates"]:
            result = await run_rate(users, workload, rate, seconds, spec["tokens"], pid)
            rows.append(result.summary())
    finally:
        for client, _ in users:
            await client.aclose()
    return rows


def run_database(
    database: str,
    workloads: list[str],
    seconds: float,
    stack: contextlib.ExitStack,
    pg_url: Any,
    *,
    search: bool = True,
) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for workload in workloads:
        work = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="lockgate-chat-")))
        pg = pg_url() if database == "PostgreSQL" else None
        env = server_env(work / "server", WORKLOADS[workload]["tps"], pg, search=search)
        with contextlib.ExitStack() as server:  # one server at a time: stopped before the next
            gate = start_lockgate(
                f"chat-{workload}", 1, work / "server", None, server,
                redis_url=None, pg_dsn=pg, env=env,
            )  # fmt: skip
            measured = asyncio.run(measure(gate.base, gate.proc.pid, workload, seconds))
        rows.extend({**row, "database": database, "search": search} for row in measured)
    return rows


def report(database: str, rows: list[dict[str, Any]], seconds: float, load: float) -> None:
    print(
        f"chat path, 1 worker, {database}, {USERS} users, open loop, {seconds:g} s per rate "
        f"(load average {load:.2f})"
    )
    print("  workload  offered  achieved    p50 ms    p99 ms  shed  failed  CPU ms/msg")
    for row in rows:
        print(
            f"  {row['workload']:<9} {row['offered']:>6} {row['achieved']:>9.1f} "
            f"{row['p50_ms']:>9.1f} {row['p99_ms']:>9.1f} {row['shed']:>5} {row['failed']:>7} "
            f"{row['cpu_ms_per_msg']:>11.2f}  {verdict(row)}"
        )
    for workload in WORKLOADS:
        mine = [r for r in rows if r["workload"] == workload]
        if mine:
            print(f"  {workload}: {no_collapse(mine)}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=8.0)
    which = parser.add_mutually_exclusive_group()
    which.add_argument("--postgres", action="store_true", help="PostgreSQL only")
    which.add_argument("--sqlite", action="store_true", help="SQLite only")
    parser.add_argument("--only", choices=sorted(WORKLOADS))
    parser.add_argument(
        "--without-search",
        action="store_true",
        help="search by meaning off (it is on by default and embeds every message)",
    )
    args = parser.parse_args()
    databases = ["SQLite", "PostgreSQL"]
    if args.postgres:
        databases = ["PostgreSQL"]
    elif args.sqlite:
        databases = ["SQLite"]
    install_deadline(900 * len(databases))
    workloads = [args.only] if args.only else list(WORKLOADS)
    results: dict[str, Any] = {"databases": {}}
    with contextlib.ExitStack() as stack:
        _redis_url, pg_url = stack.enter_context(services(False, "PostgreSQL" in databases))
        for database in databases:
            load = loadavg()
            rows = run_database(
                database, workloads, args.seconds, stack, pg_url, search=not args.without_search
            )
            report(database, rows, args.seconds, load[0])
            results["databases"][database] = {"rows": rows, "loadavg": load}
    RESULTS.mkdir(exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    # A run without search is a comparison, never the figure bench.summary quotes (chat-*).
    kind = "chat_without_search" if args.without_search else "chat"
    out = RESULTS / f"{kind}-{stamp}.json"
    out.write_text(json.dumps(results, indent=1))
    print(f"results: {out.name}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
