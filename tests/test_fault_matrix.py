"""The fault matrix: every way an upstream or the server itself can fail, through a real
`lockgate serve`, as a browser (web API, SSE) and as a program (`/v1` with the `openai` SDK,
streamed and not) would see it.

For each upstream fault (see `tests/fixtures/fake_openai.FAULTS`) the promise is the same: the
user's message is kept, the reply ends in a final state (never left ``streaming``), the client is
told a stable error code (never an unhandled 500), and the server logs no traceback. Each fault
has its own provider (and so its own breaker and quota state), so the cases do not leak into
each other. Then the process itself fails: SIGTERM mid-stream, and SIGKILL followed by a restart,
without Redis and with it (where a reply's lease expiring is what tells that its owner died).
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import sqlite3
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import openai
import pytest

from tests.fixtures.fake_openai import FakeOpenAI
from tests.fixtures.procs import wait_until
from tests.fixtures.serve import LockgateServer

pytestmark = pytest.mark.slow
PASSWORD = "correct horse battery staple"
FINAL = {"complete", "incomplete", "error", "cancelled"}
TIMEOUTS = {"connect": 1, "read": 1, "write": 1, "pool": 1}
# Retries are kept (two attempts) but fast: backoff is not what is tested here.
GATE = {
    "rate_limits": {"default": "10000/minute", "per_ip": "10000/minute"},
    "retry": {"attempts": 2, "initial_backoff_seconds": 0.01, "max_backoff_seconds": 0.05},
}
UPSTREAM_KEY = {"FAKE_UPSTREAM_KEY": "sk-upstream-secret"}


@dataclass(frozen=True)
class Expected:
    """What a client is told about one fault: the stable code, the reply's final state
    (``error`` before any token, ``incomplete`` once some text was streamed and kept), and the
    code of a non-streamed `/v1` call where it differs (a body cut short is a transport failure
    there, a stream without its ``[DONE]`` a bad response)."""

    code: str
    status: str
    plain_code: str | None = None

    @property
    def http(self) -> int:
        """Every upstream failure is a 502 to a `/v1` client, except the upstream's own 429."""
        return 429 if self.code == "provider_rate_limited" else 502


EXPECTED = {
    "500": Expected("provider_unavailable", "error"),
    "429": Expected("provider_rate_limited", "error"),
    "timeout": Expected("provider_timeout", "error"),
    "reset": Expected("provider_unavailable", "error"),
    "garbage": Expected("provider_bad_response", "error"),
    "redirect": Expected("provider_bad_response", "error"),
    "cut": Expected("provider_bad_response", "incomplete", plain_code="provider_unavailable"),
    "stall": Expected("provider_timeout", "incomplete"),
}
SURFACES = ("web", "v1", "v1-stream")


def model_for(fault: str, surface: str) -> str:
    return f"{fault}-{surface}"


def fault_config(upstream: FakeOpenAI, faults: Iterable[str]) -> dict[str, Any]:
    """One provider and one model per (fault, surface)."""
    providers: dict[str, Any] = {}
    models: dict[str, Any] = {}
    for fault in faults:
        for surface in SURFACES:
            name = model_for(fault, surface)
            providers[name] = {
                "type": "openai",
                "base_url": upstream.fault_url(fault),
                "api_key_env": "FAKE_UPSTREAM_KEY",
                "timeouts": TIMEOUTS,
            }
            models[name] = {"provider": name, "upstream": "fake-gpt"}
    return {"providers": providers, "models": models, "gate": GATE}


class KillableServer(LockgateServer):
    """`LockgateServer` that can also be sent a signal and waited for, like an OOM kill."""

    def send(self, sig: signal.Signals) -> None:
        assert self._proc is not None
        os.killpg(self._proc.pid, sig)

    def terminate(self) -> None:
        """SIGTERM, then wait for the clean shutdown to end."""
        self.send(signal.SIGTERM)
        self.wait_exit()

    def wait_exit(self) -> None:
        proc = self._proc
        assert proc is not None
        proc.wait(timeout=60)
        self.stop()  # only forgets it: the process is gone


# --- web and /v1 clients ----------------------------------------------------------------------


