"""Admin console fixtures: the first account (an admin) and a plain member, on one app."""

from __future__ import annotations

import pytest

from tests.fixtures.appkit import ApiClient


@pytest.fixture
async def admin(client: ApiClient) -> ApiClient:
    """Signed in as the first account, so an admin."""
    await client.register("alice@example.com")
    return client


@pytest.fixture
async def member(admin: ApiClient, other_client: ApiClient) -> ApiClient:
    """Signed in as a second account, a plain user."""
    await other_client.register("bob@example.com")
    return other_client
