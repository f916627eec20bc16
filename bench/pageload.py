"""Cold and warm load of the web chat page in headless Chromium (median of 5), for `make bench`.

Starts the fake upstream and a 1-worker ``lockgate serve`` with the built UI (``make ui``),
registers a user, then runs ``frontend/scripts/pageload.mjs``: each run signs in through the API
in a fresh browser context ("cold": an empty cache) and opens the chat page until the composer is
usable, then opens it again in the same context ("warm": hashed assets from the cache, the HTML
revalidated with its ETag). Prints the medians and the bytes transferred; JSON goes to
``bench/results/pageload-<timestamp>.json``. Bounded: a hard alarm ends the run, every process
started is stopped.

    .venv/bin/python -m bench.pageload [--runs 5]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import statistics
import subprocess
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.harness import (
    PASSWORD,
    RESULTS,
    BenchError,
    create_key,
    install_deadline,
    loadavg,
    start_lockgate,
    start_upstream,
)

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "frontend" / "scripts" / "pageload.mjs"
WEB_INDEX = ROOT / "src" / "lockgate" / "web" / "index.html"


def measure(base: str, runs: int) -> dict[str, list[dict[str, Any]]]:
    env = {**os.environ, "CHROMIUM_PATH": os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")}
    done = subprocess.run(
        ["node", str(SCRIPT), base, "bench@example.com", PASSWORD, str(runs)],
        cwd=SCRIPT.parent.parent, env=env, capture_output=True, text=True, timeout=300,
        check=False,
    )  # fmt: skip
    if done.returncode != 0:
        raise BenchError(f"pageload.mjs failed:\n{done.stderr[-2000:]}")
    result: dict[str, list[dict[str, Any]]] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def summary(runs: list[dict[str, Any]]) -> dict[str, float]:
    return {
        "usable_ms": statistics.median(r["usable_ms"] for r in runs),
        "load_ms": statistics.median(r["load_ms"] or 0 for r in runs),
        "kb": statistics.median(r["bytes"] for r in runs) / 1024,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    if not WEB_INDEX.is_file():
        print("pageload: no built UI in src/lockgate/web; run `make ui` first", file=sys.stderr)
        return 1
    install_deadline(600)
    before = loadavg()
    with (
        tempfile.TemporaryDirectory(prefix="lockgate-pageload-") as tmp,
        contextlib.ExitStack() as stack,
    ):
        work = Path(tmp)
        upstream = start_upstream(work, stack)
        gate = start_lockgate(
            "pageload", 1, work / "lockgate", upstream, stack, redis_url=None, pg_dsn=None
        )
        create_key(gate.base)
        raw = measure(gate.base, args.runs)
    cold, warm = summary(raw["cold"]), summary(raw["warm"])
    print(f"web chat page, headless Chromium, median of {args.runs} (load average {before[0]:.2f})")
    print("            composer usable   load event   transferred")
    for name, row in (("cold", cold), ("warm", warm)):
        print(
            f"  {name:<6} {row['usable_ms']:>12.0f} ms {row['load_ms']:>9.0f} ms"
            f" {row['kb']:>10.0f} KB"
        )
    RESULTS.mkdir(exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    out = RESULTS / f"pageload-{stamp}.json"
    out.write_text(
        json.dumps({"cold": cold, "warm": warm, "runs": raw, "loadavg": before}, indent=1)
    )
    print(f"results: {out.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
