"""Request header limits on a real ``lockgate serve`` (issue 12: a 1 MiB header and 10,000
headers were accepted). Raw sockets, so the client sends exactly the head under test."""

from __future__ import annotations

import contextlib
import json
import socket
from collections.abc import Iterator

import httpx
import pytest

from tests.fixtures.ports import LOOPBACK
from tests.fixtures.serve import LockgateServer

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LockgateServer]:
    with LockgateServer(tmp_path_factory.mktemp("header-limits")) as running:
        yield running


def exchange(
    server: LockgateServer, headers: list[bytes], target: bytes = b"/health/live"
) -> bytes:
    """Send ``GET target`` with these header lines (Host first) and read until the server closes
    or the response is complete; a reset before the answer is an empty result."""
    head = b"GET " + target + b" HTTP/1.1\r\nhost: lockgate\r\n"
    head += b"".join(line + b"\r\n" for line in headers) + b"connection: close\r\n\r\n"
    received = b""
    with socket.create_connection((LOOPBACK, server.port), timeout=10) as sock:
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            sock.sendall(head)
        while True:
            try:
                chunk = sock.recv(65536)
            except ConnectionResetError:
                break
            if not chunk:
                break
            received += chunk
    return received


def read_response(sock: socket.socket) -> bytes:
    """One whole response with a Content-Length, however the server's writes were split."""
    raw = b""
    while b"\r\n\r\n" not in raw:
        raw += sock.recv(65536)
    head, _, body = raw.partition(b"\r\n\r\n")
    length = next(
        int(line.split(b":", 1)[1])
        for line in head.lower().split(b"\r\n")
        if line.startswith(b"content-length:")
    )
    while len(body) < length:
        body += sock.recv(65536)
    return head + b"\r\n\r\n" + body


def status_and_body(raw: bytes) -> tuple[int, bytes]:
    head, _, body = raw.partition(b"\r\n\r\n")
    return int(head.split(b" ", 2)[1]), body


def test_a_1_mib_header_is_refused_with_431(server: LockgateServer) -> None:
    status, body = status_and_body(exchange(server, [b"x-big: " + b"a" * (1024 * 1024)]))
    assert status == 431
    assert json.loads(body)["error"]["code"] == "headers_too_large"


def test_the_refusal_comes_before_the_app(server: LockgateServer) -> None:
    raw = exchange(server, [b"x-big: " + b"a" * (1024 * 1024)])
    head = raw.partition(b"\r\n\r\n")[0].lower()
    assert b"x-request-id" not in head  # the app's middleware never saw the request
    assert b"connection: close" in head


def test_10000_headers_are_refused_with_431(server: LockgateServer) -> None:
    lines = [b"x-filler-%05d: v" % i for i in range(10_000)]
    status, body = status_and_body(exchange(server, lines))
    assert status == 431
    assert "headers" in json.loads(body)["error"]["message"]


def test_a_long_request_target_is_refused_with_431(server: LockgateServer) -> None:
    status, _ = status_and_body(exchange(server, [], b"/health/live?q=" + b"a" * 200_000))
    assert status == 431


def test_the_default_limit_admits_100_headers_and_refuses_101(server: LockgateServer) -> None:
    hundred = [b"x-filler-%03d: v" % i for i in range(98)]  # + host and connection = 100
    assert status_and_body(exchange(server, hundred))[0] == 200
    assert status_and_body(exchange(server, [*hundred, b"x-one-more: v"]))[0] == 431


def test_ordinary_large_headers_still_pass(server: LockgateServer) -> None:
    cookie = b"cookie: " + b"; ".join(b"c%02d=%s" % (i, b"v" * 100) for i in range(80))
    assert status_and_body(exchange(server, [cookie, b"x-long: " + b"b" * 30_000]))[0] == 200


def test_the_server_stays_healthy_after_refusals(server: LockgateServer) -> None:
    for _ in range(3):
        exchange(server, [b"x-big: " + b"a" * (1024 * 1024)])
        exchange(server, [b"x-filler-%05d: v" % i for i in range(10_000)])
    with httpx.Client(base_url=server.url, timeout=5) as client:
        assert client.get("/health/live").status_code == 200
        assert client.get("/health/ready").status_code == 200


@pytest.fixture(scope="module")
def quick_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LockgateServer]:
    """A server that gives a request head one second to arrive."""
    workdir = tmp_path_factory.mktemp("header-deadline")
    with LockgateServer(workdir, env={"LOCKGATE_MAX_HEADER_SECONDS": "1"}) as running:
        yield running


def test_a_head_trickling_in_is_answered_408_and_closed(quick_server: LockgateServer) -> None:
    with socket.create_connection((LOOPBACK, quick_server.port), timeout=10) as sock:
        sock.sendall(b"GET /health/live HTTP/1.1\r\nhost: lockgate\r\nx-slow: a")  # never ends
        received = b""
        while chunk := sock.recv(65536):  # returns when the server closes, after its deadline
            received += chunk
    status, body = status_and_body(received)
    assert status == 408
    assert json.loads(body)["error"]["code"] == "request_timeout"


def test_the_deadline_covers_the_head_only(quick_server: LockgateServer) -> None:
    """An idle keep-alive connection and a slow body are not a slow head."""
    with socket.create_connection((LOOPBACK, quick_server.port), timeout=10) as sock:
        sock.sendall(b"GET /health/live HTTP/1.1\r\nhost: lockgate\r\n\r\n")
        assert read_response(sock).startswith(b"HTTP/1.1 200 ")
        sock.settimeout(1.5)  # longer than the head deadline: nothing may arrive meanwhile
        with pytest.raises(TimeoutError):
            sock.recv(65536)
        sock.settimeout(10)
        sock.sendall(
            b"POST /api/v1/auth/login HTTP/1.1\r\nhost: lockgate\r\n"
            b"content-type: application/json\r\ncontent-length: 2\r\n\r\n{"
        )
        sock.settimeout(1.5)
        with pytest.raises(TimeoutError):
            sock.recv(65536)
        sock.settimeout(10)
        sock.sendall(b"}")
        status, _ = status_and_body(read_response(sock))
    assert status == 422  # the body arrived late and was read: a validation error, not a 408
