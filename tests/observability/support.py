"""Real tools for the observability tests: promtool, a Prometheus server, a local HTTP collector.

A missing ``prometheus``/``promtool`` is an error, never a skip (`MissingTestDependencyError`):
`make test` installs Debian's ``prometheus`` package through scripts/ensure-test-deps.sh.

    with PrometheusServer(config_yaml, files={"alerts.yml": ALERTS}) as prom:
        prom.wait_for(lambda: prom.query("up") != [], what="first scrape")

    with Collector() as collector:           # OTLP/HTTP or Sentry envelopes land here
        ... POST to collector.url ...
        collector.wait_for("/v1/traces")
"""

from __future__ import annotations

import gzip
import shutil
import signal
import subprocess
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from typing import Any, Self

import httpx

from tests.fixtures.binaries import MissingTestDependencyError
from tests.fixtures.ports import LOOPBACK, free_port
from tests.fixtures.procs import (
    ServerContext,
    forget_at_exit,
    kill_and_wait,
    log_tail,
    make_owned_tmpdir,
    reap_stale,
    stop_at_exit,
    wait_until,
    write_pid_file,
)

REPO = Path(__file__).resolve().parents[2]
DEPLOY = REPO / "deploy"
INSTALL_HINT = (
    "install Debian's `prometheus` package (it carries promtool): "
    "`sudo bash scripts/ensure-test-deps.sh`, which `make test` runs"
)
_BIND_ATTEMPTS = 5


def find_tool(name: str) -> Path:
    """``prometheus`` or ``promtool`` from the PATH, or a clear failure saying how to install it."""
    found = shutil.which(name)
    if found is None:
        raise MissingTestDependencyError(f"{name} not found; {INSTALL_HINT}")
    return Path(found)


