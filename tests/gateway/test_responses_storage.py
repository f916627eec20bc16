"""Stored responses on SQLite and PostgreSQL: chains resolved in one query, retention by the
injected clock, the size bound, and a stream that fails after it began."""

from __future__ import annotations

import asyncio
import json
import uuid
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from lockgate.clock import FakeClock
from lockgate.gateway.responses.storage import ResponseStore
from lockgate.models import StoredResponse
from lockgate.settings import FileConfig
from lockgate.state import AppState
from tests.fixtures.appkit import ApiClient, api_client, make_config, parse_sse, running_app


async def key_headers(client: ApiClient) -> tuple[dict[str, str], uuid.UUID]:
    await client.register("store@example.com")
    key = (await client.post("/api/v1/keys", json={"name": "k"})).json()
    return {"Authorization": f"Bearer {key['key']}"}, uuid.UUID(key["id"])


async def create(client: ApiClient, headers: dict[str, str], **body: Any) -> dict[str, Any]:
    response = await client.post(
        "/v1/responses", json={"model": "sim-small", **body}, headers=headers
    )
    assert response.status_code == 200, response.text
    answer: dict[str, Any] = response.json()
    return answer


async def stored(state: AppState) -> int:
    async with state.sessionmaker() as db:
        count = await db.scalar(select(func.count()).select_from(StoredResponse))
    return int(count or 0)


async def test_a_chain_is_replayed_oldest_first(
    client: ApiClient, state: AppState, clock: FakeClock
) -> None:
    headers, key_id = await key_headers(client)
    first = await create(client, headers, input="one [[tokens:3]]")
    second = await create(
        client, headers, input="two [[tokens:3]]", previous_response_id=first["id"]
    )
    third = await create(
        client, headers, input="three [[tokens:3]]", previous_response_id=second["id"]
    )
    store = ResponseStore(state.sessionmaker, state.config.file.responses, key_id)
    items = await store.history(third["id"], clock())
    texts = [
        item["content"][0]["text"] if item["content"][0]["type"] == "input_text" else "reply"
        for item in items
    ]
    replies = ["one [[tokens:3]]", "two [[tokens:3]]", "three [[tokens:3]]"]
    assert texts == [text for said in replies for text in (said, "reply")]
    assert all("id" not in item for item in items)  # an upstream that stores nothing


async def test_responses_expire_after_the_retention(
    client: ApiClient, state: AppState, clock: FakeClock
) -> None:
    headers, _ = await key_headers(client)
    old = await create(client, headers, input="old [[tokens:2]]")
    clock.advance(days=state.config.file.responses.retention_days, seconds=1)
    gone = await client.get(f"/v1/responses/{old['id']}", headers=headers)
    assert gone.status_code == 404
    assert gone.json()["error"]["code"] == "response_not_found"
    follow = await client.post(
        "/v1/responses",
        json={"model": "sim-small", "input": "x", "previous_response_id": old["id"]},
        headers=headers,
    )
    assert follow.status_code == 404
    await create(client, headers, input="new [[tokens:2]]")  # storing purges what expired
    assert await stored(state) == 1


async def test_a_stream_that_fails_after_it_began_ends_with_response_failed(
    client: ApiClient, state: AppState
) -> None:
    headers, _ = await key_headers(client)
    response = await client.post(
        "/v1/responses",
        json={"model": "sim-small", "input": "cut me [[fail:cut]]", "stream": True},
        headers=headers,
    )
    assert response.status_code == 200
    events = parse_sse(response.text)
    kinds = [name for name, _ in events]
    assert kinds[:2] == ["response.created", "response.in_progress"]
    assert "response.output_text.delta" in kinds
    assert kinds[-1] == "response.failed"
    assert [data["sequence_number"] for _, data in events] == list(range(len(events)))
    final = events[-1][1]["response"]
    assert final["status"] == "failed"
    assert final["error"]["code"] == "server_error"
    assert final["output"][0]["status"] == "incomplete"
    kept = await client.get(f"/v1/responses/{final['id']}", headers=headers)
    assert kept.json()["status"] == "failed"


async def test_a_failure_before_the_first_event_is_an_http_error(
    client: ApiClient, state: AppState
) -> None:
    headers, _ = await key_headers(client)
    response = await client.post(
        "/v1/responses",
        json={"model": "sim-small", "input": "[[fail:429]]", "stream": True},
        headers=headers,
    )
    assert response.status_code == 429
    assert response.json()["error"]["type"] == "rate_limit_error"
    assert await stored(state) == 0


