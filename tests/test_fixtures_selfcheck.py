"""The suite's own servers really start, answer, stay on 127.0.0.1 and go away.

Needs the plugin ``tests.fixtures.pytest_plugin`` (loaded by the root conftest) and the binaries
that scripts/ensure-test-deps.sh installs.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

import asyncpg
import pytest

from tests.fixtures.binaries import (
    MissingTestDependencyError,
    find_haproxy,
    find_postgres,
    find_redis_server,
)
from tests.fixtures.ports import LOOPBACK, free_port, port_accepts
from tests.fixtures.postgres import PostgresServer
from tests.fixtures.procs import pid_alive, reap_stale
from tests.fixtures.redis import RedisServer, encode_command

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]
IPV4_LOOPBACK_HEX = "0100007F"


def listening_on(port: int) -> set[str]:
    """``family:address`` (kernel hex) of every socket listening on TCP `port`."""
    found: set[str] = set()
    for family in ("tcp", "tcp6"):
        for line in Path(f"/proc/net/{family}").read_text().splitlines()[1:]:
            fields = line.split()
            address, _, port_hex = fields[1].rpartition(":")
            if fields[3] == "0A" and int(port_hex, 16) == port:
                found.add(f"{family}:{address}")
    return found


def run_child(code: str) -> subprocess.Popen[str]:
    """A Python process with the repository importable, reading `code` from -c."""
    path = os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])
    return subprocess.Popen(
        [sys.executable, "-c", code],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": path},
        cwd=ROOT,
    )


def test_free_port_is_bindable_on_loopback() -> None:
    port = free_port()
    with socket.socket() as sock:
        sock.bind((LOOPBACK, port))


def test_missing_redis_fails_with_install_hint(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LOCKGATE_TEST_REDIS_SERVER", "/nonexistent/redis-server")
    with pytest.raises(MissingTestDependencyError, match=r"ensure-test-deps\.sh"):
        find_redis_server()


def test_missing_haproxy_fails_with_install_hint(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LOCKGATE_TEST_HAPROXY", "/nonexistent/haproxy")
    with pytest.raises(MissingTestDependencyError, match=r"ensure-test-deps\.sh"):
        find_haproxy()


def test_missing_postgres_fails_with_install_hint(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LOCKGATE_TEST_PG_BINDIR", "/nonexistent/bin")
    with pytest.raises(MissingTestDependencyError, match=r"ensure-test-deps\.sh"):
        find_postgres()


def test_postgres_listens_on_ipv4_loopback_only(postgres_server: PostgresServer) -> None:
    assert listening_on(postgres_server.port) == {f"tcp:{IPV4_LOOPBACK_HEX}"}


async def test_postgres_answers_asyncpg_with_password(postgres_server: PostgresServer) -> None:
    conn = await asyncpg.connect(postgres_server.libpq_dsn())
    try:
        assert await conn.fetchval("SELECT 1") == 1
    finally:
        await conn.close()


async def test_postgres_rejects_a_wrong_password(postgres_server: PostgresServer) -> None:
    dsn = postgres_server.libpq_dsn().replace(postgres_server.password, "wrong")
    with pytest.raises(asyncpg.InvalidPasswordError):
        await asyncpg.connect(dsn)


async def test_postgres_creates_and_drops_databases(postgres_server: PostgresServer) -> None:
    dsn = postgres_server.create_database("selfcheck_db")
    assert dsn == postgres_server.dsn("selfcheck_db")
    conn = await asyncpg.connect(postgres_server.libpq_dsn("selfcheck_db"))
    try:
        assert await conn.fetchval("SELECT current_database()") == "selfcheck_db"
    finally:
        await conn.close()
    postgres_server.drop_database("selfcheck_db")
    with pytest.raises(asyncpg.InvalidCatalogNameError):
        await asyncpg.connect(postgres_server.libpq_dsn("selfcheck_db"))


def test_postgres_database_fixture_is_a_fresh_database(
    postgres_server: PostgresServer, postgres_database: str
) -> None:
    name = postgres_database.rsplit("/", 1)[1]
    tables = "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'"
    assert postgres_server.psql(tables, dbname=name) == "0"


def test_postgres_stop_ends_the_server_and_removes_its_files() -> None:
    with PostgresServer() as server:
        pid, workdir, port = server.pid, server.workdir, server.port
    assert (pid_alive(pid), workdir.exists(), port_accepts(port)) == (False, False, False)


def test_redis_round_trips_over_a_raw_socket(redis_url: str, redis_server: RedisServer) -> None:
    with socket.create_connection((LOOPBACK, redis_server.port), timeout=5) as conn:
        conn.sendall(encode_command("PING") + encode_command("SET", "k", "v"))
        conn.sendall(encode_command("GET", "k"))
        replies = b""
        while replies.count(b"\r\n") < 4:
            replies += conn.recv(4096)
    assert replies == b"+PONG\r\n+OK\r\n$1\r\nv\r\n"


def test_redis_listens_on_ipv4_loopback_only(redis_server: RedisServer) -> None:
    assert listening_on(redis_server.port) == {f"tcp:{IPV4_LOOPBACK_HEX}"}


def test_redis_pause_refuses_connections_and_resume_reuses_the_port() -> None:
    with RedisServer() as server:
        port = server.port
        server.pause()
        refused = not port_accepts(port)
        server.resume()
        assert (refused, server.port, server.execute("PING")) == (True, port, b"PONG")


def test_redis_comes_back_empty_after_a_crash() -> None:
    with RedisServer() as server:
        server.execute("SET", "k", "v")
        server.pause(hard=True)
        server.resume()
        assert server.execute("GET", "k") is None


def test_redis_stop_ends_the_server_and_removes_its_files() -> None:
    with RedisServer() as server:
        pid, workdir, port = server.pid, server.workdir, server.port
    assert (pid_alive(pid), workdir.exists(), port_accepts(port)) == (False, False, False)


def test_servers_left_running_are_stopped_at_interpreter_exit() -> None:
    child = run_child(
        "import json\n"
        "from tests.fixtures.postgres import PostgresServer\n"
        "from tests.fixtures.redis import RedisServer\n"
        "pg, redis = PostgresServer().start(), RedisServer().start()\n"
        "print(json.dumps([[pg.pid, str(pg.workdir)], [redis.pid, str(redis.workdir)]]))\n"
    )
    out, _ = child.communicate(timeout=90)
    servers = json.loads(out)
    assert [(pid_alive(pid), Path(d).exists()) for pid, d in servers] == [(False, False)] * 2


def test_servers_orphaned_by_a_killed_process_are_reaped() -> None:
    child = run_child(
        "import json, sys\n"
        "from tests.fixtures.redis import RedisServer\n"
        "redis = RedisServer().start()\n"
        "print(json.dumps([redis.pid, str(redis.workdir)]), flush=True)\n"
        "sys.stdin.read()\n"
    )
    assert child.stdout is not None
    pid, workdir = json.loads(child.stdout.readline())
    child.send_signal(signal.SIGKILL)
    child.communicate(timeout=30)
    orphan_was_alive = pid_alive(pid)
    reap_stale("redis", signal.SIGKILL)
    assert (orphan_was_alive, pid_alive(pid), Path(workdir).exists()) == (True, False, False)
