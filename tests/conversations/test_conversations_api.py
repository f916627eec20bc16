"""Conversations over HTTP: CRUD, pagination, search, ownership, bad titles."""

from __future__ import annotations

import pytest

from lockgate.clock import FakeClock
from tests.fixtures.appkit import ApiClient


async def create(client: ApiClient, title: str | None = None, **extra: str) -> dict[str, str]:
    body = {"title": title, **extra} if title is not None else extra
    response = await client.post("/api/v1/conversations", json=body)
    assert response.status_code == 201, response.text
    data: dict[str, str] = response.json()
    return data


async def test_create_and_get_with_no_messages(user_client: ApiClient) -> None:
    created = await create(user_client, "Trip plans", system_prompt="Be brief.")
    response = await user_client.get(f"/api/v1/conversations/{created['id']}")
    assert response.status_code == 200
    body = response.json()
    assert (body["title"], body["system_prompt"]) == ("Trip plans", "Be brief.")
    assert body["messages"] == {"items": [], "next_cursor": None}


async def test_list_is_newest_first_with_cursor_pages(
    user_client: ApiClient, clock: FakeClock
) -> None:
    ids = []
    for i in range(5):
        clock.advance(seconds=1)
        ids.append((await create(user_client, f"c{i}"))["id"])
    seen: list[str] = []
    cursor = None
    while True:
        params = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        page = (await user_client.get("/api/v1/conversations", params=params)).json()
        seen += [c["id"] for c in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == list(reversed(ids))


async def test_rename_moves_the_conversation_to_the_top(
    user_client: ApiClient, clock: FakeClock
) -> None:
    first = await create(user_client, "first")
    clock.advance(seconds=1)
    await create(user_client, "second")
    clock.advance(seconds=1)
    renamed = await user_client.patch(
        f"/api/v1/conversations/{first['id']}", json={"title": "  renamed  "}
    )
    assert renamed.json()["title"] == "renamed"
    items = (await user_client.get("/api/v1/conversations")).json()["items"]
    assert [c["title"] for c in items] == ["renamed", "second"]


async def test_set_system_prompt_keeps_the_title(user_client: ApiClient) -> None:
    created = await create(user_client, "keep me")
    response = await user_client.patch(
        f"/api/v1/conversations/{created['id']}", json={"system_prompt": "You are a pirate."}
    )
    assert response.status_code == 200
    assert response.json()["title"] == "keep me"
    assert response.json()["system_prompt"] == "You are a pirate."


async def test_delete_removes_it(user_client: ApiClient) -> None:
    created = await create(user_client, "bye")
    assert (await user_client.delete(f"/api/v1/conversations/{created['id']}")).status_code == 204
    assert (await user_client.get(f"/api/v1/conversations/{created['id']}")).status_code == 404


async def test_search_matches_titles_case_insensitively_and_literally(
    user_client: ApiClient,
) -> None:
    await create(user_client, "Quarterly Report")
    await create(user_client, "100% sure")
    await create(user_client, "groceries")
    found = (await user_client.get("/api/v1/conversations", params={"q": "report"})).json()
    assert [c["title"] for c in found["items"]] == ["Quarterly Report"]
    percent = (await user_client.get("/api/v1/conversations", params={"q": "%"})).json()
    assert [c["title"] for c in percent["items"]] == ["100% sure"]


@pytest.mark.parametrize(
    "title",
    [
        "She said \"hi\" and 'bye'",
        "Robert'); DROP TABLE conversations;--",
        "1' OR '1'='1",
        "emoji 🎉🧪👩‍💻 and 中文",
        "<script>alert(1)</script>",
    ],
)
async def test_unusual_titles_are_stored_verbatim(user_client: ApiClient, title: str) -> None:
    created = await create(user_client, title)
    fetched = (await user_client.get(f"/api/v1/conversations/{created['id']}")).json()
    assert fetched["title"] == title
    assert len((await user_client.get("/api/v1/conversations")).json()["items"]) == 1


async def test_ten_thousand_character_title_is_422_and_changes_nothing(
    user_client: ApiClient,
) -> None:
    created = await create(user_client, "original")
    response = await user_client.patch(
        f"/api/v1/conversations/{created['id']}", json={"title": "x" * 10_000}
    )
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "validation_error"
    assert "title" in response.json()["error"]["message"]
    fetched = (await user_client.get(f"/api/v1/conversations/{created['id']}")).json()
    assert fetched["title"] == "original"


async def test_blank_title_is_422(user_client: ApiClient) -> None:
    response = await user_client.post("/api/v1/conversations", json={"title": "   "})
    assert response.status_code == 422


async def test_unknown_field_is_422(user_client: ApiClient) -> None:
    response = await user_client.post("/api/v1/conversations", json={"titel": "typo"})
    assert response.status_code == 422
    assert "titel" in response.json()["error"]["message"]


async def test_invalid_cursor_is_400(user_client: ApiClient) -> None:
    response = await user_client.get("/api/v1/conversations", params={"cursor": "garbage!!"})
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_cursor"


async def test_invalid_id_is_422(user_client: ApiClient) -> None:
    response = await user_client.get("/api/v1/conversations/not-a-uuid")
    assert response.status_code == 422


async def test_requires_sign_in(client: ApiClient) -> None:
    response = await client.get("/api/v1/conversations")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "not_authenticated"


class TestOwnership:
    """Another user's conversation is a 404 for every verb, and is left untouched."""

    async def _setup(self, client: ApiClient, other: ApiClient) -> str:
        await client.register("alice@example.com")
        await other.register("mallory@example.com")
        return (await create(client, "alice's secret", system_prompt="private"))["id"]

    async def test_read(self, user_client: ApiClient, other_client: ApiClient) -> None:
        cid = (await create(user_client, "alice's"))["id"]
        await other_client.register("mallory@example.com")
        response = await other_client.get(f"/api/v1/conversations/{cid}")
        assert response.status_code == 404
        assert response.json()["error"]["code"] == "not_found"
        messages = await other_client.get(f"/api/v1/conversations/{cid}/messages")
        assert messages.status_code == 404

    async def test_rename(self, user_client: ApiClient, other_client: ApiClient) -> None:
        cid = (await create(user_client, "alice's"))["id"]
        await other_client.register("mallory@example.com")
        response = await other_client.patch(f"/api/v1/conversations/{cid}", json={"title": "pwn"})
        assert response.status_code == 404
        title = (await user_client.get(f"/api/v1/conversations/{cid}")).json()["title"]
        assert title == "alice's"

    async def test_delete(self, user_client: ApiClient, other_client: ApiClient) -> None:
        cid = (await create(user_client, "alice's"))["id"]
        await other_client.register("mallory@example.com")
        assert (await other_client.delete(f"/api/v1/conversations/{cid}")).status_code == 404
        assert (await user_client.get(f"/api/v1/conversations/{cid}")).status_code == 200

    async def test_list_shows_only_own(
        self, user_client: ApiClient, other_client: ApiClient
    ) -> None:
        await create(user_client, "alice's")
        await other_client.register("mallory@example.com")
        assert (await other_client.get("/api/v1/conversations")).json()["items"] == []
