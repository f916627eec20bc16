"""Edit and branch: edits and regenerations fork a conversation into branches, the conversation
shows and sends from its current branch, and switching moves it (both databases, in-process,
the simulated provider)."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from lockgate.clock import FakeClock
from lockgate.state import AppState
from tests.fixtures.appkit import ApiClient, GatedSleep, api_client, make_config, running_app
from tests.fixtures.appkit import parse_sse as parse

Events = list[tuple[str, Any]]


async def new_conversation(client: ApiClient) -> str:
    response = await client.post("/api/v1/conversations", json={})
    assert response.status_code == 201, response.text
    conversation_id: str = response.json()["id"]
    return conversation_id


async def stream(client: ApiClient, url: str, body: dict[str, Any] | None = None) -> Events:
    response = await client.post(url, json=body or {})
    assert response.status_code == 200, response.text
    return parse(response.text)


async def send(client: ApiClient, cid: str, content: str, **extra: Any) -> Events:
    body = {"content": content, **extra}
    return await stream(client, f"/api/v1/conversations/{cid}/messages", body)


async def edit(client: ApiClient, message_id: str, content: str) -> Events:
    return await stream(client, f"/api/v1/messages/{message_id}/edit", {"content": content})


async def regenerate(client: ApiClient, message_id: str) -> Events:
    return await stream(client, f"/api/v1/messages/{message_id}/regenerate")


def ids(events: Events) -> tuple[str, str]:
    """The (user message, reply) ids a stream's first event names."""
    data = events[0][1]
    return data["user_message"]["id"], data["assistant_message"]["id"]


async def branch(client: ApiClient, cid: str, **params: Any) -> list[dict[str, Any]]:
    response = await client.get(f"/api/v1/conversations/{cid}", params=params)
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["messages"]["items"]
    return items


def contents(items: list[dict[str, Any]]) -> list[str]:
    return [m["content"] if m["role"] == "user" else "answer" for m in items]


