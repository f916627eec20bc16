"""The janitor's loops stop when cancelled, even when the job below swallowed the cancel
(redis-py's timeouts can on Python 3.11): a shutdown must not wait one more interval."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import Collection

import pytest
from sqlalchemy.ext.asyncio import async_sessionmaker

from lockgate.chat.leases import LocalLeases, ReplyJanitor
from lockgate.clock import FakeClock
from tests.fixtures.fake_time import FakeTime, until


class SwallowingLeases(LocalLeases):
    def __init__(self) -> None:
        super().__init__()
        self.entered = asyncio.Event()

    async def renew(self, message_ids: Collection[uuid.UUID]) -> None:
        self.entered.set()
        with contextlib.suppress(asyncio.CancelledError):  # what the library below did
            await asyncio.Event().wait()


class NoReplies:
    def live_ids(self) -> list[uuid.UUID]:
        return []


async def test_the_janitor_stops_when_a_renewal_swallowed_its_cancel(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    fake_time = FakeTime()
    leases = SwallowingLeases()
    janitor = ReplyJanitor(
        NoReplies(),
        leases,
        async_sessionmaker(),
        FakeClock(),
        ttl=3.0,
        interval=60.0,
        sleep=fake_time.sleep,
    )

    async def nothing_to_reap() -> int:
        return 0

    monkeypatch.setattr(janitor, "reap", nothing_to_reap)  # the database is not the point here
    await janitor.start()
    await until(lambda: len(fake_time.sleepers) == 2)
    fake_time.advance(1.0)  # the heartbeat (every ttl / 3) renews, and hangs there
    await leases.entered.wait()
    await asyncio.wait_for(janitor.aclose(), timeout=10)  # a guard: it used to wait forever
    assert fake_time.naps == [1.0, 60.0]
