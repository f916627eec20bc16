"""The fake upstreams every ``/v1`` SDK test module talks to: one of each per module."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.fixtures.fake_anthropic import FakeAnthropic
from tests.fixtures.fake_openai import FakeOpenAI


@pytest.fixture(scope="module")
def upstream() -> Iterator[FakeOpenAI]:
    with FakeOpenAI() as fake:
        yield fake


@pytest.fixture(scope="module")
def claude() -> Iterator[FakeAnthropic]:
    with FakeAnthropic() as fake:
        yield fake
