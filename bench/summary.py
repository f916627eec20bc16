"""The last step of ``make bench``: every figure of issue 16 beside its target, in one table.

Reads what the steps before it wrote to ``bench/results/`` during this run (the newest
``gateway-*``, ``chat-*`` and ``pageload-*`` JSON modified after ``--since``, which the Makefile
sets to the moment ``make bench`` started) and prints one row per figure: the direct baseline of
the same run where there is one, Lockgate's figure, the target, and met / NOT met. A step that did
not run (or wrote something this script does not understand) gives "no figure", never a guess.
LiteLLM is a reference row only: measured when ``litellm`` is importable, otherwise it says so
(it is optional and never a dependency).

    .venv/bin/python -m bench.summary [--since EPOCH_SECONDS]
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import math
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any

from bench.harness import RESULTS

Json = dict[str, Any]


@dataclass(frozen=True, slots=True)
class Row:
    figure: str
    direct: str
    lockgate: str
    target: str
    met: bool | None  # None: reported only, or no figure
    absent: bool = False  # the step that measures it did not run or failed

    @property
    def verdict(self) -> str:
        if self.absent:
            return "no figure"
        if self.met is None:
            return "—"
        return "met" if self.met else "NOT met"


def newest(kind: str, since: float) -> Json | None:
    """The newest ``<kind>-*.json`` written after `since` (None if that step did not run)."""
    found = [p for p in RESULTS.glob(f"{kind}-*.json") if p.stat().st_mtime >= since]
    if not found:
        return None
    data: Json = json.loads(max(found, key=lambda p: p.stat().st_mtime).read_text())
    return data


def missing(figure: str, target: str, why: str = "no figure (step did not run)") -> Row:
    return Row(figure, "", why, target, None, absent=True)


def num(value: float, digits: int = 0) -> str:
    return f"{value:,.{digits}f}"


# --- the gateway: bench.gateway ---------------------------------------------------------------


def gateway_rows(report: Json | None) -> Iterator[Row]:
    store_rows: list[tuple[str, str, float, float]] = [
        ("1w-memory", "memory gate", 2500.0, 0.4),
        ("1w-redis", "Redis gate", 1700.0, 0.8),
        ("2w-redis-pg", "Redis gate, 2 workers, PostgreSQL", 1700.0, 0.8),
    ]
    variants = {v["variant"]: v for v in (report or {}).get("variants", [])}
    for name, label, rps_target, seq_target in store_rows:
        v = variants.get(name)
        if v is None:
            yield missing(f"{label}: req/s per worker, c=32", f"≥ {num(rps_target)}")
            yield missing(f"{label}: added p50, sequential (ms)", f"≤ {seq_target}")
            yield missing(f"{label}: p99/p50 at c=32", "≤ 2.5")
            continue
        plain = v["non_streaming"]
        th, d = plain["through"], plain["direct"]
        errors = "" if th.get("valid", True) else " (errors!)"
        yield Row(
            f"{label}: req/s per worker, c=32",
            num(d["rps"]),
            num(plain["rps_per_worker"]) + errors,
            f"≥ {num(rps_target)}",
            plain["rps_per_worker"] >= rps_target and th.get("valid", True),
        )
        seq = v["sequential"]
        yield Row(
            f"{label}: added p50, sequential (ms)",
            f"{seq['direct']['median_ms']:.2f}",
            f"+{seq['added_median_ms']:.2f}",
            f"≤ {seq_target}",
            seq["added_median_ms"] <= seq_target,
        )
        tail = th["p99_ms"] / th["p50_ms"] if th["p50_ms"] else math.inf
        yield Row(
            f"{label}: p99/p50 at c=32",
            f"{d['p99_ms'] / d['p50_ms']:.1f}" if d["p50_ms"] else "",
            f"{tail:.1f} ({th['p99_ms']:.1f}/{th['p50_ms']:.1f} ms)",
            "≤ 2.5",
            tail <= 2.5,
        )
    for name in ("1w-memory", "1w-redis"):
        v = variants.get(name)
        label = "memory" if name == "1w-memory" else "Redis"
        if v is None:
            yield missing(f"streaming, {label} gate: added TTFT p50 (ms)", "≤ 0.5")
            continue
        first = v["ttft"]
        yield Row(
            f"streaming, {label} gate: added TTFT p50 (ms)",
            f"{first['direct']['median_ms']:.2f}",
            f"+{first['added_median_ms']:.2f}",
            "≤ 0.5",
            first["added_median_ms"] <= 0.5,
        )
        stream = v["streaming"]
        if "chunks_per_s_per_worker" in stream:
            yield Row(
                f"streaming, {label} gate: relayed chunks/s per worker",
                num(stream["direct"].get("chunks_per_s", 0)),
                num(stream["chunks_per_s_per_worker"]),
                "reported",
                None,
            )
    yield from cache_rows(report)
    yield from rss_rows(variants, report)


def cache_rows(report: Json | None) -> Iterator[Row]:
    figure, target = "cache hit path: req/s per worker, c=32", "≥ 3,000"
    cache = (report or {}).get("cache_hit")
    if not cache:
        yield missing(figure, target)
    elif "hit" not in cache:
        yield missing(figure, target, f"skipped: {cache.get('skipped')}")
    else:
        rps = cache["hit"]["rps_per_worker"]
        yield Row(figure, "", num(rps), target, rps >= 3000)


def rss_rows(variants: dict[str, Json], report: Json | None) -> Iterator[Row]:
    if not variants:
        yield missing("RSS per worker, peak (MB)", "≤ 150")
    for name, v in variants.items():
        per_worker = v["rss"]["peak_mb"] / max(1, v["workers"])
        yield Row(
            f"RSS per worker, peak (MB), {name}",
            "",
            f"{per_worker:.0f}",
            "≤ 150",
            per_worker <= 150,
        )
    soak = (report or {}).get("soak")
    if not soak:
        yield missing("RSS drift over the soak", "±10 %")
        return
    count = f"{soak['requests']:,} requests"
    if soak.get("scaled_down"):
        count += f", quick (full run: {100_000:,})"
    growth = soak.get("growth_ratio")
    figure = f"RSS drift over the soak ({count})"
    if growth is None:
        yield missing(figure, "±10 %", "too few requests")
        return
    shown = (
        f"{growth * 100:+.1f} % ({soak['rss_after_first_mb']:.0f} → "
        f"{soak['rss_after_all_mb']:.0f} MB)"
    )
    if not soak["reached_target"]:
        shown += f", target {soak['target_requests']:,} not reached"
    met = soak.get("within_10_percent")
    yield Row(figure, "", shown, "±10 %", None if met is None else abs(growth) <= 0.10)


# --- the chat path: bench.chat (owned by its own module; read defensively) ----------------------


def chat_rows(report: Json | None) -> Iterator[Row]:
    """One block of rows per database (``{"databases": {name: {"rows": [...]}}}``; an older
    report is one database's ``{"rows": [...]}``)."""
    databases = (report or {}).get("databases")
    if not isinstance(databases, dict):
        databases = {(report or {}).get("database", "SQLite"): report or {}}
    found = False
    for db, part in databases.items():
        rows = part.get("rows") if isinstance(part, dict) else None
        if isinstance(rows, list) and rows:
            found = True
            yield from _chat_database(str(db), rows)
    if not found:
        yield missing("chat path (bench.chat)", "issue 16")


def _chat_database(db: str, rows: list[Json]) -> Iterator[Row]:
    by: dict[tuple[str, int], Json] = {(r["workload"], r["offered"]): r for r in rows}

    def at(workload: str, rate: int, figure: str, target: str, ok: Callable[[Json], bool]) -> Row:
        row = by.get((workload, rate))
        if row is None:
            return missing(figure, target, f"no {rate} msg/s run")
        shown = (
            f"{row['achieved']:.0f} msg/s, p99 {row['p99_ms']:.0f} ms"
            f" ({row.get('shed', 0)} shed, {row.get('failed', 0)} failed)"
        )
        return Row(figure, "", shown, target, ok(row))

    yield at(
        "instant", 150, f"chat, {db}, instant replies at 150 msg/s", "≥ 150 msg/s",
        lambda r: r["achieved"] >= 150 * 0.98,
    )  # fmt: skip
    yield at(
        "instant", 100, f"chat, {db}, instant replies: p99 at 100 msg/s", "< 50 ms",
        lambda r: r["p99_ms"] < 50,
    )  # fmt: skip
    yield at(
        "streamed", 60, f"chat, {db}, 1.3 s streamed replies at 60 msg/s",
        "≥ 60 msg/s, p99 < 2.6 s", lambda r: r["achieved"] >= 60 * 0.98 and r["p99_ms"] < 2600,
    )  # fmt: skip
    for workload in sorted({r["workload"] for r in rows}):
        ladder = sorted((r for r in rows if r["workload"] == workload), key=lambda r: r["offered"])
        achieved = [r["achieved"] for r in ladder]
        # "never falls": each step at least 95 % of the best before it (one run's noise)
        held = all(a >= 0.95 * max(achieved[:i]) for i, a in enumerate(achieved) if i)
        yield Row(
            f"chat, {db}, {workload}: no collapse as load rises",
            "",
            " → ".join(f"{a:.0f}" for a in achieved) + " msg/s",
            "never falls",
            held,
        )


# --- the web app: bench.pageload -----------------------------------------------------------------


def page_rows(report: Json | None) -> Iterator[Row]:
    for which in ("cold", "warm"):
        figure = f"chat page load, {which} (headless Chromium, median of 5)"
        row = (report or {}).get(which)
        if not row:
            yield missing(figure, "reported")
            continue
        yield Row(
            figure,
            "",
            f"{row['usable_ms']:.0f} ms usable, {row['kb']:.0f} KB",
            "reported",
            None,
        )


# --- LiteLLM: optional reference ---------------------------------------------------------------


def litellm_rows() -> Iterator[Row]:
    """Issue 16's LiteLLM figures (133 req/s, +7.40 ms) came from a separate run; this bench
    does not start a LiteLLM proxy, so it only says whether one could be measured here."""
    installed = importlib.util.find_spec("litellm") is not None
    shown = "installed; not measured by make bench" if installed else "not installed (optional)"
    yield Row("LiteLLM proxy (reference)", "", shown, "reported", None)


# --- the table ---------------------------------------------------------------------------------


def table(since: float) -> list[Row]:
    gateway = newest("gateway", since)
    return [
        *gateway_rows(gateway),
        *chat_rows(newest("chat", since)),
        *page_rows(newest("pageload", since)),
        *litellm_rows(),
    ]


def render(rows: list[Row], gateway: Json | None) -> str:
    head = ("figure", "direct", "Lockgate", "target", "")
    widths = [
        max(len(head[0]), *(len(r.figure) for r in rows)),
        max(len(head[1]), *(len(r.direct) for r in rows)),
        max(len(head[2]), *(len(r.lockgate) for r in rows)),
        max(len(head[3]), *(len(r.target) for r in rows)),
    ]
    lines = []
    if gateway:
        m = gateway["machine"]
        lines.append(
            f"issue 16, make bench ({gateway['profile']}): {m['cpus']} CPUs {m['cpu_model']}; "
            f"load average {gateway['loadavg_start'][0]} → {gateway['loadavg_end'][0]} "
            "(other work shares this machine)"
        )
        if gateway.get("stopped"):
            lines.append(f"bench.gateway stopped early ({gateway['stopped']}): later rows absent")
    lines.append(
        f"{head[0]:<{widths[0]}}  {head[1]:>{widths[1]}}  {head[2]:<{widths[2]}}  "
        f"{head[3]:<{widths[3]}}  verdict"
    )
    for r in rows:
        lines.append(
            f"{r.figure:<{widths[0]}}  {r.direct:>{widths[1]}}  {r.lockgate:<{widths[2]}}  "
            f"{r.target:<{widths[3]}}  {r.verdict}"
        )
    met = sum(1 for r in rows if r.met)
    judged = sum(1 for r in rows if r.met is not None)
    lines.append(
        f"{met} of {judged} targets met. direct = the fake upstream alone in the same minutes; "
        "latencies in ms; the JSON of each step is in bench/results/."
    )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=(__doc__ or "").splitlines()[0],
        epilog="Exits 1 when a step left no figure (it failed or did not run).",
    )
    parser.add_argument(
        "--since", type=float, default=0.0, help="only results written after this epoch time"
    )
    args = parser.parse_args()
    rows = table(args.since)
    print()
    print(render(rows, newest("gateway", args.since)))
    RESULTS.mkdir(exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
    out = RESULTS / f"summary-{stamp}.json"
    out.write_text(json.dumps([{**asdict(r), "verdict": r.verdict} for r in rows], indent=1))
    print(f"written to {out}")
    if any(r.absent for r in rows):
        raise SystemExit(1)


if __name__ == "__main__":
    main()
