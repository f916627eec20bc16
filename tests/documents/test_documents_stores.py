"""On both vector stores (embedded; Redis with the query engine, as replicas use): a user's
question never reaches another user's chunks, and deletes leave no vectors."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from redis.asyncio import Redis

from lockgate.clock import FakeClock
from lockgate.documents.index import DocumentIndex
from lockgate.providers.base import ChatRequest
from lockgate.state import AppState
from tests.documents.files import pdf
from tests.documents.kit import ask, browser, conversation, documents_app, uploaded
from tests.fixtures.appkit import migrated_sqlite_url

ALICE_PAGE = "Alice's notes: the lighthouse keeper lit the lamp with paraffin oil at dusk."
BOB_PAGE = "Bob's secret: the lighthouse keeper lit the lamp with whale oil at midnight."
QUESTION = "How did the lighthouse keeper light the lamp?"


@pytest.fixture(params=["embedded", "redis"])
async def app(
    request: pytest.FixtureRequest, tmp_path: Path, clock: FakeClock
) -> AsyncIterator[tuple[Any, AppState]]:
    redis_url = request.getfixturevalue("redis_search_url") if request.param == "redis" else None
    url = await migrated_sqlite_url(tmp_path)
    async with documents_app(url, tmp_path, clock, redis_url=redis_url) as pair:
        yield pair


def index_of(state: AppState) -> DocumentIndex:
    assert state.documents is not None
    return state.documents.index


async def everything(index: DocumentIndex, owner: str, cid: str) -> list[Any]:
    return await index.search(
        uuid.UUID(owner), uuid.UUID(cid), QUESTION, k=50, min_similarity=-1.0, now=0.0
    )


async def test_a_question_never_reaches_another_users_chunks(
    app: tuple[Any, AppState], monkeypatch: pytest.MonkeyPatch
) -> None:
    state = app[1]
    prompts: list[str] = []
    provider = state.providers.get("simulated")
    stream_chat = provider.stream_chat

    def tapped(request: ChatRequest) -> Any:
        prompts.append(request.messages[0].content)
        return stream_chat(request)

    monkeypatch.setattr(provider, "stream_chat", tapped)
    async with (
        browser(app[0], "alice@example.com") as alice,
        browser(app[0], "bob@example.com") as bob,
    ):
        bobs = await conversation(bob)
        await uploaded(bob, state, bobs, ("bob.pdf", pdf([BOB_PAGE])))
        alices = await conversation(alice)
        await uploaded(alice, state, alices, ("alice.pdf", pdf([ALICE_PAGE])))
        events = await ask(alice, alices, QUESTION)
    assert "alice.pdf" in events[-1][1]["final"]["content"]
    assert "paraffin" in prompts[-1]
    assert "whale" not in prompts[-1]
    assert "bob.pdf" not in prompts[-1]


async def test_deleting_a_conversation_leaves_no_vectors(app: tuple[Any, AppState]) -> None:
    state = app[1]
    index = index_of(state)
    async with browser(app[0], "alice@example.com") as alice:
        me = (await alice.get("/api/v1/auth/me")).json()["id"]
        kept = await conversation(alice)
        await uploaded(alice, state, kept, ("keep.pdf", pdf([ALICE_PAGE])))
        gone = await conversation(alice)
        await uploaded(alice, state, gone, ("gone.pdf", pdf([ALICE_PAGE, BOB_PAGE])))
        assert len(await everything(index, me, gone)) == 2
        assert (await alice.delete(f"/api/v1/conversations/{gone}")).status_code == 204
    assert await everything(index, me, gone) == []
    assert len(await everything(index, me, kept)) == 1


async def test_deleting_a_document_leaves_no_vectors(app: tuple[Any, AppState]) -> None:
    state = app[1]
    index = index_of(state)
    async with browser(app[0], "alice@example.com") as alice:
        me = (await alice.get("/api/v1/auth/me")).json()["id"]
        cid = await conversation(alice)
        first, _second = await uploaded(
            alice, state, cid, ("a.pdf", pdf([ALICE_PAGE])), ("b.pdf", pdf([BOB_PAGE]))
        )
        assert (await alice.delete(f"/api/v1/documents/{first['id']}")).status_code == 204
    left = await everything(index, me, cid)
    assert len(left) == 1


async def test_vectors_lost_by_the_store_are_indexed_again(
    app: tuple[Any, AppState], request: pytest.FixtureRequest
) -> None:
    """The cache Redis restarted without persistence (or a new embedded file): the check at
    start-up and every few minutes finds the marker gone and embeds every ready document again."""
    state = app[1]
    assert state.documents is not None
    indexer, index = state.documents.indexer, index_of(state)
    assert await indexer.check_store() == 0  # nothing lost: nothing to do
    async with browser(app[0], "alice@example.com") as alice:
        me = (await alice.get("/api/v1/auth/me")).json()["id"]
        cid = await conversation(alice)
        await uploaded(alice, state, cid, ("a.pdf", pdf([ALICE_PAGE])))
        if request.node.callspec.params["app"] == "redis":
            client = Redis.from_url(request.getfixturevalue("redis_search_url"))
            await client.flushall()
            await client.aclose()
        else:
            await index.index.delete_where({})  # every record, the marker too
        assert await everything(index, me, cid) == []
        assert await indexer.check_store() == 1
        listed = (await alice.get(f"/api/v1/conversations/{cid}/documents")).json()["items"]
        assert [d["status"] for d in listed] == ["indexing"]
        await indexer.recover()
        await indexer.idle()
        listed = (await alice.get(f"/api/v1/conversations/{cid}/documents")).json()["items"]
        assert [d["status"] for d in listed] == ["ready"]
    assert len(await everything(index, me, cid)) == 1
    assert await indexer.check_store() == 0
