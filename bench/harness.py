"""What the gateway benchmarks share: processes on 127.0.0.1, the API, wrk, the machine.

* the fake upstream (``bench/fake_upstream.py``) and ``lockgate serve`` as real processes, each in
  its own process group, stopped (SIGTERM, then SIGKILL) by an ``ExitStack`` whatever happens;
* RSS and CPU time of a process tree, read from /proc;
* an account and a virtual key over the HTTP API, and a check that replies have OpenAI's shapes;
* ``wrk`` at a fixed concurrency with a Lua script (POST body, headers, JSON figures at the end);
* Redis and PostgreSQL from the test fixtures; the machine's details for the JSON reports.
"""

from __future__ import annotations

import contextlib
import json
import os
import platform
import re
import select
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from types import FrameType
from typing import Any

import httpx
import yaml

from tests.fixtures.ports import LOOPBACK, free_port

FAKE_UPSTREAM = Path(__file__).with_name("fake_upstream.py")
RESULTS = Path(__file__).parent / "results"
MODEL = "bench-model"
PASSWORD = "correct horse battery staple 42"
UPSTREAM_KEY = "sk-bench-upstream-key"
CONCURRENCY = 32
MAX_ERROR_RATIO = 0.001
PAGE_SIZE = os.sysconf("SC_PAGE_SIZE")
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
MESSAGES = [
    {"role": "system", "content": "You are a terse assistant."},
    {"role": "user", "content": "Say hello to the benchmark in a few words, please."},
]
BODY: dict[str, Any] = {"model": MODEL, "messages": MESSAGES, "max_tokens": 32}
STREAM_BODY: dict[str, Any] = {
    **BODY,
    "stream": True,
    "stream_options": {"include_usage": True},
}
CHAT = "/v1/chat/completions"


class BenchError(RuntimeError):
    """The benchmark could not run (a tool is missing, a server did not start, …)."""


class Deadline(BaseException):
    """The hard time limit passed (raised from SIGALRM), or SIGTERM/SIGINT arrived."""


# --- processes ------------------------------------------------------------------------------------


def stop_group(proc: subprocess.Popen[bytes], *, grace: float = 30.0) -> None:
    """SIGTERM the process group `proc` leads (started with start_new_session), then SIGKILL."""
    if proc.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(timeout=grace)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)  # stragglers in the group (uvicorn workers)
    with contextlib.suppress(subprocess.TimeoutExpired):
        proc.wait(timeout=10)


def _children() -> dict[int, list[int]]:
    children: dict[int, list[int]] = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat", encoding="ascii", errors="replace") as handle:
                parent = int(handle.read().rpartition(")")[2].split()[1])
        except (OSError, ValueError, IndexError):
            continue
        children.setdefault(parent, []).append(int(entry.name))
    return children


def tree_pids(root: int) -> list[int]:
    """`root` and its live descendants, from /proc."""
    children, pids, todo = _children(), [], [root]
    while todo:
        pid = todo.pop()
        if os.path.exists(f"/proc/{pid}"):
            pids.append(pid)
            todo.extend(children.get(pid, ()))
    return pids


def tree_rss(root: int) -> tuple[int, int]:
    """(RSS in bytes summed over `root` and its descendants, number of processes)."""
    total, count = 0, 0
    for pid in tree_pids(root):
        try:
            with open(f"/proc/{pid}/statm", encoding="ascii") as handle:
                total += int(handle.read().split()[1]) * PAGE_SIZE
            count += 1
        except (OSError, ValueError, IndexError):
            continue
    return total, count


def tree_cpu(root: int) -> float:
    """CPU seconds (user + system) used so far by `root` and its live descendants."""
    ticks = 0
    for pid in tree_pids(root):
        try:
            with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as handle:
                fields = handle.read().rpartition(")")[2].split()
            ticks += int(fields[11]) + int(fields[12])  # utime, stime
        except (OSError, ValueError, IndexError):
            continue
    return ticks / CLOCK_TICKS