@contextlib.contextmanager
def sign_in(server: LockgateServer, email: str, *, register: bool) -> Iterator[httpx.Client]:
    """A browser-like client: registered (or not), signed in, CSRF header set."""
    with httpx.Client(base_url=server.url, timeout=30) as client:
        if register:
            created = client.post(
                "/api/v1/auth/register", json={"email": email, "password": PASSWORD}
            )
            assert created.status_code == 201, created.text
            client.cookies.clear()
        login = client.post("/api/v1/auth/login", json={"email": email, "password": PASSWORD})
        assert login.status_code == 200, login.text
        client.headers["X-CSRF-Token"] = client.cookies["lockgate_csrf"]
        yield client


def sse_events(response: httpx.Response) -> Iterator[tuple[str, Any]]:
    event = None
    for line in response.iter_lines():
        if line.startswith("event: "):
            event = line[7:]
        elif line.startswith("data: ") and event:
            yield event, json.loads(line[6:])
            event = None


def new_conversation(web: httpx.Client) -> str:
    created = web.post("/api/v1/conversations", json={})
    assert created.status_code == 201, created.text
    cid: str = created.json()["id"]
    return cid


def stored_messages(web: httpx.Client, cid: str) -> list[dict[str, Any]]:
    response = web.get(f"/api/v1/conversations/{cid}")
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["messages"]["items"]
    return items


def log_problems(server: LockgateServer, offset: int) -> list[str]:
    """Log lines since `offset` that show an unhandled error: a traceback, an error-level
    line, or a 500 answered."""
    text = server.log_path.read_text(encoding="utf-8", errors="replace")[offset:]
    problems = []
    for line in text.splitlines():
        try:
            entry = json.loads(line)
        except ValueError:
            entry = {}
        answered_500 = entry.get("event") == "request" and entry.get("status") == 500
        unhandled = answered_500 or entry.get("level") in ("error", "critical")
        if unhandled or "Traceback" in line or "exception" in entry:
            problems.append(line)
    return problems


def log_size(server: LockgateServer) -> int:
    return len(server.log_path.read_text(encoding="utf-8", errors="replace"))


# --- upstream faults --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def upstream() -> Iterator[FakeOpenAI]:
    with FakeOpenAI() as fake:
        yield fake


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, upstream: FakeOpenAI) -> Iterator[Any]:
    config = fault_config(upstream, tuple(EXPECTED))
    with LockgateServer(
        tmp_path_factory.mktemp("faults"), config=config, env=UPSTREAM_KEY
    ) as running:
        yield running


@pytest.fixture(scope="module")
def web(server: LockgateServer) -> Iterator[httpx.Client]:
    with sign_in(server, "faults@example.com", register=True) as client:
        yield client


@pytest.fixture(scope="module")
def sdk(server: LockgateServer, web: httpx.Client) -> Iterator[openai.OpenAI]:
    key = web.post("/api/v1/keys", json={"name": "faults"})
    assert key.status_code == 201, key.text
    client = openai.OpenAI(
        base_url=f"{server.url}/v1", api_key=key.json()["key"], max_retries=0, timeout=30
    )
    with client:
        yield client


@pytest.fixture
def clean_log(server: LockgateServer) -> Iterator[None]:
    """Fails the test if the server logged a traceback or answered 500 while it ran."""
    offset = log_size(server)
    yield
    assert log_problems(server, offset) == []


@pytest.mark.usefixtures("clean_log")
@pytest.mark.parametrize("fault", list(EXPECTED))
def test_web_chat_keeps_the_message_and_ends_the_reply(fault: str, web: httpx.Client) -> None:
    expected = EXPECTED[fault]
    cid = new_conversation(web)
    content = f"hello through a {fault} upstream"
    body = {"content": content, "model": model_for(fault, "web")}
    with web.stream("POST", f"/api/v1/conversations/{cid}/messages", json=body) as response:
        assert response.status_code == 200
        events = list(sse_events(response))
    name, data = events[-1]
    assert (name, data["code"], data["status"]) == ("error", expected.code, expected.status)
    streamed = "".join(d["text"] for n, d in events if n == "delta")
    user, reply = stored_messages(web, cid)
    assert (user["role"], user["content"]) == ("user", content)
    assert (reply["status"], reply["content"]) == (expected.status, streamed)
    assert bool(streamed) == (expected.status == "incomplete")


