"""The local upstream server, and providers that are closed when the test ends."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from tests.providers.wire import Closer, Upstream


@pytest.fixture
async def upstream() -> AsyncIterator[Upstream]:
    server = Upstream()
    await server.start()
    yield server
    await server.stop()


@pytest.fixture
async def closing(upstream: Upstream) -> AsyncIterator[Closer]:
    """`closing(provider)` closes `provider` at teardown, before the server stops."""
    closer = Closer()
    yield closer
    await closer.aclose()
