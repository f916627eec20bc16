"""Folders, pins and archive over HTTP: order, filters, pagination, ownership."""

from __future__ import annotations

from typing import Any

import pytest

from lockgate.clock import FakeClock
from tests.fixtures.appkit import ApiClient

CONVERSATIONS = "/api/v1/conversations"
FOLDERS = "/api/v1/folders"


async def create(client: ApiClient, title: str, **extra: Any) -> str:
    response = await client.post(CONVERSATIONS, json={"title": title, **extra})
    assert response.status_code == 201, response.text
    cid: str = response.json()["id"]
    return cid


async def folder(client: ApiClient, name: str) -> str:
    response = await client.post(FOLDERS, json={"name": name})
    assert response.status_code == 201, response.text
    fid: str = response.json()["id"]
    return fid


async def patch(client: ApiClient, cid: str, **body: Any) -> dict[str, Any]:
    response = await client.patch(f"{CONVERSATIONS}/{cid}", json=body)
    assert response.status_code == 200, response.text
    data: dict[str, Any] = response.json()
    return data


async def titles(client: ApiClient, **params: Any) -> list[str]:
    response = await client.get(CONVERSATIONS, params=params)
    assert response.status_code == 200, response.text
    return [c["title"] for c in response.json()["items"]]


async def test_folders_are_listed_by_name_with_their_counts(user_client: ApiClient) -> None:
    work = await folder(user_client, "work")
    await folder(user_client, "Archive of ideas")
    await create(user_client, "report", folder_id=work)
    archived = await create(user_client, "old report", folder_id=work)
    await patch(user_client, archived, archived=True)
    items = (await user_client.get(FOLDERS)).json()["items"]
    assert [(f["name"], f["conversation_count"]) for f in items] == [
        ("Archive of ideas", 0),
        ("work", 1),
    ]


async def test_rename_a_folder(user_client: ApiClient) -> None:
    fid = await folder(user_client, "tmp")
    response = await user_client.patch(f"{FOLDERS}/{fid}", json={"name": "  Travel  "})
    assert response.status_code == 200
    assert response.json()["name"] == "Travel"
    assert [f["name"] for f in (await user_client.get(FOLDERS)).json()["items"]] == ["Travel"]


async def test_folder_names_are_unique_whatever_their_case(user_client: ApiClient) -> None:
    await folder(user_client, "Work")
    other = await folder(user_client, "Home")
    for response in (
        await user_client.post(FOLDERS, json={"name": "work"}),
        await user_client.patch(f"{FOLDERS}/{other}", json={"name": "WORK"}),
    ):
        assert response.status_code == 409
        assert response.json()["error"]["code"] == "folder_name_taken"
    # Renaming a folder to its own name in another case is not a clash.
    assert (await user_client.patch(f"{FOLDERS}/{other}", json={"name": "HOME"})).is_success


@pytest.mark.parametrize("body", [{"name": "   "}, {"name": "x" * 101}, {}, {"name": 5}])
async def test_bad_folder_name_is_422(user_client: ApiClient, body: dict[str, Any]) -> None:
    response = await user_client.post(FOLDERS, json=body)
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "validation_error"


async def test_deleting_a_folder_keeps_its_conversations_unfiled(user_client: ApiClient) -> None:
    fid = await folder(user_client, "doomed")
    cid = await create(user_client, "keep me", folder_id=fid)
    assert (await user_client.delete(f"{FOLDERS}/{fid}")).status_code == 204
    conversation = (await user_client.get(f"{CONVERSATIONS}/{cid}")).json()
    assert (conversation["title"], conversation["folder_id"]) == ("keep me", None)
    assert (await user_client.get(FOLDERS)).json()["items"] == []


async def test_move_to_a_folder_and_list_only_that_folder(user_client: ApiClient) -> None:
    fid = await folder(user_client, "work")
    moved = await create(user_client, "moved")
    await create(user_client, "loose")
    assert (await patch(user_client, moved, folder_id=fid))["folder_id"] == fid
    assert await titles(user_client, folder_id=fid) == ["moved"]
    assert sorted(await titles(user_client)) == ["loose", "moved"]  # "all" still shows it
    assert (await patch(user_client, moved, folder_id=None))["folder_id"] is None
    assert await titles(user_client, folder_id=fid) == []


async def test_pinned_come_first_and_pinning_keeps_the_activity_time(
    user_client: ApiClient, clock: FakeClock
) -> None:
    old = await create(user_client, "old")
    clock.advance(seconds=1)
    await create(user_client, "new")
    before = (await user_client.get(f"{CONVERSATIONS}/{old}")).json()["updated_at"]
    clock.advance(seconds=1)
    pinned = await patch(user_client, old, pinned=True)
    assert (pinned["pinned"], pinned["updated_at"]) == (True, before)
    assert await titles(user_client) == ["old", "new"]
    await patch(user_client, old, pinned=False)
    assert await titles(user_client) == ["new", "old"]


