"""A Lockgate cluster on your machine: PostgreSQL, two Redis, three replicas behind HAProxy.

The same code the cluster tests run (tests/fixtures/cluster.py), for people: it prints where to
point a browser and where each replica listens, then keeps the cluster up — restarting a replica
that exits, as Kubernetes would — until Ctrl-C (or ``--minutes``), and stops everything.

    make cluster-demo                        # or: .venv/bin/python -m bench.cluster_demo
    .venv/bin/python -m bench.cluster_demo --replicas 2 --port 8080 --minutes 30

Things to try while a reply streams in the browser: ``kill -TERM <pid>`` of the replica that
answers it (the ``X-Lockgate-Replica`` response header names it) is one step of a rolling update:
it drains and comes back; ``kill -KILL <pid>`` is a crash: its replies end ``incomplete`` within
the lease. Replies stream at 15 tokens a second; ``[[tokens:300]]`` in a message makes a long one.
"""

from __future__ import annotations

import argparse
import shutil
import signal
import sys
import tempfile
import time
from pathlib import Path
from types import FrameType

from tests.fixtures.cluster import CLUSTER_CACHE, LoopbackCluster, cluster_config

DEMO_ENV = {
    "LOCKGATE_REPLY_LEASE_SECONDS": "6",
    "LOCKGATE_REPLY_REAP_SECONDS": "1",
    "LOCKGATE_SHUTDOWN_GRACE_SECONDS": "10",
    "LOCKGATE_LOG_LEVEL": "WARNING",
}
# Slower than the tests' provider, so a person can watch a reply stream and act on it.
DEMO_PROVIDERS = {
    "simulated": {
        "type": "simulated",
        "first_token_latency": 0.2,
        "tokens_per_second": 15,
        "directives": True,
    }
}
SUPERVISE_SECONDS = 0.5


class Stopped(Exception):
    """SIGTERM or SIGHUP asked the demo to end."""


def _stop(signum: int, _frame: FrameType | None) -> None:
    raise Stopped(signal.Signals(signum).name)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.cluster_demo", description=__doc__)
    parser.add_argument("--replicas", type=int, default=3, choices=range(1, 10), metavar="1..9")
    parser.add_argument(
        "--port", type=int, default=None, help="the balancer's port (default: free)"
    )
    parser.add_argument("--minutes", type=float, default=120, help="stop after this long (120)")
    args = parser.parse_args(argv)
    config = cluster_config(providers=DEMO_PROVIDERS, cache=CLUSTER_CACHE)
    workdir = Path(tempfile.mkdtemp(prefix="lockgate-cluster-demo-"))
    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGHUP, _stop)
    print(f"starting PostgreSQL, 2 Redis, {args.replicas} replicas and HAProxy (logs: {workdir})")
    began = time.monotonic()
    try:
        with LoopbackCluster(
            workdir, replicas=args.replicas, config=config, env=DEMO_ENV, balancer_port=args.port
        ) as cluster:
            print(f"ready in {time.monotonic() - began:.1f} s\n")
            print(f"Open {cluster.url}/ in a browser (the first account you register is admin).\n")
            print(cluster.describe())
            print(f"\nlease {DEMO_ENV['LOCKGATE_REPLY_LEASE_SECONDS']} s, drain grace "
                  f"{DEMO_ENV['LOCKGATE_SHUTDOWN_GRACE_SECONDS']} s; replica logs in "
                  f"{workdir}/r*/lockgate.log. Ctrl-C stops everything.")  # fmt: skip
            supervise(cluster, deadline=time.monotonic() + args.minutes * 60)
    except (KeyboardInterrupt, Stopped):
        print("\nstopping…")
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    print("stopped: every process of the demo has exited and its files are removed")
    return 0


def supervise(cluster: LoopbackCluster, *, deadline: float) -> None:
    """Start again any replica that exited (SIGTERM, SIGKILL, a crash) until `deadline`."""
    while time.monotonic() < deadline:
        for index, replica in enumerate(cluster.replicas):
            if not replica.is_running:
                name = cluster.names()[index]
                code = replica.returncode or 0
                how = f"on {signal.Signals(-code).name}" if code < 0 else f"with status {code}"
                print(f"{name} exited {how}; starting it again")
                replica.stop()  # reaps it
                took = cluster.start_replica(index)
                print(f"{name} is back in the balancer after {took:.1f} s (pid {replica.pid})")
        time.sleep(SUPERVISE_SECONDS)
    print("\n--minutes elapsed")


if __name__ == "__main__":
    sys.exit(main())
