"""GET /api/v1/search/messages: words and meaning fused, owner-only, deletion, bad input.

Every test runs on both vector stores (the embedded file; Redis 8.2 with RediSearch), with the
real local model. Messages are written as an import would; `backfill` waits for the indexer."""

from __future__ import annotations

from sqlalchemy import func, select

from lockgate.models import MessageEmbedding
from lockgate.search.indexer import FOREVER
from tests.fixtures.appkit import PASSWORD
from tests.search.kit import Opener, hits, search_of, user_id_of, write_conversation

TRIP = "We booked a flight to Lisbon for the holidays in May."
BREAD = "The recipe needs two cups of flour and a pinch of salt."
DOG = "My dog keeps barking at the mailman every morning."
VACUUM = "Postgres vacuum reclaims storage occupied by dead tuples."
FLIGHT_WORDS = "Is the flight refundable if I cancel?"


async def test_a_paraphrase_with_no_shared_word_is_found_by_meaning(open_app: Opener) -> None:
    async with open_app() as (client, state):
        await client.register("alice@example.com")
        alice = await user_id_of(state, "alice@example.com")
        cid, ids = await write_conversation(state, alice, "Holidays", [TRIP, BREAD, DOG, VACUUM])
        await search_of(state).indexer.backfill()
        body = await hits(client, "airplane journey to Portugal")
        assert body["meaning"] == "used"
        first = body["items"][0]
        assert (first["message_id"], first["conversation_id"]) == (str(ids[0]), str(cid))
        assert first["matched_by"] == ["meaning"]
        assert first["conversation_title"] == "Holidays"
        assert first["similarity"] >= state.config.file.search.min_similarity
        # Only the trip means that: the others are below the floor.
        assert [h["message_id"] for h in body["items"]] == [str(ids[0])]


async def test_an_exact_word_match_ranks_first_and_is_marked(open_app: Opener) -> None:
    async with open_app() as (client, state):
        await client.register("alice@example.com")
        alice = await user_id_of(state, "alice@example.com")
        _, ids = await write_conversation(state, alice, "Trip", [TRIP, FLIGHT_WORDS, DOG, BREAD])
        await search_of(state).indexer.backfill()
        body = await hits(client, "refundable")
        first = body["items"][0]
        assert first["message_id"] == str(ids[1])
        assert "words" in first["matched_by"]
        marked = [first["snippet"][h["start"] : h["end"]] for h in first["highlights"]]
        assert marked == ["refundable"]


async def test_nonsense_matches_nothing(open_app: Opener) -> None:
    async with open_app() as (client, state):
        await client.register("alice@example.com")
        alice = await user_id_of(state, "alice@example.com")
        await write_conversation(state, alice, "Mixed", [TRIP, BREAD, DOG, VACUUM])
        await search_of(state).indexer.backfill()
        assert (await hits(client, "xqzv blorf"))["items"] == []


async def test_another_users_messages_never_appear(open_app: Opener) -> None:
    async with open_app() as (client, state):
        await client.register("alice@example.com")
        alice = await user_id_of(state, "alice@example.com")
        _, mine = await write_conversation(state, alice, "Mine", [DOG])
        await client.post("/api/v1/auth/logout")
        await client.register("bob@example.com")
        bob = await user_id_of(state, "bob@example.com")
        await write_conversation(state, bob, "Bob's trip to Lisbon", [TRIP, VACUUM])
        await search_of(state).indexer.backfill()
        # Bob's words and Bob's meaning are both there for Bob...
        assert len((await hits(client, "Lisbon flight"))["items"]) >= 1
        await client.post("/api/v1/auth/logout")
        await client.post(
            "/api/v1/auth/login", json={"email": "alice@example.com", "password": PASSWORD}
        )
        # ...and nowhere for Alice, by words or by meaning.
        assert (await hits(client, "Lisbon flight"))["items"] == []
        assert (await hits(client, "airplane journey to Portugal"))["items"] == []
        assert [h["message_id"] for h in (await hits(client, "barking"))["items"]] == [str(mine[0])]


