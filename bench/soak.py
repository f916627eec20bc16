"""Soak: does a long run leak? RSS of ``lockgate serve`` after 10,000 requests and after 100,000.

A fresh 1-worker Lockgate (in-memory gate, SQLite) in front of the fast fake upstream takes
non-streaming chat completions from ``wrk`` at concurrency 32, in segments; after each segment
(and half a second of quiet) the RSS of its process tree is read from /proc. The verdict compares
the RSS after the last segment with the RSS after the first ``--first`` requests: within 10 % is
a pass. wrk cannot stop at a request count, so milestones are "at least N" and the JSON records
the exact count of each point of the curve.

``make bench`` runs this inside ``bench.gateway`` within its time budget; at today's speed that
budget may end before 100,000 requests, and the report says so. Run it alone for the full count:

    .venv/bin/python -m bench.soak [--requests 100000] [--first 10000] [--max-minutes 45]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import shutil
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.harness import (
    BODY,
    CHAT,
    RESULTS,
    BenchError,
    Deadline,
    Upstream,
    auth,
    check_replies,
    create_key,
    find_load_tool,
    install_deadline,
    loadavg,
    machine,
    run_wrk,
    start_lockgate,
    start_upstream,
    tree_rss,
)
from tests.fixtures.procs import tmp_base

TOLERANCE = 0.10
SEGMENTS = 10
MB = 2**20


def soak(
    wrk: str,
    upstream: Upstream,
    workdir: Path,
    *,
    first: int,
    total: int,
    deadline: float,
    rps_hint: float = 100.0,
) -> dict[str, Any]:
    """Run the soak until `total` requests or the monotonic `deadline`, whichever comes first."""
    with contextlib.ExitStack() as stack:
        began = time.monotonic()
        gate = start_lockgate(
            "soak", 1, workdir / "soak", upstream, stack, redis_url=None, pg_dsn=None
        )
        gate.key = create_key(gate.base)
        check_replies(upstream, gate)
        gate.sampler.reset()
        rss_start = gate.sampler.sample()
        rate = max(rps_hint, 20.0)
        done = errors = 0
        rss_first: int | None = None
        curve: list[dict[str, float]] = []
        time_limited = False
        while done < total:
            # the first segment aims at `first`, then about (total - first) / 9 each
            step = max(1, (total - first) // (SEGMENTS - 1))
            goal = first if rss_first is None else min(total, done + step)
            left = deadline - time.monotonic() - 5
            if left < 2:
                time_limited = True
                break
            seconds = max(1, min(round((goal - done) / rate + 0.5), int(left)))
            result = run_wrk(
                wrk, gate.base + CHAT, BODY, auth(gate.key), duration_s=seconds, workdir=workdir
            )
            done += result["requests"]
            errors += result["errors"]
            rate = max(result["rps"], 20.0)
            time.sleep(0.5)  # let the requests wrk cut off finish before reading RSS
            rss = gate.sampler.sample()
            curve.append({"requests": done, "rss_mb": round(rss / MB, 1), "rps": result["rps"]})
            if rss_first is None and done >= first:
                rss_first = rss
        rss_last = tree_rss(gate.proc.pid)[0]
        peak = gate.sampler.peak
        seconds_total = round(time.monotonic() - began, 1)
    growth = rss_last / rss_first - 1 if rss_first else None
    reached = done >= total
    return {
        "first_milestone": first,
        "target_requests": total,
        "requests": done,
        "reached_target": reached,
        "time_limited": time_limited,
        "errors": errors,
        "seconds": seconds_total,
        "rss_start_mb": round(rss_start / MB, 1),
        "rss_after_first_mb": round(rss_first / MB, 1) if rss_first else None,
        "rss_after_all_mb": round(rss_last / MB, 1),
        "rss_peak_mb": round(peak / MB, 1),
        "growth_ratio": round(growth, 4) if growth is not None else None,
        # None: not enough requests for a verdict
        "within_10_percent": (growth <= TOLERANCE) if (growth is not None and reached) else None,
        "curve": curve,
    }


def describe(result: dict[str, Any]) -> str:
    """One line: both RSS figures, the growth and the verdict (or why there is none)."""
    growth = result["growth_ratio"]
    if result["rss_after_first_mb"] is None:
        return (
            f"only {result['requests']:,} requests in {result['seconds']} s (< "
            f"{result['first_milestone']:,}): no verdict"
        )
    text = (
        f"RSS after {result['first_milestone']:,} requests {result['rss_after_first_mb']} MB, "
        f"after {result['requests']:,} {result['rss_after_all_mb']} MB ({growth * 100:+.1f} %)"
    )
    if result["within_10_percent"] is None:
        return (
            f"{text}; time budget ended before {result['target_requests']:,} requests: "
            f"no verdict (run `python -m bench.soak` for the full count)"
        )
    verdict = "met" if result["within_10_percent"] else "NOT met"
    return f"{text}; within 10 %: {verdict}"


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--requests", type=int, default=100_000)
    parser.add_argument("--first", type=int, default=10_000)
    parser.add_argument("--max-minutes", type=float, default=45.0)
    args = parser.parse_args()
    if not 0 < args.first < args.requests:
        parser.error("need 0 < --first < --requests")
    try:
        wrk = find_load_tool()
    except BenchError as exc:
        sys.exit(f"bench.soak: {exc}")
    budget = args.max_minutes * 60
    install_deadline(budget + 180)
    workdir = Path(
        tempfile.mkdtemp(prefix="lockgate-bench-soak-", dir=tmp_base(shared_with_other_user=False))
    )
    report: dict[str, Any] = {
        "benchmark": "soak",
        "when": datetime.now(UTC).isoformat(),
        "machine": machine(wrk),
        "loadavg_start": loadavg(),
    }
    try:
        with contextlib.ExitStack() as stack:
            upstream = start_upstream(workdir, stack)
            deadline = time.monotonic() + budget
            report["result"] = soak(
                wrk, upstream, workdir, first=args.first, total=args.requests, deadline=deadline
            )
    except (BenchError, Deadline) as exc:
        sys.exit(f"bench.soak: {exc}\n(logs kept in {workdir})")
    shutil.rmtree(workdir, ignore_errors=True)
    report["loadavg_end"] = loadavg()
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / f"soak-{datetime.now(UTC).strftime('%Y%m%dT%H%M%S')}.json"
    path.write_text(json.dumps(report, indent=2))
    print(f"soak, 1 worker: {describe(report['result'])}")
    print(f"written to {path}")


if __name__ == "__main__":
    main()