class RssSampler:
    """Samples the tree RSS of a process every `interval` seconds in a thread; keeps the peak."""

    def __init__(self, root: int, interval: float = 0.25) -> None:
        self._root = root
        self._interval = interval
        self._stop = threading.Event()
        self.peak = 0
        self.peak_processes = 0
        self._thread = threading.Thread(target=self._run, name="rss-sampler", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(self._interval):
            self.sample()

    def sample(self) -> int:
        rss, count = tree_rss(self._root)
        if rss > self.peak:
            self.peak, self.peak_processes = rss, count
        return rss

    def reset(self) -> None:
        """Forget the peak so far (the account's argon2 hash briefly takes ~64 MB)."""
        self.peak, self.peak_processes = 0, 0
        self.sample()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)


@dataclass(slots=True)
class Upstream:
    proc: subprocess.Popen[bytes]
    port: int

    @property
    def base(self) -> str:
        return f"http://{LOOPBACK}:{self.port}"


def start_upstream(workdir: Path, stack: contextlib.ExitStack) -> Upstream:
    log = (workdir / "upstream.log").open("wb")
    stack.callback(log.close)
    proc = subprocess.Popen(
        [sys.executable, str(FAKE_UPSTREAM), "--port", "0", "--model", MODEL,
         "--max-seconds", "3600"],
        stdout=subprocess.PIPE, stderr=log, stdin=subprocess.DEVNULL,
        start_new_session=True, cwd=workdir,
    )  # fmt: skip
    stack.callback(stop_group, proc, grace=5)
    assert proc.stdout is not None
    ready, _, _ = select.select([proc.stdout], [], [], 15)
    line = proc.stdout.readline().decode() if ready else ""
    match = re.fullmatch(r"PORT (\d+)\s*", line)
    if match is None:
        raise BenchError(f"the fake upstream did not start (said {line!r}); see {log.name}")
    return Upstream(proc, int(match.group(1)))


@dataclass(slots=True)
class Lockgate:
    name: str
    workers: int
    proc: subprocess.Popen[bytes]
    port: int
    log_path: Path
    sampler: RssSampler
    key: str = ""

    @property
    def base(self) -> str:
        return f"http://{LOOPBACK}:{self.port}"


def lockgate_env(
    workers: int,
    workdir: Path,
    upstream: Upstream,
    redis_url: str | None,
    pg_dsn: str | None,
    extra_config: Mapping[str, Any] | None = None,
) -> dict[str, str]:
    """The environment and ``lockgate.yaml`` of one server: the fake upstream as provider
    ``bench`` with model ``bench-model`` (priced), rate limits far above any load here, and
    `extra_config`'s top-level sections (``cache``, …) on top."""
    config: dict[str, Any] = {
        "providers": {
            "bench": {
                "type": "openai",
                "base_url": f"{upstream.base}/v1",
                "api_key_env": "BENCH_UPSTREAM_KEY",
            }
        },
        "models": {
            MODEL: {
                "provider": "bench",
                "context_window": 128000,
                "max_output_tokens": 4096,
                "price": {"input_per_mtok": "0.15", "output_per_mtok": "0.6"},
            }
        },
        "default_model": MODEL,
        "gate": {
            "rate_limits": {
                "default": "100000000/minute",
                "per_ip": "100000000/minute",
                "chat": "100000000/minute",
            }
        },
    }
    if workers > 1:
        # Several workers need one shared vector index (the cache Redis) for search by meaning and
        # documents; this gateway bench has none, and sends no chat messages to index.
        config.update({"search": {"semantic": False}, "documents": {"enabled": False}})
    config.update(extra_config or {})
    config_file = workdir / "lockgate.yaml"
    config_file.write_text(yaml.safe_dump(config, sort_keys=False))
    inherited = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("LOCKGATE_", "OTEL_", "PROMETHEUS_")) and k != "SENTRY_DSN"
    }
    env = {
        **inherited,
        "LOCKGATE_DATA_DIR": str(workdir / "data"),
        "LOCKGATE_CONFIG_FILE": str(config_file),
        "LOCKGATE_LOG_LEVEL": "WARNING",
        "LOCKGATE_LOG_FORMAT": "json",
        "LOCKGATE_MIGRATE_ON_START": "false",
        "BENCH_UPSTREAM_KEY": UPSTREAM_KEY,
    }
    if redis_url is not None:
        env["LOCKGATE_REDIS_URL"] = redis_url
    if pg_dsn is not None:
        env["LOCKGATE_DATABASE_URL"] = pg_dsn
    if workers > 1:
        multiproc = workdir / "prometheus"
        multiproc.mkdir()
        env["PROMETHEUS_MULTIPROC_DIR"] = str(multiproc)
    return env