async def test_cursor_pages_are_stable_across_pinned_and_unpinned(
    user_client: ApiClient, clock: FakeClock
) -> None:
    ids = []
    for i in range(7):
        clock.advance(seconds=1)
        ids.append(await create(user_client, f"c{i}"))
    for i in (1, 4):
        await patch(user_client, ids[i], pinned=True)
    seen: list[str] = []
    cursor = None
    while True:
        params = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        page = (await user_client.get(CONVERSATIONS, params=params)).json()
        seen += [c["title"] for c in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == ["c4", "c1", "c6", "c5", "c3", "c2", "c0"]


async def test_archive_hides_it_and_the_archived_view_restores_it(
    user_client: ApiClient,
) -> None:
    cid = await create(user_client, "done")
    await create(user_client, "active")
    archived = await patch(user_client, cid, archived=True)
    assert archived["archived_at"] is not None
    assert await titles(user_client) == ["active"]
    assert await titles(user_client, archived="true") == ["done"]
    assert await titles(user_client, q="done") == []  # search leaves the archive out too
    assert await titles(user_client, archived="true", q="done") == ["done"]
    restored = await patch(user_client, cid, archived=False)
    assert restored["archived_at"] is None
    assert sorted(await titles(user_client)) == ["active", "done"]
    assert await titles(user_client, archived="true") == []


async def test_archiving_twice_keeps_the_first_time(
    user_client: ApiClient, clock: FakeClock
) -> None:
    cid = await create(user_client, "done")
    first = (await patch(user_client, cid, archived=True))["archived_at"]
    clock.advance(seconds=5)
    assert (await patch(user_client, cid, archived=True))["archived_at"] == first


@pytest.mark.parametrize(
    "body", [{"pinned": "yes"}, {"pinned": 1}, {"archived": "true"}, {"folder_id": "nope"}]
)
async def test_bad_organising_values_are_422(user_client: ApiClient, body: dict[str, Any]) -> None:
    cid = await create(user_client, "x")
    response = await user_client.patch(f"{CONVERSATIONS}/{cid}", json=body)
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "validation_error"


async def test_unknown_folder_is_404(user_client: ApiClient) -> None:
    cid = await create(user_client, "x")
    missing = "00000000-0000-4000-8000-000000000000"
    response = await user_client.patch(f"{CONVERSATIONS}/{cid}", json={"folder_id": missing})
    assert response.status_code == 404
    assert (await user_client.get(CONVERSATIONS, params={"folder_id": missing})).status_code == 404


class TestOwnership:
    """Another user's folder or conversation is a 404 for every verb, and is left untouched."""

    async def test_folder_verbs(self, user_client: ApiClient, other_client: ApiClient) -> None:
        fid = await folder(user_client, "alice's")
        await other_client.register("mallory@example.com")
        renamed = await other_client.patch(f"{FOLDERS}/{fid}", json={"name": "pwn"})
        deleted = await other_client.delete(f"{FOLDERS}/{fid}")
        listed = await other_client.get(CONVERSATIONS, params={"folder_id": fid})
        assert [renamed.status_code, deleted.status_code, listed.status_code] == [404] * 3
        assert renamed.json()["error"]["code"] == "not_found"
        assert (await other_client.get(FOLDERS)).json()["items"] == []
        assert [f["name"] for f in (await user_client.get(FOLDERS)).json()["items"]] == ["alice's"]

    async def test_filing_into_another_users_folder(
        self, user_client: ApiClient, other_client: ApiClient
    ) -> None:
        fid = await folder(user_client, "alice's")
        await other_client.register("mallory@example.com")
        mine = await create(other_client, "mallory's")
        moved = await other_client.patch(f"{CONVERSATIONS}/{mine}", json={"folder_id": fid})
        created = await other_client.post(CONVERSATIONS, json={"folder_id": fid})
        assert (moved.status_code, created.status_code) == (404, 404)
        assert (await user_client.get(FOLDERS)).json()["items"][0]["conversation_count"] == 0

    @pytest.mark.parametrize("body", [{"pinned": True}, {"archived": True}, {"folder_id": None}])
    async def test_organising_another_users_conversation(
        self, user_client: ApiClient, other_client: ApiClient, body: dict[str, Any]
    ) -> None:
        cid = await create(user_client, "alice's")
        await other_client.register("mallory@example.com")
        response = await other_client.patch(f"{CONVERSATIONS}/{cid}", json=body)
        assert response.status_code == 404
        conversation = (await user_client.get(f"{CONVERSATIONS}/{cid}")).json()
        assert (conversation["pinned"], conversation["archived_at"]) == (False, None)
