"""Where a /v1 request's CPU goes: one ``lockgate serve`` worker under wrk load, sampled by py-spy.

Starts the fake upstream and a 1-worker Lockgate (in-memory gate and SQLite, or ``--redis``), runs
wrk at concurrency 32 for ``--seconds`` while ``py-spy record`` samples the server, then prints the
functions with the most samples of the thread holding the GIL (Python's CPU): *self* (the
function itself was running) and *total* (it was on the stack). Writes the collapsed stacks
(``--out``) for a flame graph (speedscope.app reads them).

    .venv/bin/python -m bench.profile [--seconds 15] [--redis] [--stream] [--top 40]

Needs ``py-spy`` (``pip install py-spy``) and ``wrk``; running as root, or with ptrace allowed.
"""

from __future__ import annotations

import argparse
import collections
import contextlib
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from bench.harness import (
    BODY,
    CHAT,
    STREAM_BODY,
    BenchError,
    auth,
    check_replies,
    create_key,
    find_load_tool,
    install_deadline,
    run_wrk,
    services,
    start_lockgate,
    start_upstream,
    tree_cpu,
)
from tests.fixtures.procs import tmp_base


def summarise(collapsed: Path, top: int) -> str:
    """The functions with the most samples, self and total, from py-spy's collapsed stacks."""
    own: collections.Counter[str] = collections.Counter()
    total: collections.Counter[str] = collections.Counter()
    samples = 0
    for line in collapsed.read_text().splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack:
            continue
        count = int(count_text)
        samples += count
        frames = stack.split(";")
        own[frames[-1]] += count
        for frame in set(frames):
            total[frame] += count
    if not samples:
        return "no samples (is ptrace allowed?)"
    lines = [f"{samples} samples", "", "self %  function"]
    lines += [f"{100 * n / samples:6.1f}  {name}" for name, n in own.most_common(top)]
    lines += ["", "total %  function"]
    lines += [f"{100 * n / samples:7.1f}  {name}" for name, n in total.most_common(top)]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=int, default=15)
    parser.add_argument("--redis", action="store_true", help="the Redis gate backend")
    parser.add_argument("--stream", action="store_true", help="streaming requests")
    parser.add_argument("--top", type=int, default=40)
    parser.add_argument("--out", type=Path, default=Path("bench/results/profile.collapsed"))
    args = parser.parse_args()
    py_spy = shutil.which("py-spy") or str(Path(sys.executable).with_name("py-spy"))
    if not Path(py_spy).exists():
        raise SystemExit("py-spy is not installed: .venv/bin/pip install py-spy")
    wrk = find_load_tool()
    install_deadline(args.seconds + 300)
    with contextlib.ExitStack() as stack, services(args.redis, False) as (redis_url, _):
        workdir = Path(
            tempfile.mkdtemp(prefix="lockgate-profile-", dir=tmp_base(shared_with_other_user=False))
        )
        stack.callback(shutil.rmtree, workdir, ignore_errors=True)
        upstream = start_upstream(workdir, stack)
        gate = start_lockgate(
            "profile", 1, workdir / "lockgate", upstream, stack,
            redis_url=redis_url() if args.redis else None, pg_dsn=None,
        )  # fmt: skip
        gate.key = create_key(gate.base)
        check_replies(upstream, gate)
        body = STREAM_BODY if args.stream else BODY
        url = f"{gate.base}{CHAT}"
        run_wrk(wrk, url, body, auth(gate.key), duration_s=3, workdir=workdir)  # warm-up
        args.out.parent.mkdir(parents=True, exist_ok=True)
        command = [py_spy, "record", "--pid", str(gate.proc.pid), "--format", "raw"]
        command += ["--rate", "250", "--gil", "--duration", str(args.seconds)]
        command += ["--nonblocking", "--output", str(args.out)]
        spy = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        cpu_before = tree_cpu(gate.proc.pid)
        load = run_wrk(wrk, url, body, auth(gate.key), duration_s=args.seconds, workdir=workdir)
        cpu = tree_cpu(gate.proc.pid) - cpu_before
        _, err = spy.communicate(timeout=60)
        if spy.returncode != 0:
            raise BenchError(f"py-spy failed: {err.decode(errors='replace')[-2000:]}")
    per_request = 1000 * cpu / load["requests"] if load["requests"] else float("nan")
    print(
        f"{load['rps']} req/s, p50 {load['p50_ms']} ms, p99 {load['p99_ms']} ms, "
        f"errors {load['errors']}, CPU/request {per_request:.2f} ms (under py-spy)"
    )
    print(summarise(args.out, args.top))
    print(f"\ncollapsed stacks: {args.out}")


if __name__ == "__main__":
    main()
