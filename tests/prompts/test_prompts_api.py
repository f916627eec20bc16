"""The prompt library over HTTP: CRUD, order, validation, the cap, ownership."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from lockgate.clock import FakeClock
from lockgate.prompts.schemas import PromptCreate
from lockgate.prompts.service import MAX_PROMPTS_PER_USER, PromptLimitReached, PromptService
from lockgate.state import AppState
from tests.fixtures.appkit import ApiClient

BASE = "/api/v1/prompts"


async def create(client: ApiClient, title: str, content: str = "Summarise this:") -> dict[str, Any]:
    response = await client.post(BASE, json={"title": title, "content": content})
    assert response.status_code == 201, response.text
    data: dict[str, Any] = response.json()
    return data


async def test_create_then_list(user_client: ApiClient) -> None:
    created = await create(user_client, "  Summarise  ", "Summarise in three bullets:\n")
    assert (created["title"], created["content"]) == ("Summarise", "Summarise in three bullets:\n")
    listed = (await user_client.get(BASE)).json()
    assert listed["items"] == [created]
    assert listed["limit"] == MAX_PROMPTS_PER_USER


async def test_list_is_ordered_by_title_ignoring_case(user_client: ApiClient) -> None:
    for title in ("zebra", "Apple", "mango"):
        await create(user_client, title)
    titles = [p["title"] for p in (await user_client.get(BASE)).json()["items"]]
    assert titles == ["Apple", "mango", "zebra"]


async def test_update_changes_only_the_given_fields(
    user_client: ApiClient, clock: FakeClock
) -> None:
    created = await create(user_client, "Translate", "Translate to French:")
    clock.advance(seconds=5)
    response = await user_client.patch(f"{BASE}/{created['id']}", json={"content": "To German:"})
    assert response.status_code == 200
    updated = response.json()
    assert (updated["title"], updated["content"]) == ("Translate", "To German:")
    assert updated["updated_at"] > created["updated_at"]


async def test_delete_removes_it(user_client: ApiClient) -> None:
    created = await create(user_client, "bye")
    assert (await user_client.delete(f"{BASE}/{created['id']}")).status_code == 204
    assert (await user_client.get(BASE)).json()["items"] == []
    again = await user_client.delete(f"{BASE}/{created['id']}")
    assert again.status_code == 404
    assert again.json()["error"]["code"] == "not_found"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"title": "   ", "content": "x"}, "title"),
        ({"title": "t" * 101, "content": "x"}, "title"),
        ({"title": "ok", "content": ""}, "content"),
        ({"title": "ok", "content": " \n\t "}, "content"),
        ({"title": "ok", "content": "x" * 20_001}, "content"),
        ({"title": "ok"}, "content"),
        ({"title": "ok", "content": "x", "colour": "red"}, "colour"),
    ],
)
async def test_invalid_bodies_are_422(
    user_client: ApiClient, body: dict[str, str], field: str
) -> None:
    response = await user_client.post(BASE, json=body)
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "validation_error"
    assert field in error["message"]


async def test_update_with_a_blank_title_is_422_and_changes_nothing(
    user_client: ApiClient,
) -> None:
    created = await create(user_client, "keep")
    response = await user_client.patch(f"{BASE}/{created['id']}", json={"title": ""})
    assert response.status_code == 422
    assert (await user_client.get(BASE)).json()["items"][0]["title"] == "keep"


async def test_invalid_id_is_422(user_client: ApiClient) -> None:
    assert (await user_client.patch(f"{BASE}/not-a-uuid", json={})).status_code == 422


async def test_requires_sign_in(client: ApiClient) -> None:
    response = await client.get(BASE)
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "not_authenticated"


async def test_the_cap_refuses_one_more_with_a_stable_code(
    state: AppState, user_client: ApiClient
) -> None:
    """Filled to the cap over HTTP (the real limit), then one more is a 409 and nothing is saved."""
    me = (await user_client.get("/api/v1/auth/me")).json()
    async with state.sessionmaker() as db:
        service = PromptService(db, state.clock)
        for i in range(MAX_PROMPTS_PER_USER - 1):
            await service.create(uuid.UUID(me["id"]), PromptCreate(title=f"p{i}", content="x"))
        await db.commit()
    await create(user_client, "the last one that fits")
    response = await user_client.post(BASE, json={"title": "one too many", "content": "x"})
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "prompt_limit_reached"
    assert len((await user_client.get(BASE)).json()["items"]) == MAX_PROMPTS_PER_USER


def test_the_default_cap_is_stated_in_the_message() -> None:
    assert str(MAX_PROMPTS_PER_USER) in PromptLimitReached().message


class TestOwnership:
    """Another user's prompt is a 404 for every verb, invisible, and left untouched."""

    async def _alice_prompt(self, alice: ApiClient, mallory: ApiClient) -> str:
        created = await create(alice, "alice's secret", "private text")
        await mallory.register("mallory@example.com")
        return str(created["id"])

    async def test_not_listed(self, user_client: ApiClient, other_client: ApiClient) -> None:
        await self._alice_prompt(user_client, other_client)
        assert (await other_client.get(BASE)).json()["items"] == []

    async def test_update_is_404(self, user_client: ApiClient, other_client: ApiClient) -> None:
        pid = await self._alice_prompt(user_client, other_client)
        response = await other_client.patch(f"{BASE}/{pid}", json={"title": "mine now"})
        assert response.status_code == 404
        assert response.json()["error"]["code"] == "not_found"
        assert (await user_client.get(BASE)).json()["items"][0]["title"] == "alice's secret"

    async def test_delete_is_404(self, user_client: ApiClient, other_client: ApiClient) -> None:
        pid = await self._alice_prompt(user_client, other_client)
        assert (await other_client.delete(f"{BASE}/{pid}")).status_code == 404
        assert len((await user_client.get(BASE)).json()["items"]) == 1
