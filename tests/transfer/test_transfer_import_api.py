"""Import over HTTP: ChatGPT's conversations.json (branches, hidden and tool nodes), and every
class of bad input answered with a stable code and the right status, importing nothing."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from lockgate.clock import FakeClock
from lockgate.models import Conversation, Message, UsageRecord
from lockgate.state import AppState
from tests.fixtures.appkit import ApiClient, api_client, make_config, running_app
from tests.transfer.kit import DATA, conversation_count, messages, post_import

CHATGPT = (DATA / "chatgpt_conversations.json").read_bytes()
NOW = "2026-12-06T12:00:00Z"


def lockgate_document(conversations: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "format": "lockgate.conversations",
        "version": 1,
        "exported_at": NOW,
        "conversations": conversations,
    }


def conversation(title: str, n_messages: int = 2) -> dict[str, Any]:
    rows: list[dict[str, Any]] = []
    for i in range(n_messages):
        role = "user" if i % 2 == 0 else "assistant"
        rows.append(
            {
                "id": f"00000000-0000-4000-8000-{i:012d}",
                "parent_id": rows[-1]["id"] if role == "assistant" else None,
                "role": role,
                "content": f"{title} message {i}",
                "created_at": NOW,
            }
        )
    return {
        "id": "10000000-0000-4000-8000-000000000000",
        "title": title,
        "created_at": NOW,
        "updated_at": NOW,
        "messages": rows,
    }


async def table_counts(state: AppState) -> tuple[int, int, int]:
    async with state.sessionmaker() as db:
        return (
            int(await db.scalar(select(func.count()).select_from(Conversation)) or 0),
            int(await db.scalar(select(func.count()).select_from(Message)) or 0),
            int(await db.scalar(select(func.count()).select_from(UsageRecord)) or 0),
        )


async def test_chatgpt_export_imports_the_current_branch_only(user_client: ApiClient) -> None:
    response = await post_import(user_client, CHATGPT)
    assert response.status_code == 201, response.text
    body = response.json()
    assert (body["format"], body["conversations"], body["messages"]) == ("chatgpt", 2, 6)
    listed = {
        c["title"]: c for c in (await user_client.get("/api/v1/conversations")).json()["items"]
    }
    assert set(listed) == {"Lighthouse questions", "No current node"}
    lighthouse = listed["Lighthouse questions"]
    assert lighthouse["created_at"] == "2024-05-29T16:26:40.500000Z"
    items = await messages(user_client, lighthouse["id"])
    assert [(m["role"], m["content"]) for m in items] == [
        ("user", "How tall is the tallest lighthouse?"),
        ("assistant", "The Jeddah Light, about 133 m."),
        ("user", "[image]\n\nWhich is the oldest one still working?"),
        ("assistant", "The Tower of Hercules,\n\nin use since the 2nd century."),
    ]
    assert items[1]["parent_id"] == items[0]["id"]
    assert items[2]["parent_id"] == items[1]["id"]  # one chain: the shown branch is all of it
    assert items[3]["parent_id"] == items[2]["id"]
    assert items[1]["model"] == "gpt-4o"
    assert items[0]["created_at"] == "2024-05-29T16:26:50Z"


async def test_chatgpt_without_current_node_follows_the_last_child(user_client: ApiClient) -> None:
    await post_import(user_client, CHATGPT)
    listed = {
        c["title"]: c for c in (await user_client.get("/api/v1/conversations")).json()["items"]
    }
    items = await messages(user_client, listed["No current node"]["id"])
    assert [m["content"] for m in items] == ["Hello?", "Second try."]


async def test_an_import_pays_nothing_and_belongs_to_the_importer(
    user_client: ApiClient, other_client: ApiClient, state: AppState
) -> None:
    await post_import(user_client, CHATGPT)
    await other_client.register("bob@example.com")
    assert await conversation_count(other_client) == 0
    assert (await table_counts(state))[2] == 0  # no usage row: no provider was called


BAD_INPUTS = [
    pytest.param(b"", 400, "import_empty", id="empty"),
    pytest.param(b"   \n", 400, "import_empty", id="blank"),
    pytest.param(b'{"format": "lockgate.conv', 400, "import_malformed_json", id="cut-short"),
    pytest.param(b"not json at all", 400, "import_malformed_json", id="not-json"),
    pytest.param(
        json.dumps(lockgate_document([conversation("x")])).encode() + b"garbage",
        400,
        "import_malformed_json",
        id="trailing-garbage",
    ),
    pytest.param('["caf\xe9"]'.encode("latin-1"), 400, "import_not_utf8", id="latin-1"),
    pytest.param(b'"just a string"', 422, "import_unknown_format", id="a-string"),
    pytest.param(b'{"hello": "world"}', 422, "import_unknown_format", id="other-object"),
    pytest.param(b"[1, 2, 3]", 422, "import_unknown_format", id="list-of-numbers"),
    pytest.param(
        json.dumps({**lockgate_document([]), "version": 2}).encode(),
        422,
        "import_unsupported_version",
        id="newer-version",
    ),
    pytest.param(
        json.dumps({"format": "lockgate.conversations", "version": 1}).encode(),
        422,
        "import_invalid",
        id="no-conversations",
    ),
]


@pytest.mark.parametrize(("body", "status", "code"), BAD_INPUTS)
async def test_bad_files_are_refused_with_a_stable_code(
    user_client: ApiClient, body: bytes, status: int, code: str
) -> None:
    response = await post_import(user_client, body)
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert error["code"] == code
    assert error["message"]
    assert await conversation_count(user_client) == 0


def _broken_later(field: str, value: Any) -> dict[str, Any]:
    """Two good conversations, then one whose second message has ``field`` = ``value``."""
    bad = conversation("bad", 4)
    bad["messages"][1][field] = value
    return lockgate_document([conversation("good 1"), conversation("good 2"), bad])


INVALID = [
    pytest.param("role", "wizard", "conversations[2].messages[1].role", id="role"),
    pytest.param("created_at", "2026-12-06T12:00:00", "created_at", id="naive-time"),
    pytest.param("created_at", "yesterday", "created_at", id="not-a-time"),
    pytest.param("cost_usd", "-1", "cost_usd", id="negative-cost"),
    pytest.param("input_tokens", 2**40, "input_tokens", id="huge-count"),
    pytest.param("content", None, "content", id="no-content"),
    pytest.param(
        "parent_id", "99999999-0000-4000-8000-000000000000", "parent_id", id="dangling-parent"
    ),
    pytest.param("id", "00000000-0000-4000-8000-000000000000", "messages[1].id", id="dup-id"),
]


@pytest.mark.parametrize(("field", "value", "where"), INVALID)
async def test_one_bad_field_anywhere_imports_nothing(
    user_client: ApiClient, state: AppState, field: str, value: Any, where: str
) -> None:
    before = await table_counts(state)
    response = await post_import(user_client, _broken_later(field, value))
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert error["code"] == "import_invalid"
    assert where in error["message"]
    assert await table_counts(state) == before


async def test_a_bad_chatgpt_conversation_after_good_ones_imports_nothing(
    user_client: ApiClient,
) -> None:
    good = json.loads(CHATGPT)
    response = await post_import(user_client, [*good, {"title": "no mapping"}])
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "import_invalid"
    assert "[3]" in response.json()["error"]["message"]
    assert await conversation_count(user_client) == 0


async def test_a_utf8_byte_order_mark_is_accepted(user_client: ApiClient) -> None:
    body = b"\xef\xbb\xbf" + json.dumps(lockgate_document([conversation("bom")])).encode()
    response = await post_import(user_client, body)
    assert response.status_code == 201, response.text
    assert response.json()["conversations"] == 1


async def test_import_needs_a_sign_in(client: ApiClient) -> None:
    response = await post_import(client, lockgate_document([conversation("x")]))
    assert response.status_code == 401


async def test_import_needs_the_csrf_token(user_client: ApiClient) -> None:
    user_client.csrf_enabled = False
    response = await post_import(user_client, lockgate_document([conversation("x")]))
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "csrf_failed"


@pytest.fixture
async def limited(
    database_url: str, tmp_path: Path, clock: FakeClock
) -> AsyncIterator[tuple[ApiClient, AppState]]:
    """An app whose import limits are small: 4 KiB, 3 conversations, 5 messages."""
    config = make_config(
        database_url,
        tmp_path,
        max_import_bytes=4096,
        max_import_conversations=3,
        max_import_messages=5,
    )
    async with running_app(config, clock) as (app, state), api_client(app) as client:
        await client.register("alice@example.com")
        yield client, state


async def test_a_file_over_the_size_limit_is_413_before_it_is_read(
    limited: tuple[ApiClient, AppState],
) -> None:
    client, state = limited
    body = json.dumps(lockgate_document([conversation("x" * 100, 2)] * 1)).encode()
    body = body[:-2] + b" " * 5000 + body[-2:]
    response = await post_import(client, body)
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "payload_too_large"
    assert (await table_counts(state))[:2] == (0, 0)


async def test_a_streamed_file_over_the_size_limit_is_413(
    limited: tuple[ApiClient, AppState],
) -> None:
    """No Content-Length (chunked): counted as it arrives, refused once past the limit."""
    client, state = limited

    async def chunks() -> AsyncIterator[bytes]:
        yield b'{"format": "lockgate.conversations", "version": 1, "conversations": ['
        for _ in range(100):
            yield b" " * 1000

    response = await client.post(
        "/api/v1/imports", content=chunks(), headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "payload_too_large"
    assert (await table_counts(state))[:2] == (0, 0)


async def test_too_many_conversations_is_413_and_imports_nothing(
    limited: tuple[ApiClient, AppState],
) -> None:
    client, state = limited
    document = lockgate_document([conversation(f"c{i}", 1) for i in range(4)])
    response = await post_import(client, document)
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "import_too_many_conversations"
    assert (await table_counts(state))[:2] == (0, 0)


async def test_too_many_messages_is_413_and_imports_nothing(
    limited: tuple[ApiClient, AppState],
) -> None:
    client, state = limited
    document = lockgate_document([conversation("a", 4), conversation("b", 2)])
    response = await post_import(client, document)
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "import_too_many_messages"
    assert (await table_counts(state))[:2] == (0, 0)


async def test_an_upload_cut_short_by_the_client_imports_nothing(
    app_state: tuple[object, AppState], user_client: ApiClient
) -> None:
    """The ASGI app called directly: the body's second part is a disconnect (answered with
    the app's usual 499 for a client that hung up, never a 500)."""
    app, _state = app_state
    cookies = "; ".join(f"{k}={v}" for k, v in user_client.cookies.items())
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": "/api/v1/imports",
        "raw_path": b"/api/v1/imports",
        "query_string": b"",
        "root_path": "",
        "headers": [
            (b"host", b"test"),
            (b"content-type", b"application/json"),
            (b"cookie", cookies.encode()),
            (b"x-csrf-token", user_client.cookies["lockgate_csrf"].encode()),
        ],
        "client": ("127.0.0.1", 1234),
        "server": ("test", 80),
        "state": {},
    }
    parts: list[dict[str, Any]] = [
        {
            "type": "http.request",
            "body": b'{"format": "lockgate.conversations", ',
            "more_body": True,
        },
        {"type": "http.disconnect"},
    ]
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return parts.pop(0) if parts else {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    await app(scope, receive, send)  # type: ignore[operator]
    start = next(m for m in sent if m["type"] == "http.response.start")
    assert start["status"] == 499
    assert await conversation_count(user_client) == 0
