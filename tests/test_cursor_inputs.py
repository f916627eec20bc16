"""Pagination cursors are user input too: a forged cursor with an out-of-range number or date,
or a time without a zone, is a 400 ``invalid_cursor``, never a 500."""

from __future__ import annotations

import pytest

from lockgate.conversations.pagination import encode_cursor
from tests.fixtures.appkit import ApiClient

NO_ZONE = "2030-01-01T00:00:00"
FAR_PAST = "0001-01-01T00:00:00+14:00"  # to UTC: before year 1
FAR_FUTURE = "9999-12-31T23:59:59-12:00"  # to UTC: after year 9999
ID = "e3e70682-c209-1cac-a29f-6fbed82c07cd"


@pytest.mark.parametrize(
    "cursor",
    [
        encode_cursor(u=NO_ZONE, i=ID),
        encode_cursor(u=FAR_PAST, i=ID),
        encode_cursor(u=FAR_FUTURE, i=ID),
        encode_cursor(u=12, i=ID),
        encode_cursor(u="2030-01-01T00:00:00Z", i=7),
    ],
)
async def test_forged_conversation_cursors_are_refused(user_client: ApiClient, cursor: str) -> None:
    response = await user_client.get(f"/api/v1/conversations?cursor={cursor}")
    assert (response.status_code, response.json()["error"]["code"]) == (400, "invalid_cursor")


@pytest.mark.parametrize(
    "cursor",
    [
        encode_cursor(c=NO_ZONE, i=ID),
        encode_cursor(c=FAR_PAST, i=ID),
        encode_cursor(c=FAR_FUTURE, i=ID),
    ],
)
async def test_forged_image_cursors_are_refused(user_client: ApiClient, cursor: str) -> None:
    response = await user_client.get(f"/api/v1/images?cursor={cursor}")
    assert (response.status_code, response.json()["error"]["code"]) == (400, "invalid_cursor")


@pytest.mark.parametrize("seq", [10**30, -1, 2**63, True, "3", 1.5])
async def test_forged_message_cursors_are_refused(user_client: ApiClient, seq: object) -> None:
    conversation = (await user_client.post("/api/v1/conversations", json={})).json()["id"]
    cursor = encode_cursor(s=seq)
    response = await user_client.get(
        f"/api/v1/conversations/{conversation}/messages?cursor={cursor}"
    )
    assert (response.status_code, response.json()["error"]["code"]) == (400, "invalid_cursor")