def start_lockgate(
    name: str,
    workers: int,
    workdir: Path,
    upstream: Upstream | None,
    stack: contextlib.ExitStack,
    *,
    redis_url: str | None,
    pg_dsn: str | None,
    env: dict[str, str] | None = None,
    extra_config: Mapping[str, Any] | None = None,
) -> Lockgate:
    """Migrate, then start ``lockgate serve`` (its own process group) and wait for readiness.
    ``env``: a complete environment of the caller's own (no fake upstream needed then)."""
    workdir.mkdir(parents=True, exist_ok=env is not None)
    if env is None:
        if upstream is None:
            raise BenchError("start_lockgate needs an upstream or a complete env")
        env = lockgate_env(workers, workdir, upstream, redis_url, pg_dsn, extra_config)
    migrated = subprocess.run(
        [sys.executable, "-m", "lockgate", "migrate"],
        env=env, cwd=workdir, capture_output=True, timeout=180, check=False,
    )  # fmt: skip
    if migrated.returncode != 0:
        raise BenchError(f"lockgate migrate failed:\n{migrated.stderr.decode()[-2000:]}")
    for attempt in range(3):
        port = free_port()
        log_path = workdir / f"lockgate-{attempt}.log"
        with log_path.open("wb") as log:
            proc = subprocess.Popen(
                [sys.executable, "-m", "lockgate", "serve", "--host", LOOPBACK,
                 "--port", str(port), "--workers", str(workers)],
                env=env, cwd=workdir, stdin=subprocess.DEVNULL, stdout=log,
                stderr=subprocess.STDOUT, start_new_session=True,
            )  # fmt: skip
        stack.callback(stop_group, proc)
        if wait_ready(proc, f"http://{LOOPBACK}:{port}", workers=workers, timeout=90):
            sampler = RssSampler(proc.pid)
            stack.callback(sampler.stop)
            return Lockgate(name, workers, proc, port, log_path, sampler)
        log_text = log_path.read_text(errors="replace")
        stop_group(proc)
        if "address already in use" not in log_text.lower():
            raise BenchError(f"lockgate serve ({name}) did not start:\n{log_text[-3000:]}")
    raise BenchError(f"lockgate serve ({name}) found no free port in 3 attempts")


def wait_ready(proc: subprocess.Popen[bytes], base: str, *, workers: int, timeout: float) -> bool:
    """True once /health/ready answers 200 (and every worker process is up); False if it died."""
    deadline = time.monotonic() + timeout
    with httpx.Client(timeout=1.0) as client:
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                return False
            with contextlib.suppress(httpx.HTTPError):
                ready = client.get(f"{base}/health/ready").status_code == 200
                # with --workers N, every worker process must be up, not just the first
                if ready and (workers == 1 or tree_rss(proc.pid)[1] >= workers + 1):
                    live = [client.get(f"{base}/health/live").status_code for _ in range(20)]
                    if live == [200] * 20:
                        return True
            time.sleep(0.1)
    raise BenchError(f"lockgate serve on {base} was not ready after {timeout:g} s")


# --- the API: an account, a key, and a correctness check ------------------------------------------


