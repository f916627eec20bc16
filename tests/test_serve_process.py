"""`lockgate serve` as a real process: sign up, sign in and manage conversations over HTTP with
cookies and CSRF, exactly as a browser or curl would."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.fixtures.procs import wait_until
from tests.fixtures.serve import LockgateServer

pytestmark = pytest.mark.slow
PASSWORD = "correct horse battery staple"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LockgateServer]:
    with LockgateServer(tmp_path_factory.mktemp("serve")) as running:
        yield running


def csrf_headers(client: httpx.Client) -> dict[str, str]:
    return {"X-CSRF-Token": client.cookies["lockgate_csrf"]}


def test_ready_and_migrated(server: LockgateServer) -> None:
    response = httpx.get(f"{server.url}/health/ready")
    assert response.json() == {"status": "ok", "checks": {"database": "ok", "migrations": "ok"}}
    assert (Path(server.workdir) / "data" / "lockgate.db").exists()


def test_account_and_conversation_lifecycle(server: LockgateServer) -> None:
    with httpx.Client(base_url=server.url) as client:
        signup = client.post(
            "/api/v1/auth/register", json={"email": "curl@example.com", "password": PASSWORD}
        )
        assert signup.status_code == 201
        assert client.post("/api/v1/auth/logout", headers=csrf_headers(client)).status_code == 204
        assert client.get("/api/v1/auth/me").status_code == 401

        login = client.post(
            "/api/v1/auth/login", json={"email": "curl@example.com", "password": PASSWORD}
        )
        assert login.status_code == 200
        created = client.post(
            "/api/v1/conversations", json={"title": "From curl"}, headers=csrf_headers(client)
        )
        assert created.status_code == 201
        cid = created.json()["id"]
        assert [c["id"] for c in client.get("/api/v1/conversations").json()["items"]] == [cid]

        renamed = client.patch(
            f"/api/v1/conversations/{cid}", json={"title": "Renamed"}, headers=csrf_headers(client)
        )
        assert renamed.json()["title"] == "Renamed"
        deleted = client.delete(f"/api/v1/conversations/{cid}", headers=csrf_headers(client))
        assert deleted.status_code == 204
        assert client.get("/api/v1/conversations").json()["items"] == []


def test_mutation_without_csrf_header_is_refused(server: LockgateServer) -> None:
    with httpx.Client(base_url=server.url) as client:
        client.post(
            "/api/v1/auth/register", json={"email": "nocsrf@example.com", "password": PASSWORD}
        )
        response = client.post("/api/v1/conversations", json={"title": "x"})
        assert response.status_code == 403
        assert response.json()["error"]["code"] == "csrf_failed"


def test_log_lines_are_structured_with_request_fields(server: LockgateServer) -> None:
    httpx.get(f"{server.url}/health/live", headers={"X-Request-ID": "trace-me-123"})

    def logged() -> list[str]:
        text = server.log_path.read_text()
        return [line for line in text.splitlines() if "trace-me-123" in line]

    # The line is written just after the response; wait for it (bounded), do not race it.
    wait_until(lambda: bool(logged()), timeout=10, what="the request's log line")
    entry = json.loads(logged()[-1])
    assert entry["route"] == "/health/live"
    assert entry["status"] == 200
    assert {"request_id", "user_id", "duration_ms", "method"} <= set(entry)


def test_no_stack_trace_reaches_the_client(server: LockgateServer) -> None:
    response = httpx.post(
        f"{server.url}/api/v1/auth/login",
        content=b"\xff\xfe not json",
        headers={"content-type": "application/json"},
    )
    assert response.status_code in (400, 422)
    assert "Traceback" not in response.text
    assert response.json()["error"]["code"] in ("malformed_json", "validation_error")
