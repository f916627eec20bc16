"""The per-process key cache: entries expire, a revocation drops them at once, and a key
that was cached stops working the moment it is revoked (across replicas: test_replicas.py)."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime

from lockgate.keys.cache import KeyCache, KeyInfo
from lockgate.state import AppState
from tests.fixtures.appkit import ApiClient


def info(key_id: uuid.UUID | None = None) -> KeyInfo:
    return KeyInfo(
        id=key_id or uuid.uuid4(),
        user_id=uuid.uuid4(),
        rpm=None,
        tpm=None,
        allowed_models=None,
        expires_at=None,
        revoked_at=None,
        last_used_at=None,
        user_active=True,
    )


class Ticks:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_entries_expire_after_the_ttl() -> None:
    ticks = Ticks()
    cache = KeyCache(10, monotonic=ticks)
    entry = info()
    cache.put("h", entry)
    ticks.now += 9.99
    assert cache.get("h") == entry
    ticks.now += 0.01
    assert cache.get("h") is None


def test_a_zero_ttl_disables_the_cache() -> None:
    cache = KeyCache(0)
    cache.put("h", info())
    assert cache.get("h") is None


def test_drop_removes_a_key_by_id_and_stamp_keeps_expiry() -> None:
    ticks = Ticks()
    cache = KeyCache(10, monotonic=ticks)
    kept, dropped = info(), info()
    cache.put("a", kept)
    cache.put("b", dropped)
    cache.drop(dropped.id)
    assert (cache.get("a"), cache.get("b")) == (kept, None)
    when = datetime(2026, 1, 1, tzinfo=UTC)
    cache.stamp("a", when)
    stamped = cache.get("a")
    assert stamped is not None
    assert stamped.last_used_at == when
    ticks.now += 10
    assert cache.get("a") is None


async def test_a_cached_key_stops_working_when_revoked(client: ApiClient, state: AppState) -> None:
    await client.register("cached@example.com")
    key = (await client.post("/api/v1/keys", json={"name": "k"})).json()
    headers = {"Authorization": f"Bearer {key['key']}"}
    assert (await client.get("/v1/models", headers=headers)).status_code == 200
    assert len(state.key_cache._entries) == 1  # resolved once, cached
    assert (await client.delete(f"/api/v1/keys/{key['id']}")).status_code == 200
    refused = await client.get("/v1/models", headers=headers)
    assert refused.status_code == 401
    assert refused.json()["error"]["code"] == "revoked_api_key"


async def test_concurrent_misses_load_once() -> None:
    cache = KeyCache(10)
    entry = info()
    release = asyncio.Event()
    calls = 0

    async def loader() -> KeyInfo:
        nonlocal calls
        calls += 1
        await release.wait()
        return entry

    waiting = [asyncio.create_task(cache.load("h", loader)) for _ in range(20)]
    await asyncio.sleep(0)  # every task reaches the cache before the load finishes
    release.set()
    assert await asyncio.gather(*waiting) == [entry] * 20
    assert calls == 1
    assert await cache.load("h", loader) == entry  # cached now
    assert calls == 1


async def test_a_failed_load_fails_every_waiter_and_is_retried() -> None:
    cache = KeyCache(10)
    release = asyncio.Event()
    outcomes: list[KeyInfo | None] = [None]

    async def failing() -> KeyInfo | None:
        await release.wait()
        raise ConnectionError("database away")

    waiting = [asyncio.create_task(cache.load("h", failing)) for _ in range(3)]
    await asyncio.sleep(0)
    release.set()
    results = await asyncio.gather(*waiting, return_exceptions=True)
    assert all(isinstance(r, ConnectionError) for r in results)

    async def unknown() -> KeyInfo | None:
        return outcomes[0]

    assert await cache.load("h", unknown) is None  # tried again, and not cached as missing
    assert cache.get("h") is None