def create_key(base: str) -> str:
    with httpx.Client(base_url=base, timeout=30) as client:
        registered = client.post(
            "/api/v1/auth/register", json={"email": "bench@example.com", "password": PASSWORD}
        )
        if registered.status_code not in (200, 201):
            raise BenchError(f"register failed: {registered.status_code} {registered.text}")
        client.headers["X-CSRF-Token"] = client.cookies["lockgate_csrf"]
        created = client.post("/api/v1/keys", json={"name": "bench"})
        if created.status_code != 201:
            raise BenchError(f"key creation failed: {created.status_code} {created.text}")
        key: str = created.json()["key"]
        return key


def check_replies(upstream: Upstream, gate: Lockgate) -> None:
    """One plain and one streamed completion through Lockgate, checked for OpenAI's shapes."""
    with httpx.Client(timeout=30) as client:
        for base, headers in ((upstream.base, {}), (gate.base, auth(gate.key))):
            reply = client.post(f"{base}/v1/chat/completions", json=BODY, headers=headers)
            data = reply.json() if reply.status_code == 200 else {}
            if data.get("object") != "chat.completion" or not data["choices"][0]["message"].get(
                "content"
            ):
                raise BenchError(f"bad completion from {base}: {reply.status_code} {reply.text}")
            streamed = client.post(f"{base}/v1/chat/completions", json=STREAM_BODY, headers=headers)
            lines = [x for x in streamed.text.splitlines() if x.startswith("data: ")]
            if streamed.status_code != 200 or lines[-1:] != ["data: [DONE]"]:
                raise BenchError(f"bad stream from {base}: {streamed.status_code} {streamed.text}")
            last = json.loads(lines[-2].removeprefix("data: "))
            if last.get("choices") != [] or not last.get("usage"):
                raise BenchError(f"stream from {base} has no usage chunk: {lines[-2]}")


