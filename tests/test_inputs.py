"""The shared input types (lockgate/inputs.py) on the endpoints outside keys and usage: a JSON
boolean is not a number, and numbers are bounded."""

from __future__ import annotations

from typing import Any

import pytest

from tests.fixtures.appkit import ApiClient


@pytest.mark.parametrize("hours", [True, 1.5, "24", 0, 10**20])
async def test_invite_lifetime_must_be_a_bounded_integer(
    user_client: ApiClient, hours: Any
) -> None:
    response = await user_client.post("/api/v1/admin/invites", json={"expires_in_hours": hours})
    assert response.status_code == 422, response.text


@pytest.mark.parametrize(
    "field", [{"temperature": False}, {"max_tokens": True}, {"max_tokens": 10**30}]
)
async def test_chat_options_are_strict_numbers(
    user_client: ApiClient, field: dict[str, Any]
) -> None:
    conversation = (await user_client.post("/api/v1/conversations", json={})).json()
    response = await user_client.post(
        f"/api/v1/conversations/{conversation['id']}/messages", json={"content": "hi", **field}
    )
    assert response.status_code == 422, response.text
    assert response.json()["error"]["message"].startswith(next(iter(field)))


@pytest.mark.parametrize("n", [True, 1.5, "2"])
async def test_image_count_is_a_strict_integer(user_client: ApiClient, n: Any) -> None:
    response = await user_client.post("/api/v1/images", json={"prompt": "a cat", "n": n})
    assert response.status_code == 422, response.text