async def test_an_input_too_large_to_store_is_refused_before_the_call(
    database_url: str, tmp_path: Path, clock: FakeClock
) -> None:
    file = FileConfig.model_validate({"responses": {"max_stored_bytes": 65536}})
    async with (
        running_app(make_config(database_url, tmp_path, file=file), clock) as (app, state),
        api_client(app) as client,
    ):
        headers, _ = await key_headers(client)
        big = "word " * 14_000
        refused = await client.post(
            "/v1/responses", json={"model": "sim-small", "input": big}, headers=headers
        )
        assert refused.status_code == 400
        assert refused.json()["error"]["param"] == "store"
        assert state.usage_writer is not None
        await state.usage_writer.flush()
        assert await stored(state) == 0
        body = {"model": "sim-small", "input": "small [[tokens:2]]", "metadata": {"a": "b"}}
        kept = await client.post("/v1/responses", json=body, headers=headers)
        assert json.loads(kept.text)["metadata"] == {"a": "b"}
        assert await stored(state) == 1


async def test_a_streamed_response_is_stored_before_its_final_event(
    app_state: tuple[Any, AppState], client: ApiClient
) -> None:
    """A client may continue from a response as soon as it sees ``response.completed``: when
    that event is sent, the row exists."""
    app, state = app_state
    headers, _ = await key_headers(client)
    body = json.dumps({"model": "sim-small", "input": "hi [[tokens:3]]", "stream": True})
    seen: list[bool] = []
    sent = asyncio.Event()

    async def receive() -> dict[str, Any]:
        if sent.is_set():  # the body was read; the client stays connected
            await asyncio.Event().wait()
        sent.set()
        return {"type": "http.request", "body": body.encode(), "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        if b"response.completed" in message.get("body", b""):
            seen.append(await stored(state) == 1)

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": "/v1/responses",
        "raw_path": b"/v1/responses",
        "query_string": b"",
        "root_path": "",
        "server": ("testserver", 80),
        "client": ("127.0.0.1", 5000),
        "headers": [
            (b"host", b"testserver"),
            (b"content-type", b"application/json"),
            (b"authorization", headers["Authorization"].encode()),
        ],
    }
    await app(scope, receive, send)
    assert seen == [True]


async def test_a_chain_longer_than_max_chain_is_refused(
    database_url: str, tmp_path: Path, clock: FakeClock
) -> None:
    file = FileConfig.model_validate({"responses": {"max_chain": 2}})
    async with (
        running_app(make_config(database_url, tmp_path, file=file), clock) as (app, _),
        api_client(app) as client,
    ):
        headers, _ = await key_headers(client)
        previous = None
        for _ in range(3):
            previous = (
                await create(
                    client, headers, input="again [[tokens:2]]", previous_response_id=previous
                )
            )["id"]
        refused = await client.post(
            "/v1/responses",
            json={"model": "sim-small", "input": "x", "previous_response_id": previous},
            headers=headers,
        )
        assert refused.status_code == 400
        assert refused.json()["error"]["param"] == "previous_response_id"


async def test_a_chain_larger_than_max_history_bytes_is_refused(
    database_url: str, tmp_path: Path, clock: FakeClock
) -> None:
    big = {"provider": "simulated", "context_window": 1_000_000, "max_output_tokens": 64}
    file = FileConfig.model_validate(
        {"responses": {"max_history_bytes": 65536}, "models": {"big": big}}
    )
    async with (
        running_app(make_config(database_url, tmp_path, file=file), clock) as (app, _),
        api_client(app) as client,
    ):
        headers, _ = await key_headers(client)
        long = "word " * 7000 + "[[tokens:2]]"
        first = await create(client, headers, model="big", input=long)
        second = await create(
            client, headers, model="big", input=long, previous_response_id=first["id"]
        )
        refused = await client.post(
            "/v1/responses",
            json={"model": "big", "input": "x", "previous_response_id": second["id"]},
            headers=headers,
        )
        assert refused.status_code == 400
        assert refused.json()["error"]["param"] == "previous_response_id"
        assert "too large" in refused.json()["error"]["message"]