def auth(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


# --- load with wrk --------------------------------------------------------------------------------

WRK_DONE = """
function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'BENCHJSON {"requests":%.0f,"duration_us":%.0f,"bytes":%.0f,"connect":%.0f,"read":%.0f,' ..
    '"write":%.0f,"status":%.0f,"timeout":%.0f,"p50_us":%.1f,"p90_us":%.1f,"p99_us":%.1f,' ..
    '"max_us":%.1f,"mean_us":%.1f}\\n',
    summary.requests, summary.duration, summary.bytes, e.connect, e.read, e.write, e.status,
    e.timeout, latency:percentile(50), latency:percentile(90), latency:percentile(99),
    latency.max, latency.mean))
end
"""


def find_load_tool() -> str:
    wrk = shutil.which("wrk")
    if wrk is None:
        raise BenchError(
            "wrk is not installed. Install it with:\n"
            "  sudo apt-get update && sudo apt-get install -y wrk\n"
            "(`make bench` does this by itself when run as root)"
        )
    return wrk


def wrk_version(wrk: str) -> str:
    out = subprocess.run([wrk, "--version"], capture_output=True, timeout=10, check=False)
    return out.stdout.decode(errors="replace").splitlines()[0].strip() if out.stdout else "?"


def lua_string(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def run_wrk(
    wrk: str,
    url: str,
    body: Mapping[str, Any],
    headers: Mapping[str, str],
    *,
    duration_s: int,
    workdir: Path,
    concurrency: int = CONCURRENCY,
) -> dict[str, Any]:
    """`concurrency` keep-alive connections, one wrk thread, for `duration_s`; figures in ms."""
    script = workdir / f"wrk-{time.monotonic_ns()}.lua"
    lines = ['wrk.method = "POST"', f"wrk.body = {lua_string(json.dumps(body))}"]
    lines += [
        f"wrk.headers[{lua_string(k)}] = {lua_string(v)}"
        for k, v in {"Content-Type": "application/json", **headers}.items()
    ]
    script.write_text("\n".join(lines) + WRK_DONE)
    try:
        out = subprocess.run(
            [wrk, "-t1", f"-c{concurrency}", f"-d{max(1, duration_s)}s", "--timeout", "10s",
             "-s", str(script), url],
            capture_output=True, timeout=duration_s + 60, check=False,
        )  # fmt: skip
    finally:
        script.unlink(missing_ok=True)
    text = out.stdout.decode(errors="replace")
    match = re.search(r"^BENCHJSON (\{.*\})$", text, re.MULTILINE)
    if match is None:
        raise BenchError(f"wrk gave no figures (exit {out.returncode}):\n{text}{out.stderr!r}")
    raw = json.loads(match.group(1))
    seconds = raw["duration_us"] / 1e6
    errors = raw["connect"] + raw["read"] + raw["write"] + raw["timeout"] + raw["status"]
    return {
        "requests": int(raw["requests"]),
        "seconds": round(seconds, 2),
        "rps": round(raw["requests"] / seconds, 1) if seconds else 0.0,
        "p50_ms": round(raw["p50_us"] / 1000, 3),
        "p90_ms": round(raw["p90_us"] / 1000, 3),
        "p99_ms": round(raw["p99_us"] / 1000, 3),
        "max_ms": round(raw["max_us"] / 1000, 3),
        "mean_ms": round(raw["mean_us"] / 1000, 3),
        "errors": int(errors),
        "non_2xx": int(raw["status"]),
        "valid": raw["requests"] > 0 and errors <= MAX_ERROR_RATIO * raw["requests"],
    }


def machine(wrk: str) -> dict[str, Any]:
    cpu = "?"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    mem_kb = 0
    with contextlib.suppress(OSError, ValueError, IndexError):
        mem_kb = int(Path("/proc/meminfo").read_text().split("\n", 1)[0].split()[1])
    versions = {}
    for package in ("lockgate", "uvicorn", "starlette", "fastapi", "httpx", "uvloop", "httptools",
                    "orjson", "pydantic", "sqlalchemy", "redis", "asyncpg"):  # fmt: skip
        with contextlib.suppress(metadata.PackageNotFoundError):
            versions[package] = metadata.version(package)
    redis_server = shutil.which("redis-server")
    if redis_server:
        out = subprocess.run([redis_server, "--version"], capture_output=True, timeout=10)
        versions["redis-server"] = out.stdout.decode().strip()
    versions["wrk"] = wrk_version(wrk)
    return {
        "cpu_model": cpu,
        "cpus": os.cpu_count(),
        "cpus_usable": len(os.sched_getaffinity(0)),
        "memory_mb": round(mem_kb / 1024),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "versions": versions,
    }


def loadavg() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def install_deadline(seconds: float) -> None:
    def on_signal(signum: int, _frame: FrameType | None) -> None:
        raise Deadline(f"stopped by {signal.Signals(signum).name}")

    signal.signal(signal.SIGALRM, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    signal.alarm(max(1, int(seconds)))


@contextlib.contextmanager
def services(
    need_redis: bool, need_postgres: bool
) -> Iterator[tuple[Callable[[], str], Callable[[], str]]]:
    """Redis and PostgreSQL (the test fixtures' classes), started on first use, stopped at the end.

    `redis_url()` empties Redis first, so every variant starts from a clean gate state.
    """
    from tests.fixtures.postgres import PostgresServer
    from tests.fixtures.redis import RedisServer

    redis = RedisServer() if need_redis else None
    postgres = PostgresServer() if need_postgres else None
    databases: list[str] = []

    def redis_url() -> str:
        assert redis is not None
        if not redis.is_running:
            redis.start()
        redis.execute("FLUSHALL")
        return redis.url

    def pg_dsn() -> str:
        assert postgres is not None
        if not databases:
            postgres.start()
        databases.append(f"lockgate_bench_{len(databases)}")
        return postgres.create_database(databases[-1])

    try:
        yield redis_url, pg_dsn
    finally:
        if postgres is not None:
            postgres.stop()
        if redis is not None:
            redis.stop()