async def test_deleting_a_conversation_deletes_its_vectors(open_app: Opener) -> None:
    async with open_app() as (client, state):
        await client.register("alice@example.com")
        alice = await user_id_of(state, "alice@example.com")
        gone, _ = await write_conversation(state, alice, "Gone", [TRIP, BREAD])
        _, kept_ids = await write_conversation(state, alice, "Kept", [DOG])
        search = search_of(state)
        await search.indexer.backfill()
        deleted = await client.delete(f"/api/v1/conversations/{gone}")
        assert deleted.status_code == 204
        owner = {"owner": str(alice)}
        probe = (await search.embedder.embed([TRIP]))[0]
        left = await search.index.search(probe, tags=owner, k=10, now=state.clock().timestamp())
        assert {m.id.split(":")[0] for m in left} == {str(kept_ids[0])}
        assert (
            await search.index.search(
                probe, tags={"conversation": str(gone)}, k=10, now=state.clock().timestamp()
            )
            == []
        )
        async with state.sessionmaker() as db:
            rows = await db.scalar(select(func.count()).select_from(MessageEmbedding))
        assert rows == 1
        assert (await hits(client, "airplane journey to Portugal"))["items"] == []


async def test_an_archived_conversation_stays_searchable(open_app: Opener) -> None:
    async with open_app() as (client, state):
        await client.register("alice@example.com")
        alice = await user_id_of(state, "alice@example.com")
        cid, _ = await write_conversation(state, alice, "Old trip", [TRIP])
        await search_of(state).indexer.backfill()
        archived = await client.patch(f"/api/v1/conversations/{cid}", json={"archived": True})
        assert archived.status_code == 200
        (hit,) = (await hits(client, "Lisbon"))["items"]
        assert (hit["conversation_id"], hit["archived"]) == (str(cid), True)


async def test_pages_follow_the_fused_order(open_app: Opener) -> None:
    async with open_app() as (client, state):
        await client.register("alice@example.com")
        alice = await user_id_of(state, "alice@example.com")
        texts = [f"Note {i} about the garden roses" for i in range(5)]
        await write_conversation(state, alice, "Garden", texts)
        await search_of(state).indexer.backfill()
        everything = [h["message_id"] for h in (await hits(client, "roses", limit=50))["items"]]
        first = await hits(client, "roses", limit=2)
        second = await hits(client, "roses", limit=2, cursor=first["next_cursor"])
        paged = [h["message_id"] for h in first["items"] + second["items"]]
        assert len(everything) == 5
        assert paged == everything[:4]


async def test_bad_queries_get_stable_errors(open_app: Opener) -> None:
    async with open_app() as (client, _state):
        await client.register("alice@example.com")
        too_long = await client.get("/api/v1/search/messages", params={"q": "x" * 201})
        assert too_long.status_code == 422
        empty = await client.get("/api/v1/search/messages", params={"q": ""})
        assert empty.status_code == 422
        cursor = await client.get("/api/v1/search/messages", params={"q": "a", "cursor": "%%"})
        assert (cursor.status_code, cursor.json()["error"]["code"]) == (400, "invalid_cursor")
        client.cookies.clear()
        anonymous = await client.get("/api/v1/search/messages", params={"q": "a"})
        assert anonymous.status_code == 401


async def test_search_vectors_never_expire(open_app: Opener) -> None:
    """Records are written with FOREVER: the cache's TTL logic never drops a search vector."""
    async with open_app() as (client, state):
        await client.register("alice@example.com")
        alice = await user_id_of(state, "alice@example.com")
        await write_conversation(state, alice, "T", [TRIP])
        search = search_of(state)
        await search.indexer.backfill()
        probe = (await search.embedder.embed([TRIP]))[0]
        later = FOREVER - 1
        found = await search.index.search(probe, tags={"owner": str(alice)}, k=1, now=later)
        assert len(found) == 1