def run_promtool(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [find_tool("promtool"), *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


class PrometheusServer(ServerContext):
    """A throwaway Prometheus on a free loopback port with its own TSDB directory."""

    def __init__(self, config: str, *, files: dict[str, str] | None = None) -> None:
        self._config = config
        self._files = dict(files or {})
        self._process: subprocess.Popen[bytes] | None = None
        self._workdir: Path | None = None
        self.port = 0

    @property
    def url(self) -> str:
        return f"http://{LOOPBACK}:{self.port}"

    @property
    def log_path(self) -> Path:
        assert self._workdir is not None
        return self._workdir / "prometheus.log"

    def start(self) -> Self:
        executable = find_tool("prometheus")
        reap_stale("prom", signal.SIGKILL)
        self._workdir = make_owned_tmpdir("prom")
        stop_at_exit(self)
        (self._workdir / "prometheus.yml").write_text(self._config, encoding="utf-8")
        for name, text in self._files.items():
            (self._workdir / name).write_text(text, encoding="utf-8")
        try:
            for _ in range(_BIND_ATTEMPTS):
                self.port = free_port()
                if self._launch(executable):
                    return self
            raise RuntimeError(f"Prometheus found no free port in {_BIND_ATTEMPTS} attempts")
        except BaseException:
            self.stop()
            raise

    def _launch(self, executable: Path) -> bool:
        assert self._workdir is not None
        with self.log_path.open("ab") as log:
            self._process = subprocess.Popen(
                [executable, f"--config.file={self._workdir / 'prometheus.yml'}",
                 f"--storage.tsdb.path={self._workdir / 'data'}",
                 f"--web.listen-address={LOOPBACK}:{self.port}", "--log.level=warn"],
                stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                cwd=self._workdir, start_new_session=True,
            )  # fmt: skip
        write_pid_file(self._workdir, self._process.pid)
        try:
            wait_until(
                self._ready, timeout=30, what="Prometheus", detail=lambda: log_tail(self.log_path)
            )
        except _ExitedError:
            self._process = None
            if "address already in use" in log_tail(self.log_path):
                return False
            raise RuntimeError(f"prometheus exited\n{log_tail(self.log_path)}") from None
        return True

    def _ready(self) -> bool:
        if self._process is None or self._process.poll() is not None:
            raise _ExitedError
        try:
            return httpx.get(f"{self.url}/-/ready", timeout=1).status_code == 200
        except httpx.HTTPError:
            return False

    def stop(self) -> None:
        process, self._process = self._process, None
        if process is not None and process.poll() is None:
            kill_and_wait(process.pid, signal.SIGTERM)
            process.wait(timeout=10)
        workdir, self._workdir = self._workdir, None
        if workdir is not None:
            forget_at_exit(self)
            shutil.rmtree(workdir, ignore_errors=True)

    def api(self, path: str, **params: str) -> Any:
        """GET ``/api/v1/<path>``; raises with Prometheus's own message when it refuses."""
        response = httpx.get(f"{self.url}/api/v1/{path}", params=params, timeout=10)
        body = response.json()
        if body.get("status") != "success":
            raise PromQLError(f"{path} {params}: {body.get('errorType')}: {body.get('error')}")
        return body["data"]

    def query(self, expr: str) -> list[dict[str, Any]]:
        """The instant vector (or scalar, as one sample) of `expr` now."""
        data = self.api("query", query=expr)
        if data["resultType"] in ("scalar", "string"):
            return [{"metric": {}, "value": data["result"]}]
        result: list[dict[str, Any]] = data["result"]
        return result


class PromQLError(RuntimeError):
    """Prometheus answered an API call with an error (bad PromQL, for instance)."""


class _ExitedError(Exception):
    pass


def poll(check: Callable[[], bool], *, timeout: float, what: str, interval: float = 0.2) -> None:
    """Bounded wait on a condition (a thin alias of the suite's `wait_until`)."""
    wait_until(check, timeout=timeout, what=what, interval=interval)


class Collector:
    """A tiny HTTP server on a free loopback port that records every POST it receives.

    Bodies are stored decompressed (gzip; Sentry and the OTLP exporter may compress).
    """

    def __init__(self) -> None:
        self.received: list[tuple[str, dict[str, str], bytes]] = []
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        assert self._server is not None
        return f"http://{LOOPBACK}:{self._server.server_address[1]}"

    @property
    def port(self) -> int:
        assert self._server is not None
        return int(self._server.server_address[1])

    def start(self) -> Self:
        collector = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                encoding = self.headers.get("Content-Encoding")
                if encoding == "gzip":
                    body = gzip.decompress(body)
                elif encoding == "br":  # sentry-sdk compresses with brotli when it is installed
                    import brotli

                    body = brotli.decompress(body)
                with collector._lock:
                    collector.received.append((self.path, dict(self.headers), body))
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"{}")

            def do_GET(self) -> None:
                self.send_response(204)
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                """Quiet: the test output is not the place for access logs."""

        self._server = ThreadingHTTPServer((LOOPBACK, 0), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        server, self._server = self._server, None
        if server is not None:
            server.shutdown()
            server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=10)

    def bodies(self, path_prefix: str) -> list[bytes]:
        with self._lock:
            return [body for path, _, body in self.received if path.startswith(path_prefix)]

    def wait_for(self, path_prefix: str, *, timeout: float = 30) -> list[bytes]:
        poll(lambda: bool(self.bodies(path_prefix)), timeout=timeout, what=f"POST {path_prefix}")
        return self.bodies(path_prefix)

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


def iter_dashboard_targets(dashboard: dict[str, Any]) -> Iterator[tuple[str, str, str]]:
    """(panel title, refId, expr) of every query in every panel, rows' panels included."""
    for panel in dashboard["panels"]:
        for inner in [panel, *panel.get("panels", [])]:
            for target in inner.get("targets", []):
                yield inner["title"], target["refId"], target["expr"]


GRAFANA_MACROS = {"$__rate_interval": "1m", "$__interval": "15s", "$__range": "5m"}


def expand_grafana(expr: str, variables: dict[str, str]) -> str:
    """What Grafana would send for `expr` with every variable on "All" (its allValue)."""
    for name, value in {**GRAFANA_MACROS, **variables}.items():
        expr = expr.replace(name, value)
    return expr
