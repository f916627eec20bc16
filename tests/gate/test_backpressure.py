"""Backpressure lanes: the same behaviour from the memory and the Redis backend, then replicas.

Time is a `FakeTime`: ``sleep`` blocks until the test moves time past its deadline, so waits and
timeouts happen exactly when the test says, without real waiting.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable

import pytest
from redis.asyncio import Redis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff

from lockgate.clock import FakeClock
from lockgate.gate.backpressure import (
    BackpressureManager,
    BackpressureUnavailable,
    LaneConfig,
    LaneSnapshot,
    MemoryBackpressure,
    Monotonic,
    Overloaded,
    Sleep,
)
from lockgate.gate.backpressure.redis import RedisBackpressure
from tests.fixtures.fake_time import FakeTime, until
from tests.fixtures.redis import RedisServer

LANE = LaneConfig(max_concurrent=1, max_queue=1, max_wait_seconds=5)
MakeManager = Callable[..., BackpressureManager]


def redis_client(url: str) -> Redis:
    return Redis.from_url(url, retry=Retry(NoBackoff(), 1), socket_connect_timeout=2)


@pytest.fixture
async def clients(redis_url: str) -> AsyncIterator[list[Redis]]:
    """Three independent clients, as three replicas would hold."""
    made = [redis_client(redis_url) for _ in range(3)]
    yield made
    for client in made:
        await client.aclose()


@pytest.fixture
def fake_time() -> FakeTime:
    return FakeTime()


@pytest.fixture(params=["memory", "redis"])
def make_manager(
    request: pytest.FixtureRequest, fake_time: FakeTime, clock: FakeClock
) -> MakeManager:
    """Each call is one replica; in memory every "replica" is the same process-wide manager."""
    clients: list[Redis] = request.getfixturevalue("clients") if request.param == "redis" else []
    made: list[BackpressureManager] = []

    def make(
        lane: LaneConfig = LANE, sleep: Sleep | None = None, monotonic: Monotonic | None = None
    ) -> BackpressureManager:
        sleep, monotonic = sleep or fake_time.sleep, monotonic or fake_time.monotonic
        if request.param == "memory":
            if not made:
                made.append(MemoryBackpressure({"openai": lane}, sleep=sleep, monotonic=monotonic))
            return made[0]
        client = clients[len(made) % len(clients)]
        made.append(
            RedisBackpressure(
                client, {"openai": lane}, clock=clock, sleep=sleep, monotonic=monotonic
            )
        )
        return made[-1]

    return make


async def queued(manager: BackpressureManager, count: int) -> None:
    async def check() -> bool:
        return (await manager.snapshot("openai")).queued == count

    await until(check)


async def test_max_concurrent_holds_across_replicas_under_load(make_manager: MakeManager) -> None:
    async def spin(seconds: float) -> None:
        """Redis polls spin on the loop; the memory lane's max-wait timer really waits (and is
        cancelled when the slot arrives)."""
        await asyncio.sleep(0 if seconds < 1 else seconds)

    lane = LaneConfig(max_concurrent=4, max_queue=100, max_wait_seconds=60)
    replicas = [
        make_manager(lane, sleep=spin, monotonic=asyncio.get_running_loop().time) for _ in range(3)
    ]
    in_flight = peak = done = 0

    async def work(manager: BackpressureManager) -> None:
        nonlocal in_flight, peak, done
        async with manager.slot("openai"):
            in_flight += 1
            peak = max(peak, in_flight)
            await asyncio.sleep(0.002)
            in_flight -= 1
            done += 1

    await asyncio.gather(*(work(replicas[i % 3]) for i in range(100)))
    assert (peak, done) == (4, 100)


async def test_full_queue_overloads_at_once(make_manager: MakeManager) -> None:
    manager = make_manager()
    holder = await manager.acquire("openai")
    waiter = asyncio.create_task(manager.acquire("openai"))
    await queued(manager, 1)
    with pytest.raises(Overloaded) as refused:
        await manager.acquire("openai")
    assert (refused.value.reason, refused.value.retry_after) == ("queue_full", 5.0)
    await manager.release(holder)
    await manager.release(await waiter)


async def test_no_queue_overloads_at_once(make_manager: MakeManager) -> None:
    manager = make_manager(LaneConfig(max_concurrent=1, max_queue=0, max_wait_seconds=5))
    await manager.acquire("openai")
    with pytest.raises(Overloaded, match="queue_full"):
        await manager.acquire("openai")


async def test_wait_longer_than_max_wait_overloads(
    make_manager: MakeManager, fake_time: FakeTime
) -> None:
    manager = make_manager()
    await manager.acquire("openai")
    waiter = asyncio.create_task(manager.acquire("openai"))
    await queued(manager, 1)
    await until(lambda: bool(fake_time.sleepers))
    fake_time.advance(4.9)
    await asyncio.sleep(0.01)
    assert not waiter.done()
    fake_time.advance(0.1)
    with pytest.raises(Overloaded) as refused:
        await asyncio.wait_for(waiter, 5)
    assert refused.value.reason == "wait_timeout"
    assert (await manager.snapshot("openai")).queued == 0


async def test_a_waiter_gets_the_slot_when_it_is_released(make_manager: MakeManager) -> None:
    manager = make_manager()
    holder = await manager.acquire("openai")
    waiter = asyncio.create_task(manager.acquire("openai"))
    await queued(manager, 1)
    await manager.release(holder)
    lease = await asyncio.wait_for(waiter, 5)
    assert await manager.snapshot("openai") == LaneSnapshot("openai", 1, 0, 1, 1)
    assert lease.name == "openai"


async def test_slot_is_released_when_the_block_raises(make_manager: MakeManager) -> None:
    manager = make_manager()
    with pytest.raises(RuntimeError, match="provider exploded"):
        async with manager.slot("openai"):
            raise RuntimeError("provider exploded")
    assert (await manager.snapshot("openai")).in_flight == 0


async def test_slot_is_released_when_the_task_is_cancelled(make_manager: MakeManager) -> None:
    manager = make_manager()
    entered = asyncio.Event()

    async def stream() -> None:
        async with manager.slot("openai"):
            entered.set()
            await asyncio.Event().wait()

    task = asyncio.create_task(stream())
    await entered.wait()
    task.cancel()
    await asyncio.wait([task])
    assert (await manager.snapshot("openai")).in_flight == 0


async def test_cancelled_waiter_leaves_the_queue(make_manager: MakeManager) -> None:
    manager = make_manager()
    holder = await manager.acquire("openai")
    waiter = asyncio.create_task(manager.acquire("openai"))
    await queued(manager, 1)
    waiter.cancel()
    await asyncio.wait([waiter])
    await manager.release(holder)
    assert await manager.snapshot("openai") == LaneSnapshot("openai", 0, 0, 1, 1)


async def test_snapshot_counts_in_flight_and_queued(make_manager: MakeManager) -> None:
    manager = make_manager(LaneConfig(max_concurrent=2, max_queue=5, max_wait_seconds=5))
    for _ in range(2):
        await manager.acquire("openai")
    waiters = [asyncio.create_task(manager.acquire("openai")) for _ in range(3)]
    await queued(manager, 3)
    assert await manager.snapshot("openai") == LaneSnapshot("openai", 2, 3, 2, 5)
    for waiter in waiters:
        waiter.cancel()
    await asyncio.wait(waiters)


async def test_refresher_reports_until_closed(
    make_manager: MakeManager, fake_time: FakeTime
) -> None:
    manager = make_manager()
    reports: list[list[LaneSnapshot]] = []
    task = manager.start_refresher(interval=15.0, on_refresh=reports.append)
    await until(lambda: len(reports) == 1)
    await until(lambda: bool(fake_time.sleepers))
    fake_time.advance(15)
    await until(lambda: len(reports) == 2)
    await manager.aclose()
    fake_time.advance(15)
    await asyncio.sleep(0.01)
    assert (len(reports), task.done(), fake_time.naps) == (2, True, [15.0, 15.0])
    assert reports[0] == [LaneSnapshot("openai", 0, 0, 1, 1)]


async def test_refresher_stops_when_a_library_swallows_its_cancel(
    make_manager: MakeManager, fake_time: FakeTime
) -> None:
    """redis-py's timeouts can swallow a CancelledError on 3.11: aclose() must still stop the
    loop at once, not after one more interval (a shutdown stalled 15 s on it)."""
    manager = make_manager()
    entered = asyncio.Event()

    async def swallowing(_snapshots: list[LaneSnapshot]) -> None:
        entered.set()
        with contextlib.suppress(asyncio.CancelledError):  # what the library below did
            await asyncio.Event().wait()

    task = manager.start_refresher(interval=15.0, on_refresh=swallowing)
    await entered.wait()
    await asyncio.wait_for(manager.aclose(), timeout=10)  # a guard: it used to wait forever
    assert (task.done(), fake_time.naps) == (True, [])


async def test_unknown_lane_without_default_is_an_error() -> None:
    manager = MemoryBackpressure({"openai": LANE})
    with pytest.raises(KeyError, match="anthropic"):
        await manager.acquire("anthropic")


async def test_default_lane_covers_unlisted_names() -> None:
    manager = MemoryBackpressure({}, default=LANE)
    async with manager.slot("anthropic") as lease:
        assert [s.in_flight for s in await manager.refresh_gauges()] == [1]
    assert lease.waited == 0.0


# Redis: replicas share one lane.


def replicas(
    clients: list[Redis], clock: FakeClock, time: FakeTime, lane: LaneConfig = LANE
) -> list[RedisBackpressure]:
    return [
        RedisBackpressure(
            c, {"openai": lane}, clock=clock, sleep=time.sleep, monotonic=time.monotonic
        )
        for c in clients
    ]


async def test_queue_bound_is_global(
    clients: list[Redis], clock: FakeClock, fake_time: FakeTime
) -> None:
    one, two, three = replicas(clients, clock, fake_time)
    await one.acquire("openai")
    waiter = asyncio.create_task(two.acquire("openai"))
    await queued(three, 1)
    with pytest.raises(Overloaded, match="queue_full"):
        await three.acquire("openai")
    waiter.cancel()
    await asyncio.wait([waiter])


async def test_waiter_on_another_replica_polls_for_a_freed_slot(
    clients: list[Redis], clock: FakeClock, fake_time: FakeTime
) -> None:
    one, two, _ = replicas(clients, clock, fake_time)
    holder = await one.acquire("openai")
    waiter = asyncio.create_task(two.acquire("openai"))
    await queued(one, 1)
    await one.release(holder)
    await until(lambda: bool(fake_time.sleepers))
    fake_time.advance(0.02)
    lease = await asyncio.wait_for(waiter, 5)
    assert fake_time.naps == [0.02]
    assert lease.waited == pytest.approx(0.02)


async def test_leases_of_a_dead_replica_expire(
    clients: list[Redis], clock: FakeClock, fake_time: FakeTime
) -> None:
    dead, alive, _ = replicas(clients, clock, fake_time)
    await dead.acquire("openai")  # never released
    clock.advance(seconds=LANE.lease_seconds)
    lease = await alive.acquire("openai")
    assert (lease.waited, (await alive.snapshot("openai")).in_flight) == (0.0, 1)


async def test_extend_keeps_a_long_call_alive(
    clients: list[Redis], clock: FakeClock, fake_time: FakeTime
) -> None:
    no_queue = LaneConfig(max_concurrent=1, max_queue=0, max_wait_seconds=5)
    one, two, _ = replicas(clients, clock, fake_time, no_queue)
    lease = await one.acquire("openai")
    clock.advance(seconds=100)
    assert await one.extend(lease)
    clock.advance(seconds=100)
    with pytest.raises(Overloaded):
        await two.acquire("openai")
    clock.advance(seconds=20)
    assert not await one.extend(lease)


async def test_redis_down_raises_backpressure_unavailable(
    clients: list[Redis], redis_server: RedisServer, clock: FakeClock, fake_time: FakeTime
) -> None:
    manager = replicas(clients, clock, fake_time)[0]
    redis_server.pause()
    try:
        with pytest.raises(BackpressureUnavailable):
            await manager.acquire("openai")
        with pytest.raises(BackpressureUnavailable):
            await manager.snapshot("openai")
    finally:
        redis_server.resume()
