"""Search with a configured embedding model: every embedding is a paid call through the gate,
billed to the user whose message (or query) it embeds: one usage row of kind ``embedding`` each."""

from __future__ import annotations

from sqlalchemy import select

from lockgate.models import UsageKind, UsageRecord
from lockgate.state import AppState
from tests.search.kit import Opener, hits, search_of, user_id_of, write_conversation


async def embedding_rows(state: AppState) -> list[UsageRecord]:
    await state.usage_writer.flush()
    async with state.sessionmaker() as db:
        found = await db.scalars(select(UsageRecord).where(UsageRecord.kind == UsageKind.EMBEDDING))
        return list(found.all())


async def test_indexing_and_searching_are_paid_by_the_user(open_app: Opener) -> None:
    async with open_app(embedding_model="sim-embed") as (client, state):
        await client.register("alice@example.com")
        alice = await user_id_of(state, "alice@example.com")
        await write_conversation(state, alice, "Trip", ["A flight to Lisbon", "Sounds great"])
        search = search_of(state)
        assert search.indexer.embedder == "simulated/sim-embed"
        await search.indexer.backfill()
        indexed = [r for r in await embedding_rows(state) if r.user_id == alice]
        assert len(indexed) == 1  # both messages in one batch, one call, on Alice's account
        body = await hits(client, "Lisbon")
        assert body["meaning"] == "used"
        assert len([r for r in await embedding_rows(state) if r.user_id == alice]) == 2