@pytest.mark.usefixtures("clean_log")
@pytest.mark.parametrize("fault", list(EXPECTED))
def test_v1_chat_answers_a_stable_error(fault: str, sdk: openai.OpenAI) -> None:
    with pytest.raises(openai.APIStatusError) as caught:
        sdk.chat.completions.create(
            model=model_for(fault, "v1"), messages=[{"role": "user", "content": "hello"}]
        )
    expected = EXPECTED[fault]
    code = expected.plain_code or expected.code
    assert (caught.value.status_code, caught.value.code) == (expected.http, code)
    if expected.http == 429:
        assert int(caught.value.response.headers["retry-after"]) >= 1


def drain(sdk: openai.OpenAI, model: str, into: list[Any]) -> None:
    """Stream a completion into `into`, chunk by chunk, until it ends or raises."""
    stream = sdk.chat.completions.create(
        model=model, messages=[{"role": "user", "content": "hello"}], stream=True
    )
    with stream:
        into.extend(stream)


@pytest.mark.usefixtures("clean_log")
@pytest.mark.parametrize("fault", list(EXPECTED))
def test_v1_stream_ends_with_a_stable_error(fault: str, sdk: openai.OpenAI) -> None:
    chunks: list[Any] = []
    with pytest.raises(openai.APIError) as caught:
        drain(sdk, model_for(fault, "v1-stream"), chunks)
    assert caught.value.code == EXPECTED[fault].code
    if isinstance(caught.value, openai.APIStatusError):
        assert caught.value.status_code == EXPECTED[fault].http
    # Only a fault after the first token can have let text through.
    assert bool(chunks) == (EXPECTED[fault].status == "incomplete")


# --- the server process fails -----------------------------------------------------------------


@dataclass
class LiveReply:
    conversation_id: str
    message_id: str
    content: str


def drip_server(workdir: Path, upstream: FakeOpenAI, env: dict[str, str]) -> KillableServer:
    return KillableServer(
        workdir, config=fault_config(upstream, ("drip",)), env={**UPSTREAM_KEY, **env}
    )


@contextlib.contextmanager
def reply_in_flight(web: httpx.Client) -> Iterator[LiveReply]:
    """A reply that has streamed its first tokens and is still going (the upstream drips)."""
    cid = new_conversation(web)
    content = "a long answer, please"
    body = {"content": content, "model": model_for("drip", "web")}
    with contextlib.ExitStack() as stack:
        response = stack.enter_context(
            web.stream("POST", f"/api/v1/conversations/{cid}/messages", json=body)
        )
        events = sse_events(response)
        name, first = next(events)
        assert name == "message"
        assert next(events)[0] == "delta"
        yield LiveReply(cid, first["assistant_message"]["id"], content)


def stored_status(server: LockgateServer, message_id: str) -> tuple[str, str | None, str]:
    """(status, error code, content) of a message, read from the database file directly: what
    the process saved, before any later start could repair it."""
    path = server.workdir / "data" / "lockgate.db"
    with contextlib.closing(sqlite3.connect(path)) as db:
        row = db.execute(
            "SELECT status, error_code, content FROM messages WHERE id = ? OR id = ?",
            (message_id, message_id.replace("-", "")),
        ).fetchone()
    assert row is not None, message_id
    return row[0], row[1], row[2]


def wait_for_saved_text(server: LockgateServer, message_id: str) -> None:
    """Until the reply's first tokens are in the database (it saves every `save_interval`), so
    that a kill lands after some of what the user saw was saved."""
    wait_until(
        lambda: bool(stored_status(server, message_id)[2]),
        timeout=10,
        what="the reply's first save",
    )


def test_sigterm_mid_stream_saves_the_reply_as_incomplete(
    tmp_path: Path, upstream: FakeOpenAI
) -> None:
    env = {"LOCKGATE_SHUTDOWN_GRACE_SECONDS": "0.5"}
    with (
        drip_server(tmp_path, upstream, env) as server,
        sign_in(server, "term@example.com", register=True) as web,
    ):
        with reply_in_flight(web) as live:
            pass  # the browser goes away as the server is told to stop
        server.terminate()
    status, code, content = stored_status(server, live.message_id)
    assert (status, code) == ("incomplete", "interrupted")
    assert content.startswith("Hello from")
    assert log_problems(server, 0) == []


