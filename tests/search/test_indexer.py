"""The search indexer: fed after a save, bounded, restart-safe, rebuilding a lost or stale index.

On both vector stores, with the real local model. Nothing sleeps: `drain` and `backfill` are the
indexer's own hooks for "everything so far is done"."""

from __future__ import annotations

from pathlib import Path

import pytest
from redis.asyncio import Redis
from sqlalchemy import func, select, update

from lockgate.models import MessageEmbedding
from lockgate.state import AppState
from tests.fixtures.appkit import parse_sse
from tests.search.kit import Opener, hits, search_of, user_id_of, write_conversation

TEXTS = [
    "We booked a flight to Lisbon for the holidays in May.",
    "The recipe needs two cups of flour and a pinch of salt.",
    "My dog keeps barking at the mailman every morning.",
]
PARAPHRASE = "airplane journey to Portugal"


async def rows(state: AppState) -> int:
    async with state.sessionmaker() as db:
        return int(await db.scalar(select(func.count()).select_from(MessageEmbedding)) or 0)


async def lose_store(store: tuple[str, str | None], data_dir: Path) -> None:
    kind, url = store
    if kind == "embedded":
        for path in (data_dir / "search").glob("messages.sqlite3*"):
            path.unlink()
        return
    client = Redis.from_url(url or "")
    try:
        await client.flushall()
    finally:
        await client.aclose()


async def test_a_sent_message_and_its_answer_are_indexed_off_the_request(
    open_app: Opener,
) -> None:
    async with open_app() as (client, state):
        await client.register("alice@example.com")
        cid = (await client.post("/api/v1/conversations", json={})).json()["id"]
        sent = await client.post(
            f"/api/v1/conversations/{cid}/messages",
            json={"content": "Our flight to Lisbon is in May"},
        )
        assert sent.status_code == 200, sent.text
        first = parse_sse(sent.text)[0][1]
        question = first["user_message"]["id"]
        await state.chat.wait_idle(10)
        await search_of(state).indexer.drain()
        assert await rows(state) == 2  # the question and the answer, without any sweep
        body = await hits(client, PARAPHRASE)
        assert body["items"][0]["message_id"] == question
        assert body["items"][0]["conversation_id"] == cid


async def test_a_restart_does_not_embed_again_what_was_indexed(open_app: Opener) -> None:
    async with open_app() as (client, state):
        await client.register("alice@example.com")
        alice = await user_id_of(state, "alice@example.com")
        _, ids = await write_conversation(state, alice, "Mixed", TEXTS)
        await search_of(state).indexer.backfill()  # a backfill: nobody fed the indexer
        assert search_of(state).indexer.stats.indexed == 3
    async with open_app() as (client, state):
        await client.post(
            "/api/v1/auth/login",
            json={"email": "alice@example.com", "password": "correct horse battery staple"},
        )
        await search_of(state).indexer.backfill()
        assert search_of(state).indexer.stats.indexed == 0
        assert (await hits(client, PARAPHRASE))["items"][0]["message_id"] == str(ids[0])


async def test_a_lost_store_is_rebuilt_at_start_up(
    open_app: Opener, store: tuple[str, str | None], tmp_path: Path
) -> None:
    async with open_app() as (client, state):
        await client.register("alice@example.com")
        alice = await user_id_of(state, "alice@example.com")
        _, ids = await write_conversation(state, alice, "Mixed", TEXTS)
        await search_of(state).indexer.backfill()
    await lose_store(store, tmp_path)
    async with open_app() as (client, state):
        await client.post(
            "/api/v1/auth/login",
            json={"email": "alice@example.com", "password": "correct horse battery staple"},
        )
        await search_of(state).indexer.backfill()
        assert search_of(state).indexer.stats.indexed == 3
        assert (await hits(client, PARAPHRASE))["items"][0]["message_id"] == str(ids[0])


async def test_a_store_lost_while_running_is_rebuilt_by_the_next_sweep(
    open_app: Opener, store: tuple[str, str | None], tmp_path: Path
) -> None:
    if store[0] != "redis":
        pytest.skip("only a server can lose the vectors under a running process")
    async with open_app() as (client, state):
        await client.register("alice@example.com")
        alice = await user_id_of(state, "alice@example.com")
        _, ids = await write_conversation(state, alice, "Mixed", TEXTS)
        await search_of(state).indexer.backfill()
        await lose_store(store, tmp_path)  # the cache Redis restarted without persistence
        assert (await hits(client, PARAPHRASE))["items"] == []
        await search_of(state).indexer.backfill()
        assert search_of(state).indexer.stats.indexed == 6
        assert (await hits(client, PARAPHRASE))["items"][0]["message_id"] == str(ids[0])


async def test_rows_of_another_embedder_are_stale_and_indexed_again(open_app: Opener) -> None:
    async with open_app() as (client, state):
        await client.register("alice@example.com")
        alice = await user_id_of(state, "alice@example.com")
        await write_conversation(state, alice, "Mixed", TEXTS)
        await search_of(state).indexer.backfill()
        async with state.sessionmaker() as db:
            await db.execute(update(MessageEmbedding).values(embedder="an-older-model"))
            await db.commit()
    async with open_app() as (_client, state):
        await search_of(state).indexer.backfill()
        assert search_of(state).indexer.stats.indexed == 3
        async with state.sessionmaker() as db:
            names = set((await db.scalars(select(MessageEmbedding.embedder))).all())
        assert names == {search_of(state).indexer.embedder}


async def test_a_full_queue_drops_ids_and_the_sweep_catches_up(open_app: Opener) -> None:
    async with open_app(queue_size=1) as (client, state):
        await client.register("alice@example.com")
        alice = await user_id_of(state, "alice@example.com")
        indexer = search_of(state).indexer
        await indexer.drain()  # the start-up sweep (nothing yet)
        _, ids = await write_conversation(state, alice, "Mixed", TEXTS)
        for message_id in ids:
            indexer.saved(message_id)
        assert indexer.stats.dropped == 2
        await indexer.drain()
        assert await rows(state) == 1
        await indexer.backfill()
        assert await rows(state) == 3


async def test_reindex_on_demand_rebuilds_the_users_vectors(open_app: Opener) -> None:
    async with open_app() as (client, state):
        await client.register("alice@example.com")
        alice = await user_id_of(state, "alice@example.com")
        _, ids = await write_conversation(state, alice, "Mixed", TEXTS)
        indexer = search_of(state).indexer
        await indexer.backfill()
        response = await client.post("/api/v1/search/reindex")
        assert (response.status_code, response.json()) == (202, {"queued": True})
        await indexer.drain()
        assert indexer.stats.indexed == 6
        assert await rows(state) == 3
        assert (await hits(client, PARAPHRASE))["items"][0]["message_id"] == str(ids[0])
