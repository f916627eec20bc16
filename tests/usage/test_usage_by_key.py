"""My usage by API key, and what the response cache saved: a real cache hit through the official
SDK shows in the report (its key's row, the model's row and the totals) at $0 with its saving."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from decimal import Decimal
from pathlib import Path

import pytest

from lockgate.clock import FakeClock
from lockgate.models import UsageOutcome
from tests.cache.kit import CacheWorld, ask, open_world, spent


@pytest.fixture
async def world(
    tmp_path: Path, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[CacheWorld]:
    async with AsyncExitStack() as stack:
        yield await open_world(stack, tmp_path, clock, monkeypatch)


async def test_spend_and_cache_savings_per_key(world: CacheWorld) -> None:
    alice = await world.tenant("alice@example.com")
    response = await alice.web.post("/api/v1/keys", json={"name": "second"})
    second = response.json()["id"]
    await alice.sdk.chat.completions.create(**ask())  # a miss: paid
    await alice.sdk.chat.completions.create(**ask())  # the same again: a hit, $0
    await world.chat(alice.web)  # the web app's own call, no key
    rows = await world.ledger()
    paid = [r for r in rows if r.api_key_id is not None and r.outcome == UsageOutcome.OK]
    hits = [r for r in rows if r.outcome == UsageOutcome.CACHE_HIT]
    web = [r for r in rows if r.api_key_id is None]
    assert (len(paid), len(hits), len(web)) == (1, 1, 1)

    report = (await alice.web.get("/api/v1/usage")).json()
    keys = {k["name"]: k for k in report["keys"]}
    assert set(keys) == {"k", None}  # "second" has no usage, the web app has
    assert (keys["k"]["requests"], keys["k"]["cache_hits"]) == (2, 1)
    assert Decimal(keys["k"]["cost_usd"]) == paid[0].cost_usd
    assert Decimal(keys["k"]["saved_usd"]) == hits[0].saved_usd == paid[0].cost_usd
    assert keys["k"]["prefix"].startswith("lg-")
    assert keys[None]["key_id"] is None
    assert Decimal(keys[None]["cost_usd"]) == spent(web)
    assert (report["cache_hits"], Decimal(report["saved_usd"])) == (1, paid[0].cost_usd)
    assert Decimal(report["total_cost_usd"]) == spent(rows)
    model = next(r for r in report["rows"] if r["cache_hits"])
    assert Decimal(model["saved_usd"]) == paid[0].cost_usd
    assert second not in {k["key_id"] for k in report["keys"]}


async def test_another_users_keys_are_not_in_my_report(world: CacheWorld) -> None:
    alice = await world.tenant("alice@example.com")
    bob = await world.tenant("bob@example.com")
    await bob.sdk.chat.completions.create(**ask())
    assert (await alice.web.get("/api/v1/usage")).json()["keys"] == []
    everyone = (await alice.web.get("/api/v1/usage", params={"scope": "all"})).json()["keys"]
    assert [(k["name"], k["user_email"]) for k in everyone] == [("k", "bob@example.com")]
