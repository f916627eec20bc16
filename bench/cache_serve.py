"""The cache's hit path through a real server: requests/s per worker when every answer is cached.

A fake upstream and ``lockgate serve`` (1 worker, in-memory gate, SQLite, ``cache.enabled`` with
the embedded store and the local embedder) as real processes (``bench/harness.py``); a key over
the HTTP API; one non-streaming completion (a miss: paid, stored), a second that must say
``x-lockgate-cache: hit``; then wrk at c=32 on that same request for `duration_s`. The upstream's
CPU time over the run (next to nothing) shows the hits did not reach it.
"""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Any

import httpx

from bench.harness import (
    BODY,
    CHAT,
    CONCURRENCY,
    BenchError,
    auth,
    create_key,
    find_load_tool,
    run_wrk,
    start_lockgate,
    start_upstream,
    tree_cpu,
)

CACHED_BODY: dict[str, Any] = {**BODY, "temperature": 0}
STATUS_HEADER = "x-lockgate-cache"


def hit_path(workdir: Path, *, threshold: float | None, duration_s: int) -> dict[str, Any]:
    wrk = find_load_tool()
    cache: dict[str, Any] = {"enabled": True, "semantic": True, "store": "embedded"}
    if threshold is not None:
        cache["threshold"] = threshold
    workdir.mkdir(parents=True, exist_ok=True)
    with contextlib.ExitStack() as stack:
        upstream = start_upstream(workdir, stack)
        gate = start_lockgate(
            "cache-1w", 1, workdir / "lockgate", upstream, stack,
            redis_url=None, pg_dsn=None, extra_config={"cache": cache},
        )  # fmt: skip
        gate.key = create_key(gate.base)
        headers = auth(gate.key)
        with httpx.Client(timeout=30) as client:
            statuses = []
            for _ in range(2):
                reply = client.post(gate.base + CHAT, json=CACHED_BODY, headers=headers)
                if reply.status_code != 200:
                    raise BenchError(f"cached completion: HTTP {reply.status_code} {reply.text}")
                statuses.append(reply.headers.get(STATUS_HEADER, "(absent)"))
        if statuses[1] != "hit":
            return {"skipped": f"the second identical request was not a hit: {statuses}"}
        run_wrk(wrk, gate.base + CHAT, CACHED_BODY, headers, duration_s=1, workdir=workdir)
        cpu_before, upstream_before = tree_cpu(gate.proc.pid), tree_cpu(upstream.proc.pid)
        hit = run_wrk(
            wrk, gate.base + CHAT, CACHED_BODY, headers, duration_s=duration_s, workdir=workdir
        )
        cpu = tree_cpu(gate.proc.pid) - cpu_before
        hit["upstream_cpu_s"] = round(tree_cpu(upstream.proc.pid) - upstream_before, 2)
        per_request = cpu * 1000 / hit["requests"] if hit["requests"] else None
        hit["cpu_ms_per_request"] = round(per_request, 3) if per_request else None
        hit["rps_per_worker"] = hit["rps"]
        return {
            "concurrency": CONCURRENCY,
            "probe": statuses[1],
            "first": statuses[0],
            "cache_config": cache,
            "hit": hit,
        }