async def switch(client: ApiClient, cid: str, message_id: str) -> dict[str, Any]:
    response = await client.put(
        f"/api/v1/conversations/{cid}/branch", json={"message_id": message_id}
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def test_edit_makes_a_new_branch_and_keeps_the_old_one(user_client: ApiClient) -> None:
    cid = await new_conversation(user_client)
    first, _ = ids(await send(user_client, cid, "one"))
    await send(user_client, cid, "two")
    events = await edit(user_client, first, "one, edited")
    edited, reply = ids(events)
    assert events[-1][0] == "done"
    items = await branch(user_client, cid)
    assert contents(items) == ["one, edited", "answer"]
    assert [m["id"] for m in items] == [edited, reply]
    assert items[0]["parent_id"] is None
    assert items[0]["sibling_ids"] == [first, edited]
    assert events[0][1]["user_message"]["sibling_ids"] == [first, edited]
    old = await switch(user_client, cid, first)
    assert contents(old["messages"]["items"]) == ["one", "answer", "two", "answer"]


async def test_edit_of_a_later_message_keeps_what_came_before(user_client: ApiClient) -> None:
    cid = await new_conversation(user_client)
    _, first_reply = ids(await send(user_client, cid, "one"))
    second, _ = ids(await send(user_client, cid, "two"))
    edited, _ = ids(await edit(user_client, second, "two, edited"))
    items = await branch(user_client, cid)
    assert contents(items) == ["one", "answer", "two, edited", "answer"]
    assert items[2]["parent_id"] == first_reply
    assert items[2]["sibling_ids"] == [second, edited]
    assert items[0]["sibling_ids"] == [items[0]["id"]]


async def test_regenerate_any_answer_makes_it_the_current_branch(user_client: ApiClient) -> None:
    cid = await new_conversation(user_client)
    first, first_reply = ids(await send(user_client, cid, "one"))
    await send(user_client, cid, "two")
    events = await regenerate(user_client, first_reply)
    _, again = ids(events)
    assert events[-1][1]["final"]["parent_id"] == first
    items = await branch(user_client, cid)
    assert [m["id"] for m in items] == [first, again]
    assert items[1]["sibling_ids"] == [first_reply, again]
    old = await switch(user_client, cid, first_reply)
    assert contents(old["messages"]["items"]) == ["one", "answer", "two", "answer"]


async def test_switch_goes_to_the_newest_leaf_under_the_message_and_is_kept(
    user_client: ApiClient,
) -> None:
    cid = await new_conversation(user_client)
    first, _ = ids(await send(user_client, cid, "one"))
    await send(user_client, cid, "two")
    await send(user_client, cid, "three")
    edited, _ = ids(await edit(user_client, first, "uno"))
    switched = await switch(user_client, cid, first)
    assert contents(switched["messages"]["items"]) == [
        *["one", "answer", "two", "answer", "three", "answer"]
    ]
    assert contents(await branch(user_client, cid)) == contents(switched["messages"]["items"])
    # A send continues the branch shown, not the newest one.
    await send(user_client, cid, "four")
    assert contents(await branch(user_client, cid))[-2:] == ["four", "answer"]
    back = await switch(user_client, cid, edited)
    assert contents(back["messages"]["items"]) == ["uno", "answer"]


async def test_switching_does_not_move_the_conversation_up_the_list(
    user_client: ApiClient, clock: FakeClock
) -> None:
    cid = await new_conversation(user_client)
    first, _ = ids(await send(user_client, cid, "one"))
    await edit(user_client, first, "uno")
    before = (await user_client.get(f"/api/v1/conversations/{cid}")).json()["updated_at"]
    clock.advance(seconds=3600)
    switched = await switch(user_client, cid, first)
    assert switched["updated_at"] == before
    assert (await user_client.get(f"/api/v1/conversations/{cid}")).json()["updated_at"] == before


async def test_send_after_a_given_parent_continues_that_branch(user_client: ApiClient) -> None:
    cid = await new_conversation(user_client)
    _, first_reply = ids(await send(user_client, cid, "one"))
    await send(user_client, cid, "two")
    user_message, _ = ids(await send(user_client, cid, "two, again", parent_id=first_reply))
    items = await branch(user_client, cid)
    assert contents(items) == ["one", "answer", "two, again", "answer"]
    assert len(items[2]["sibling_ids"]) == 2
    assert items[2]["id"] == user_message


async def test_older_pages_walk_up_the_current_branch_only(user_client: ApiClient) -> None:
    cid = await new_conversation(user_client)
    first, _ = ids(await send(user_client, cid, "one"))
    await send(user_client, cid, "two")
    await edit(user_client, first, "uno")
    await send(user_client, cid, "dos")
    await send(user_client, cid, "tres")
    newest = await user_client.get(f"/api/v1/conversations/{cid}", params={"limit": 4})
    page = newest.json()["messages"]
    assert contents(page["items"]) == ["dos", "answer", "tres", "answer"]
    older = await user_client.get(
        f"/api/v1/conversations/{cid}/messages", params={"cursor": page["next_cursor"]}
    )
    assert older.status_code == 200, older.text
    assert contents(older.json()["items"]) == ["uno", "answer"]
    assert older.json()["next_cursor"] is None


async def test_editing_an_answer_is_422(user_client: ApiClient) -> None:
    cid = await new_conversation(user_client)
    _, reply = ids(await send(user_client, cid, "one"))
    response = await user_client.post(f"/api/v1/messages/{reply}/edit", json={"content": "x"})
    assert (response.status_code, response.json()["error"]["code"]) == (422, "not_editable")


@pytest.mark.parametrize("content", ["", "   \n"])
async def test_an_empty_edit_is_422_and_saves_nothing(user_client: ApiClient, content: str) -> None:
    cid = await new_conversation(user_client)
    first, _ = ids(await send(user_client, cid, "one"))
    response = await user_client.post(f"/api/v1/messages/{first}/edit", json={"content": content})
    assert response.status_code == 422
    assert (await branch(user_client, cid))[0]["sibling_ids"] == [first]


async def test_switch_to_an_unknown_message_is_404(user_client: ApiClient) -> None:
    cid = await new_conversation(user_client)
    await send(user_client, cid, "one")
    response = await user_client.put(
        f"/api/v1/conversations/{cid}/branch", json={"message_id": str(uuid.uuid4())}
    )
    assert response.status_code == 404


class TestSomeoneElses:
    """Another user's conversation or message is 404 for every branch operation."""

    @pytest.fixture
    async def theirs(self, user_client: ApiClient, other_client: ApiClient) -> dict[str, str]:
        cid = await new_conversation(user_client)
        user_message, reply = ids(await send(user_client, cid, "secret"))
        await other_client.register("mallory@example.com")
        return {"cid": cid, "user": user_message, "reply": reply}

    async def test_switching_their_conversation(
        self, other_client: ApiClient, theirs: dict[str, str]
    ) -> None:
        response = await other_client.put(
            f"/api/v1/conversations/{theirs['cid']}/branch", json={"message_id": theirs["user"]}
        )
        assert response.status_code == 404

    async def test_switching_own_conversation_to_their_message(
        self, other_client: ApiClient, theirs: dict[str, str]
    ) -> None:
        mine = await new_conversation(other_client)
        await send(other_client, mine, "mine")
        response = await other_client.put(
            f"/api/v1/conversations/{mine}/branch", json={"message_id": theirs["user"]}
        )
        assert response.status_code == 404

    async def test_editing_their_message(
        self, other_client: ApiClient, theirs: dict[str, str]
    ) -> None:
        response = await other_client.post(
            f"/api/v1/messages/{theirs['user']}/edit", json={"content": "hijack"}
        )
        assert response.status_code == 404

    async def test_sending_after_their_message(
        self, other_client: ApiClient, theirs: dict[str, str]
    ) -> None:
        mine = await new_conversation(other_client)
        response = await other_client.post(
            f"/api/v1/conversations/{mine}/messages",
            json={"content": "hi", "parent_id": theirs["reply"]},
        )
        assert response.status_code == 404

    async def test_their_branch_stays_as_it_was(
        self, user_client: ApiClient, other_client: ApiClient, theirs: dict[str, str]
    ) -> None:
        await other_client.post(f"/api/v1/messages/{theirs['reply']}/regenerate")
        items = await branch(user_client, theirs["cid"])
        assert [m["id"] for m in items] == [theirs["user"], theirs["reply"]]
        assert items[1]["sibling_ids"] == [theirs["reply"]]


@pytest.fixture
async def gated(
    database_url: str, tmp_path: Path, clock: FakeClock
) -> AsyncIterator[tuple[ApiClient, AppState, GatedSleep]]:
    """An app whose simulated provider blocks at its 5th sleep: the second reply's 2nd token
    (a reply asked for 2 tokens sleeps twice: before the first token, between the two)."""
    gate = GatedSleep(block_at=5)
    async with (
        running_app(make_config(database_url, tmp_path), clock, provider_sleep=gate) as (
            app,
            state,
        ),
        api_client(app) as client,
    ):
        await client.register("a@example.com")
        yield client, state, gate
        gate.release()


async def live_edit(
    client: ApiClient, state: AppState, gate: GatedSleep
) -> tuple[str, str, asyncio.Task[Events]]:
    """A conversation whose first message was edited, its new answer streaming (blocked):
    (conversation id, the original user message id, the edit's task)."""
    cid = await new_conversation(client)
    first, _ = ids(await send(client, cid, "one [[tokens:2]]"))
    editing = asyncio.create_task(edit(client, first, "uno [[tokens:40]]"))
    await gate.reached.wait()
    return cid, first, editing


async def test_branch_changes_while_an_answer_streams_are_409(
    gated: tuple[ApiClient, AppState, GatedSleep],
) -> None:
    client, state, gate = gated
    cid, first, editing = await live_edit(client, state, gate)
    refusals = [
        await client.post(f"/api/v1/messages/{first}/edit", json={"content": "eins"}),
        await client.put(f"/api/v1/conversations/{cid}/branch", json={"message_id": first}),
        await client.post(
            f"/api/v1/conversations/{cid}/messages", json={"content": "x", "parent_id": first}
        ),
    ]
    assert [(r.status_code, r.json()["error"]["code"]) for r in refusals] == [
        (409, "reply_in_progress")
    ] * 3
    assert "Stop it" in refusals[0].json()["error"]["message"]
    gate.release()
    assert (await editing)[-1][0] == "done"
    switched = await switch(client, cid, first)  # finished: switching works again
    assert contents(switched["messages"]["items"])[0] == "one [[tokens:2]]"


async def test_stop_and_reattach_work_on_a_new_branch(
    gated: tuple[ApiClient, AppState, GatedSleep],
) -> None:
    client, state, gate = gated
    cid, _, editing = await live_edit(client, state, gate)
    assert state.chat is not None
    [live_id] = list(state.chat._live)
    reattach = asyncio.create_task(client.get(f"/api/v1/messages/{live_id}/stream"))
    live = state.chat.get(live_id)
    assert live is not None
    await live.wait_for_listeners(2)
    stopped = await client.post(f"/api/v1/messages/{live_id}/stop")
    assert stopped.status_code == 200
    assert stopped.json()["status"] == "cancelled"
    original, replayed = await editing, parse((await reattach).text)
    assert replayed == original
    assert original[-1][1]["status"] == "cancelled"
    items = await branch(client, cid)
    assert items[-1]["id"] == str(live_id)
    assert items[-1]["status"] == "cancelled"