def final_event(events: Iterator[tuple[str, Any]], *, within: float) -> tuple[str, Any] | None:
    """The reply's final event (``done`` or ``error``), if it comes within `within` seconds (the
    deltas keep the loop turning); None if the stream ends without one or is cut."""
    deadline = time.monotonic() + within
    try:
        for event in events:
            if event[0] in ("done", "error"):
                return event
            if time.monotonic() > deadline:
                return None
    except httpx.HTTPError:
        return None
    return None


def test_sigterm_tells_a_listening_client_how_the_reply_ended(
    tmp_path: Path, upstream: FakeOpenAI
) -> None:
    """The grace period bounds a reply at shutdown: a client still listening then gets the
    reply's final state, rather than a stream cut by the server's own (longer) timeout."""
    env = {"LOCKGATE_SHUTDOWN_GRACE_SECONDS": "0.5"}
    with (
        drip_server(tmp_path, upstream, env) as server,
        sign_in(server, "listen@example.com", register=True) as web,
    ):
        cid = new_conversation(web)
        body = {"content": "keep talking", "model": model_for("drip", "web")}
        with web.stream("POST", f"/api/v1/conversations/{cid}/messages", json=body) as response:
            events = sse_events(response)
            assert [next(events)[0], next(events)[0]] == ["message", "delta"]
            server.send(signal.SIGTERM)
            last = final_event(events, within=10)
        server.wait_exit()
    assert last is not None, "no final event"
    assert (last[0], last[1].get("status")) == ("error", "incomplete"), last
    assert last[1]["final"]["status"] in FINAL


def test_sigkill_then_restart_closes_the_orphan(tmp_path: Path, upstream: FakeOpenAI) -> None:
    with (
        drip_server(tmp_path, upstream, {}) as server,
        sign_in(server, "kill@example.com", register=True) as web,
        reply_in_flight(web) as live,
    ):
        wait_for_saved_text(server, live.message_id)
        server.kill()
    assert stored_status(server, live.message_id)[0] == "streaming"

    with (
        drip_server(tmp_path, upstream, {}) as restarted,
        sign_in(restarted, "kill@example.com", register=False) as web,
    ):
        user, reply = stored_messages(web, live.conversation_id)
        with web.stream("GET", f"/api/v1/messages/{live.message_id}/stream") as response:
            last = list(sse_events(response))[-1]
    assert (user["role"], user["content"]) == ("user", live.content)
    assert (reply["status"], reply["error_code"]) == ("incomplete", "interrupted")
    assert reply["content"].startswith("Hello from")
    assert (last[0], last[1]["status"]) == ("error", "incomplete")


def test_sigkill_with_redis_the_lease_expires_and_the_orphan_is_closed(
    tmp_path: Path, upstream: FakeOpenAI, redis_url: str
) -> None:
    env = {
        "LOCKGATE_REDIS_URL": redis_url,
        "LOCKGATE_REPLY_LEASE_SECONDS": "1",
        "LOCKGATE_REPLY_REAP_SECONDS": "0.5",
    }
    with (
        drip_server(tmp_path, upstream, env) as server,
        sign_in(server, "lease@example.com", register=True) as web,
        reply_in_flight(web) as live,
    ):
        wait_for_saved_text(server, live.message_id)
        server.kill()
    assert stored_status(server, live.message_id)[0] == "streaming"

    with (
        drip_server(tmp_path, upstream, env) as restarted,
        sign_in(restarted, "lease@example.com", register=False) as web,
    ):

        def closed() -> bool:
            return bool(stored_messages(web, live.conversation_id)[1]["status"] != "streaming")

        # Bounded: a few lease lengths, then the test fails rather than waits.
        wait_until(closed, timeout=10, interval=0.1, what="the orphaned reply to be closed")
        user, reply = stored_messages(web, live.conversation_id)
    assert (user["role"], user["content"]) == ("user", live.content)
    assert (reply["status"], reply["error_code"]) == ("incomplete", "interrupted")
