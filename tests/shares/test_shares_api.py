"""Share links over HTTP: a snapshot readable signed-out, never indexed, without account data,
revocable, owned (both databases)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from lockgate.clock import FakeClock
from lockgate.models import Share
from lockgate.settings import FileConfig
from lockgate.state import AppState
from tests.fixtures.appkit import ApiClient, api_client, make_config, running_app
from tests.transfer.kit import new_conversation, regenerate, send

TOKEN_OF_RIGHT_SHAPE = "A" * 43


async def share(client: ApiClient, cid: str) -> dict[str, Any]:
    response = await client.post(f"/api/v1/conversations/{cid}/shares")
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


async def a_shared_conversation(client: ApiClient) -> tuple[str, dict[str, Any]]:
    cid = await new_conversation(client, title="Lighthouses")
    await send(client, cid, "Tell me about lighthouses")
    return cid, await share(client, cid)


async def test_the_link_shows_the_conversation_signed_out(
    user_client: ApiClient, other_client: ApiClient
) -> None:
    _, created = await a_shared_conversation(user_client)
    response = await other_client.get(f"/api/v1/shared/{created['token']}")
    assert response.status_code == 200
    body = response.json()
    assert body["title"] == "Lighthouses"
    assert [m["role"] for m in body["messages"]] == ["user", "assistant"]
    assert body["messages"][0]["content"] == "Tell me about lighthouses"
    assert body["messages"][1]["model"] == "sim-small"


async def test_the_public_answer_is_noindex_and_not_cached(
    user_client: ApiClient, other_client: ApiClient
) -> None:
    _, created = await a_shared_conversation(user_client)
    response = await other_client.get(f"/api/v1/shared/{created['token']}")
    assert response.headers["x-robots-tag"] == "noindex, nofollow"
    assert response.headers["cache-control"] == "no-store"
    assert response.headers["referrer-policy"] == "no-referrer"


async def test_the_public_answer_holds_no_account_data(
    user_client: ApiClient, other_client: ApiClient
) -> None:
    me = (await user_client.get("/api/v1/auth/me")).json()
    cid, created = await a_shared_conversation(user_client)
    text = (await other_client.get(f"/api/v1/shared/{created['token']}")).text
    for secret in (me["email"], me["id"], cid, created["id"], "cost", "tokens", "provider"):
        assert secret not in text


async def test_later_messages_are_not_in_the_snapshot(
    user_client: ApiClient, other_client: ApiClient
) -> None:
    cid, created = await a_shared_conversation(user_client)
    first_reply = (await user_client.get(f"/api/v1/conversations/{cid}")).json()["messages"][
        "items"
    ][1]
    before = (await other_client.get(f"/api/v1/shared/{created['token']}")).json()
    await send(user_client, cid, "A later question")
    await regenerate(user_client, first_reply["id"])
    await user_client.patch(f"/api/v1/conversations/{cid}", json={"title": "Renamed"})
    after = (await other_client.get(f"/api/v1/shared/{created['token']}")).json()
    assert after == before


async def test_a_snapshot_holds_the_branch_shown_not_every_regeneration(
    user_client: ApiClient, other_client: ApiClient
) -> None:
    cid = await new_conversation(user_client)
    reply = await send(user_client, cid, "tell me a story")
    newer = await regenerate(user_client, reply["id"])
    created = await share(user_client, cid)
    body = (await other_client.get(f"/api/v1/shared/{created['token']}")).json()
    assert [m["role"] for m in body["messages"]] == ["user", "assistant"]
    assert body["messages"][1]["content"] == newer["content"]
    assert created["message_count"] == 2


async def test_a_revoked_link_is_the_same_404_as_an_unknown_one(
    user_client: ApiClient, other_client: ApiClient
) -> None:
    _, created = await a_shared_conversation(user_client)
    revoked = await user_client.delete(f"/api/v1/shares/{created['id']}")
    assert revoked.status_code == 204
    gone = await other_client.get(f"/api/v1/shared/{created['token']}")
    unknown = await other_client.get(f"/api/v1/shared/{TOKEN_OF_RIGHT_SHAPE}")
    malformed = await other_client.get("/api/v1/shared/short")
    assert gone.status_code == unknown.status_code == malformed.status_code == 404
    assert gone.json() == unknown.json() == malformed.json()
    assert gone.json()["error"]["code"] == "share_not_found"
    assert gone.headers["x-robots-tag"] == unknown.headers["x-robots-tag"] == "noindex, nofollow"


async def test_deleting_the_conversation_ends_its_links(
    user_client: ApiClient, other_client: ApiClient
) -> None:
    cid, created = await a_shared_conversation(user_client)
    assert (await user_client.delete(f"/api/v1/conversations/{cid}")).status_code == 204
    assert (await other_client.get(f"/api/v1/shared/{created['token']}")).status_code == 404
    assert (await user_client.get("/api/v1/shares")).json()["items"] == []


async def test_only_the_tokens_hash_is_stored(user_client: ApiClient, state: AppState) -> None:
    _, created = await a_shared_conversation(user_client)
    assert len(created["token"]) == 43  # 256 random bits, URL-safe base64
    async with state.sessionmaker() as db:
        row = await db.scalar(select(Share))
    assert row is not None
    assert created["token"] not in row.token_hash
    assert len(row.token_hash) == 64


async def test_the_owner_lists_their_links_newest_first_without_tokens(
    user_client: ApiClient, clock: FakeClock
) -> None:
    cid, first = await a_shared_conversation(user_client)
    clock.advance(seconds=1)
    second = await share(user_client, cid)
    page = (await user_client.get("/api/v1/shares", params={"limit": 1})).json()
    assert [s["id"] for s in page["items"]] == [second["id"]]
    older = (
        await user_client.get("/api/v1/shares", params={"limit": 1, "cursor": page["next_cursor"]})
    ).json()
    assert [s["id"] for s in older["items"]] == [first["id"]]
    assert older["next_cursor"] is None
    assert "token" not in page["items"][0]
    assert second["token"] != first["token"]


async def test_another_users_conversation_cannot_be_shared(
    user_client: ApiClient, other_client: ApiClient
) -> None:
    cid = await new_conversation(user_client, title="private")
    await other_client.register("bob@example.com")
    response = await other_client.post(f"/api/v1/conversations/{cid}/shares")
    assert response.status_code == 404


async def test_another_users_link_cannot_be_listed_or_revoked(
    user_client: ApiClient, other_client: ApiClient
) -> None:
    _, created = await a_shared_conversation(user_client)
    await other_client.register("bob@example.com")
    assert (await other_client.get("/api/v1/shares")).json()["items"] == []
    response = await other_client.delete(f"/api/v1/shares/{created['id']}")
    assert response.status_code == 404
    assert (await other_client.get(f"/api/v1/shared/{created['token']}")).status_code == 200


async def test_sharing_needs_a_sign_in(client: ApiClient) -> None:
    cid = "00000000-0000-4000-8000-000000000000"
    assert (await client.post(f"/api/v1/conversations/{cid}/shares")).status_code == 401
    assert (await client.get("/api/v1/shares")).status_code == 401


@pytest.fixture
async def tight(database_url: str, tmp_path: Path, clock: FakeClock) -> AsyncIterator[ApiClient]:
    """An app allowing 3 public share reads a minute per IP."""
    file = FileConfig.model_validate({"gate": {"rate_limits": {"shares": "3/minute"}}})
    config = make_config(database_url, tmp_path, file=file)
    async with running_app(config, clock) as (app, _), api_client(app) as client:
        yield client


async def test_the_public_endpoint_is_rate_limited_per_ip(tight: ApiClient) -> None:
    statuses = [
        (await tight.get(f"/api/v1/shared/{TOKEN_OF_RIGHT_SHAPE}")).status_code for _ in range(4)
    ]
    assert statuses == [404, 404, 404, 429]
