"""An upstream's error text reaches the logs and admins, never users: through a real
``lockgate serve`` and a fake OpenAI-format upstream that fails with a body naming an internal
file. Users see a stable code and our own short message in the chat error, the saved reply,
``/health/providers`` and ``/v1``; the detail is in the log and in the admin's health view. A
``/v1`` key holder also reads an upstream 400's text: it is about their own request.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import openai
import pytest

from tests.fixtures.fake_openai import FakeOpenAI
from tests.fixtures.serve import LockgateServer

pytestmark = pytest.mark.slow
PASSWORD = "correct horse battery staple"
SECRET = "exploded at /srv/internal/db.py line 42"
BROKEN = (500, json.dumps({"error": {"message": SECRET, "type": "server_error"}}))
VERDICT = "messages[0].content is too long for this model"
REFUSED = (400, json.dumps({"error": {"message": VERDICT, "type": "invalid_request_error"}}))


@pytest.fixture(scope="module")
def upstream() -> Iterator[FakeOpenAI]:
    with FakeOpenAI() as fake:
        yield fake


@pytest.fixture(scope="module")
def server(
    tmp_path_factory: pytest.TempPathFactory, upstream: FakeOpenAI
) -> Iterator[LockgateServer]:
    config: dict[str, Any] = {
        "providers": {"fake": {"type": "openai", "base_url": upstream.url}},
        "models": {"fake-gpt": {"provider": "fake"}},
        "default_model": "fake-gpt",
        "gate": {
            "rate_limits": {"default": "10000/minute", "per_ip": "10000/minute"},
            "breaker": {"consecutive_failures": 1000, "min_calls": 1000},
            "retry": {"attempts": 1},
        },
    }
    with LockgateServer(tmp_path_factory.mktemp("errors"), config=config) as running:
        yield running


def signed_in(server: LockgateServer, email: str) -> httpx.Client:
    client = httpx.Client(base_url=server.url)
    response = client.post("/api/v1/auth/register", json={"email": email, "password": PASSWORD})
    assert response.status_code == 201, response.text
    client.headers["X-CSRF-Token"] = client.cookies["lockgate_csrf"]
    return client


@pytest.fixture(scope="module")
def admin(server: LockgateServer) -> Iterator[httpx.Client]:
    client = signed_in(server, "admin@example.com")  # the first account is the admin
    yield client
    client.close()


@pytest.fixture(scope="module")
def user(server: LockgateServer, admin: httpx.Client) -> Iterator[httpx.Client]:
    client = signed_in(server, "user@example.com")
    yield client
    client.close()


@pytest.fixture
def broken(upstream: FakeOpenAI) -> Iterator[FakeOpenAI]:
    upstream.failure = BROKEN
    yield upstream
    upstream.failure = None


def chat(client: httpx.Client) -> tuple[str, str]:
    """(the SSE body of a chat reply, the saved conversation's messages as JSON text)."""
    cid = client.post("/api/v1/conversations", json={}).json()["id"]
    reply = client.post(f"/api/v1/conversations/{cid}/messages", json={"content": "hello"})
    assert reply.status_code == 200, reply.text
    saved = client.get(f"/api/v1/conversations/{cid}/messages")
    assert saved.status_code == 200, saved.text
    return reply.text, saved.text


def sdk(server: LockgateServer, account: httpx.Client) -> openai.OpenAI:
    key = account.post("/api/v1/keys", json={"name": "errors"}).json()["key"]
    return openai.OpenAI(base_url=f"{server.url}/v1", api_key=key, max_retries=0)


def v1_error(client: openai.OpenAI, *, stream: bool) -> str:
    """Everything the key holder receives for one failed call, as text."""
    messages: Any = [{"role": "user", "content": "hello"}]
    try:
        if stream:
            with client.chat.completions.create(
                model="fake-gpt", messages=messages, stream=True
            ) as chunks:
                return "".join(str(chunk) for chunk in chunks)
        return str(client.chat.completions.create(model="fake-gpt", messages=messages))
    except openai.APIStatusError as exc:
        return f"{exc.status_code} {exc.message} {exc.body}"


def provider_health(client: httpx.Client) -> dict[str, Any]:
    response = client.get("/health/providers")
    assert response.status_code == 200, response.text
    [fake] = response.json()["providers"]
    last: dict[str, Any] = fake["last_error"]
    return last


def test_the_chat_error_and_the_saved_reply_keep_the_upstream_text_out(
    broken: FakeOpenAI, user: httpx.Client
) -> None:
    sse, saved = chat(user)
    assert (SECRET in sse, SECRET in saved, "provider_unavailable" in sse) == (False, False, True)


def test_a_signed_in_user_sees_the_code_and_our_message_only(
    broken: FakeOpenAI, user: httpx.Client
) -> None:
    chat(user)
    last = provider_health(user)
    assert (last["code"], SECRET in json.dumps(last), last["detail"]) == (
        "provider_unavailable",
        False,
        None,
    )


def test_an_admin_sees_the_upstream_detail(broken: FakeOpenAI, admin: httpx.Client) -> None:
    chat(admin)
    assert SECRET in provider_health(admin)["detail"]


def test_the_log_keeps_the_upstream_detail(
    broken: FakeOpenAI, server: LockgateServer, user: httpx.Client
) -> None:
    chat(user)
    events = [
        json.loads(line) for line in server.log_path.read_text().splitlines() if line[:1] == "{"
    ]
    failures = [e for e in events if e.get("event") == "provider_call_failed"]
    assert SECRET in failures[-1]["detail"]


@pytest.mark.parametrize("stream", [False, True], ids=["complete", "stream"])
def test_v1_never_relays_an_upstream_5xx_text(
    broken: FakeOpenAI, server: LockgateServer, user: httpx.Client, stream: bool
) -> None:
    with sdk(server, user) as client:
        received = v1_error(client, stream=stream)
    assert (SECRET in received, "provider_unavailable" in received) == (False, True)


def test_v1_tells_the_key_holder_what_the_upstream_said_of_their_bad_request(
    upstream: FakeOpenAI, server: LockgateServer, user: httpx.Client
) -> None:
    upstream.failure = REFUSED
    try:
        with sdk(server, user) as client:
            received = v1_error(client, stream=False)
        sse, _ = chat(user)
    finally:
        upstream.failure = None
    assert (VERDICT in received, "provider_bad_request" in received, VERDICT in sse) == (
        True,
        True,
        False,
    )
