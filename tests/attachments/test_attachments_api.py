"""Images attached in the web chat, over HTTP on both databases: upload checks, ownership,
quota, sending to a vision model through the gate, refusal for a blind one, cascade delete."""

from __future__ import annotations

import asyncio
import contextlib
import io
import random
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from PIL import Image as PILImage
from sqlalchemy import func, select

from lockgate.attachments.repository import AttachmentRepository
from lockgate.attachments.storage import attachment_storage
from lockgate.attachments.sweeper import UnsentSweeper
from lockgate.clock import FakeClock
from lockgate.models import Attachment, Message, MessageAttachment, UsageRecord
from lockgate.providers.config import ModelConfig, Price, SimulatedProviderConfig
from lockgate.settings import FileConfig
from lockgate.state import AppState
from tests.fixtures.appkit import ApiClient, api_client, make_config, parse_sse, running_app
from tests.fixtures.fake_time import until

URL = "/api/v1/attachments"
PRICE = Price(input_per_mtok=Decimal("2"), output_per_mtok=Decimal("8"))
IMAGE_TOKENS = 1000  # the vision model's configured max_image_tokens: the bound per image


def picture(width: int = 40, height: int = 30, fmt: str = "PNG", *, noise: bool = False) -> bytes:
    image = PILImage.new("RGB", (width, height), (200, 40, 40))
    if noise:
        rng = random.Random(f"{width}x{height}")
        image.putdata([tuple(rng.randrange(256) for _ in range(3)) for _ in range(width * height)])
    out = io.BytesIO()
    image.save(out, fmt)
    return out.getvalue()


@dataclass
class World:
    state: AppState
    alice: ApiClient
    bob: ApiClient

    def files(self) -> list[str]:
        root = self.state.config.settings.data_dir / "attachments"
        return sorted(p.name for p in root.iterdir()) if root.exists() else []

    async def count(self, model: type[Any]) -> int:
        async with self.state.sessionmaker() as db:
            return int(await db.scalar(select(func.count()).select_from(model)) or 0)


@pytest.fixture
async def world(database_url: str, tmp_path: Path, clock: FakeClock) -> AsyncIterator[World]:
    file = FileConfig(
        providers={"sim": SimulatedProviderConfig(type="simulated")},
        models={
            "eye": ModelConfig(
                provider="sim", vision=True, price=PRICE, max_image_tokens=IMAGE_TOKENS
            ),
            "blind": ModelConfig(provider="sim", price=PRICE),
            "eye-with-blind-fallback": ModelConfig(
                provider="sim", vision=True, price=PRICE, fallbacks=["blind"]
            ),
        },
        default_model="eye",
    )
    config = make_config(
        database_url,
        tmp_path,
        file,
        max_image_bytes=70_000,
        max_attachment_pixels=1_000_000,
        max_images_per_request=2,
        attachment_quota_files=3,
        attachment_quota_bytes=80_000,
    )
    async with (
        running_app(config, clock) as (app, state),
        api_client(app) as alice,
        api_client(app) as bob,
    ):
        await alice.register("alice@example.com")
        await bob.register("bob@example.com")
        yield World(state, alice, bob)


async def upload(client: ApiClient, data: bytes, name: str = "photo.png") -> dict[str, Any]:
    response = await client.post(URL, params={"name": name}, content=data)
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


async def conversation(client: ApiClient, model: str = "eye") -> str:
    response = await client.post("/api/v1/conversations", json={"model": model})
    assert response.status_code == 201, response.text
    cid: str = response.json()["id"]
    return cid


async def send(client: ApiClient, cid: str, content: str, ids: list[str]) -> list[Any]:
    response = await client.post(
        f"/api/v1/conversations/{cid}/messages",
        json={"content": content, "attachment_ids": ids},
    )
    assert response.status_code == 200, response.text
    return parse_sse(response.text)


def reply_text(events: list[Any]) -> str:
    return "".join(data["text"] for name, data in events if name == "delta")


# --- upload -------------------------------------------------------------------------------


async def test_upload_is_stored_and_served_to_its_owner(world: World) -> None:
    data = picture(40, 30)
    body = await upload(world.alice, data, "holiday/beach.png")
    assert (body["mime_type"], body["width"], body["height"], body["byte_size"]) == (
        "image/png",
        40,
        30,
        len(data),
    )
    assert body["name"] == "beach.png"  # a display name only: never a path
    served = await world.alice.get(body["url"])
    assert served.status_code == 200
    assert served.headers["content-type"] == "image/png"
    assert served.content == data
    assert world.files() == [f"{body['id']}.png"]


async def test_type_is_read_from_the_bytes_not_the_name(world: World) -> None:
    body = await upload(world.alice, picture(fmt="JPEG"), "looks-like.png")
    assert body["mime_type"] == "image/jpeg"
    assert world.files() == [f"{body['id']}.jpg"]


def _truncated_png() -> bytes:
    data = picture(64, 64, noise=True)
    return data[: len(data) // 2]


def _header_only_gif() -> bytes:
    return b"GIF89a\x01"


BAD_UPLOADS = [
    pytest.param(b"", 422, "attachment_empty", id="empty"),
    pytest.param(b"%PDF-1.7\n" + b"0" * 200, 415, "attachment_not_an_image", id="pdf-named-png"),
    pytest.param(
        b"<svg xmlns='http://www.w3.org/2000/svg'/>", 415, "attachment_not_an_image", id="svg"
    ),
    pytest.param(_truncated_png(), 422, "attachment_unreadable", id="truncated-png"),
    pytest.param(_header_only_gif(), 422, "attachment_unreadable", id="broken-gif"),
    # 2,000 x 1,000 of one colour: a few kB that would decode to 2 MP (the limit is 1 MP).
    pytest.param(picture(2000, 1000), 422, "attachment_too_many_pixels", id="pixel-bomb"),
    pytest.param(picture(160, 160, noise=True), 413, "attachment_too_large", id="over-bytes"),
]


@pytest.mark.parametrize(("data", "status", "code"), BAD_UPLOADS)
async def test_bad_upload_is_refused_and_nothing_is_stored(
    world: World, data: bytes, status: int, code: str
) -> None:
    response = await world.alice.post(URL, params={"name": "cat.png"}, content=data)
    assert (response.status_code, response.json()["error"]["code"]) == (status, code)
    assert response.json()["error"]["message"]
    assert world.files() == []
    assert await world.count(Attachment) == 0


async def test_a_body_over_the_limit_without_a_length_is_refused_while_it_streams(
    world: World,
) -> None:
    async def chunks() -> AsyncIterator[bytes]:
        yield picture(8, 8)
        for _ in range(10):
            yield b"\0" * 10_000

    response = await world.alice.post(URL, content=chunks())
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "attachment_too_large"
    assert world.files() == []


async def test_the_file_quota_refuses_the_next_upload(world: World) -> None:
    for _ in range(3):
        await upload(world.alice, picture(8, 8))
    response = await world.alice.post(URL, content=picture(8, 8))
    assert (response.status_code, response.json()["error"]["code"]) == (
        413,
        "attachment_quota_exceeded",
    )
    assert len(world.files()) == 3
    await upload(world.bob, picture(8, 8))  # a quota is per user


async def test_the_byte_quota_refuses_the_upload_that_would_pass_it(world: World) -> None:
    big = picture(120, 120, noise=True)  # ~43 kB: one fits in 80 kB, two do not
    assert 40_000 < len(big) < 70_000
    await upload(world.alice, big)
    response = await world.alice.post(URL, content=picture(121, 120, noise=True))
    assert response.json()["error"]["code"] == "attachment_quota_exceeded"
    assert len(world.files()) == 1


async def test_uploads_at_once_are_counted_one_at_a_time(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two uploads that both read the total before either is saved would both fit: the second
    must wait for the first (each upload below gives the other 1 s to reach the same read)."""
    for _ in range(2):
        await upload(world.alice, picture(8, 8))
    usage = AttachmentRepository.usage
    reading = {"now": 0}
    both = asyncio.Event()

    async def racing_usage(self: AttachmentRepository, user_id: uuid.UUID) -> tuple[int, int]:
        reading["now"] += 1
        if reading["now"] >= 2:
            both.set()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(both.wait(), 1)
        try:
            return await usage(self, user_id)
        finally:
            reading["now"] -= 1

    monkeypatch.setattr(AttachmentRepository, "usage", racing_usage)
    first, second = await asyncio.gather(
        world.alice.post(URL, content=picture(8, 8)), world.alice.post(URL, content=picture(9, 9))
    )
    assert sorted([first.status_code, second.status_code]) == [201, 413]
    assert not both.is_set()  # never two at the read
    assert await world.count(Attachment) == 3
    assert len(world.files()) == 3


# --- ownership ----------------------------------------------------------------------------


async def test_another_users_attachment_is_404_everywhere(world: World) -> None:
    mine = await upload(world.alice, picture())
    assert (await world.bob.get(mine["url"])).status_code == 404
    deleted = await world.bob.delete(f"{URL}/{mine['id']}")
    assert (deleted.status_code, deleted.json()["error"]["code"]) == (404, "attachment_not_found")
    cid = await conversation(world.bob)
    sent = await world.bob.post(
        f"/api/v1/conversations/{cid}/messages",
        json={"content": "what is this?", "attachment_ids": [mine["id"]]},
    )
    assert (sent.status_code, sent.json()["error"]["code"]) == (404, "attachment_not_found")
    assert await world.count(Message) == 0
    assert (await world.alice.get(mine["url"])).status_code == 200


async def test_another_users_conversation_images_are_404(world: World) -> None:
    cid = await conversation(world.alice)
    await send(world.alice, cid, "look", [(await upload(world.alice, picture()))["id"]])
    assert (await world.bob.get(f"/api/v1/conversations/{cid}/attachments")).status_code == 404


# --- sending ------------------------------------------------------------------------------


async def test_a_vision_model_gets_the_image_and_the_reply_says_so(world: World) -> None:
    image = await upload(world.alice, picture(40, 30))
    cid = await conversation(world.alice)
    events = await send(world.alice, cid, "What is in this picture?", [image["id"]])
    assert reply_text(events).startswith("I see 1 image: a 40x30 PNG of")
    user_message = events[0][1]["user_message"]["id"]
    listed = (await world.alice.get(f"/api/v1/conversations/{cid}/attachments")).json()
    assert listed["items"] == [{"message_id": user_message, "attachments": [_sent(image, cid)]}]


async def test_an_image_alone_is_a_message(world: World) -> None:
    image = await upload(world.alice, picture(40, 30))
    cid = await conversation(world.alice)
    events = await send(world.alice, cid, "", [image["id"]])
    assert reply_text(events).startswith("I see 1 image: a 40x30 PNG of")
    assert events[0][1]["user_message"]["content"] == ""


async def test_no_text_and_no_image_is_an_empty_message(world: World) -> None:
    cid = await conversation(world.alice)
    response = await world.alice.post(
        f"/api/v1/conversations/{cid}/messages", json={"content": " ", "attachment_ids": []}
    )
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "empty_message"
    assert "attach an image" in response.json()["error"]["message"]


def _sent(image: dict[str, Any], cid: str) -> dict[str, Any]:
    return {**image, "conversation_id": cid}


async def test_the_branch_images_are_sent_again_on_regenerate(world: World) -> None:
    image = await upload(world.alice, picture(50, 20))
    cid = await conversation(world.alice)
    events = await send(world.alice, cid, "Describe it", [image["id"]])
    reply_id = events[0][1]["assistant_message"]["id"]
    again = await world.alice.post(f"/api/v1/messages/{reply_id}/regenerate", json={})
    assert reply_text(parse_sse(again.text)).startswith("I see 1 image: a 50x20 PNG")


async def test_an_edit_that_keeps_the_image_sends_it_again(world: World) -> None:
    image = await upload(world.alice, picture(30, 30))
    cid = await conversation(world.alice)
    first = await send(world.alice, cid, "Describe it", [image["id"]])
    edited = await world.alice.post(
        f"/api/v1/messages/{first[0][1]['user_message']['id']}/edit",
        json={"content": "Describe it briefly", "attachment_ids": [image["id"]]},
    )
    events = parse_sse(edited.text)
    assert reply_text(events).startswith("I see 1 image: a 30x30 PNG")
    listed = (await world.alice.get(f"/api/v1/conversations/{cid}/attachments")).json()["items"]
    assert len(listed) == 2  # the same file, linked to both versions


async def test_the_gate_reserves_the_image_bound_per_image(world: World) -> None:
    plain = await conversation(world.alice)
    with_two = await conversation(world.alice)
    text = "same words"
    low = Decimal((await send(world.alice, plain, text, []))[0][1]["max_cost_usd"])
    ids = [(await upload(world.alice, picture(9 + i, 9)))["id"] for i in range(2)]
    high = Decimal((await send(world.alice, with_two, text, ids))[0][1]["max_cost_usd"])
    assert high - low == 2 * IMAGE_TOKENS * PRICE.input_per_mtok / Decimal(1_000_000)
    async with world.state.sessionmaker() as db:
        rows = (await db.scalars(select(UsageRecord).order_by(UsageRecord.created_at))).all()
    assert len(rows) == 2
    assert all(row.cost_usd > 0 for row in rows)


async def test_a_model_that_cannot_see_images_is_refused_before_anything_is_sent(
    world: World,
) -> None:
    image = await upload(world.alice, picture())
    cid = await conversation(world.alice, "blind")
    response = await world.alice.post(
        f"/api/v1/conversations/{cid}/messages",
        json={"content": "what is this?", "attachment_ids": [image["id"]]},
    )
    assert (response.status_code, response.json()["error"]["code"]) == (
        422,
        "model_cannot_see_images",
    )
    assert "blind" in response.json()["error"]["message"]
    assert await world.count(Message) == 0
    assert await world.count(UsageRecord) == 0
    assert await world.count(MessageAttachment) == 0


async def test_a_fallback_that_cannot_see_is_skipped(world: World) -> None:
    image = await upload(world.alice, picture())
    cid = await conversation(world.alice, "eye-with-blind-fallback")
    events = await send(world.alice, cid, "[[fail:500]] what is this?", [image["id"]])
    final = events[-1][1]
    assert [name for name, _ in events if name == "fallback"] == []
    assert final["code"] == "provider_unavailable"  # the blind fallback was never tried


async def test_models_say_which_can_see_images(world: World) -> None:
    items = (await world.alice.get("/api/v1/models")).json()["items"]
    assert {m["id"]: m["vision"] for m in items} == {
        "eye": True,
        "blind": False,
        "eye-with-blind-fallback": True,
    }


async def test_too_many_images_in_one_message_are_refused(world: World) -> None:
    ids = [(await upload(world.alice, picture(8 + i, 8)))["id"] for i in range(3)]
    cid = await conversation(world.alice)
    response = await world.alice.post(
        f"/api/v1/conversations/{cid}/messages", json={"content": "x", "attachment_ids": ids}
    )
    assert (response.status_code, response.json()["error"]["code"]) == (
        422,
        "too_many_attachments",
    )
    assert await world.count(Message) == 0


async def test_an_image_sent_in_one_conversation_cannot_be_sent_in_another(world: World) -> None:
    image = await upload(world.alice, picture())
    first, second = await conversation(world.alice), await conversation(world.alice)
    await send(world.alice, first, "one", [image["id"]])
    response = await world.alice.post(
        f"/api/v1/conversations/{second}/messages",
        json={"content": "two", "attachment_ids": [image["id"]]},
    )
    assert (response.status_code, response.json()["error"]["code"]) == (409, "attachment_in_use")


# --- deleting -----------------------------------------------------------------------------


async def test_an_unsent_attachment_can_be_deleted_and_a_sent_one_cannot(world: World) -> None:
    unsent = await upload(world.alice, picture(8, 8))
    sent = await upload(world.alice, picture(9, 9))
    cid = await conversation(world.alice)
    await send(world.alice, cid, "see", [sent["id"]])
    assert (await world.alice.delete(f"{URL}/{unsent['id']}")).status_code == 204
    refused = await world.alice.delete(f"{URL}/{sent['id']}")
    assert (refused.status_code, refused.json()["error"]["code"]) == (409, "attachment_in_use")
    assert world.files() == [f"{sent['id']}.png"]


async def test_deleting_the_conversation_deletes_its_images(world: World) -> None:
    kept = await upload(world.alice, picture(8, 8))  # not sent: not the conversation's
    cid = await conversation(world.alice)
    await send(world.alice, cid, "see", [(await upload(world.alice, picture(9, 9)))["id"]])
    assert (await world.alice.delete(f"/api/v1/conversations/{cid}")).status_code == 204
    assert world.files() == [f"{kept['id']}.png"]
    assert await world.count(Attachment) == 1
    assert await world.count(MessageAttachment) == 0


async def test_an_unknown_attachment_is_404(world: World) -> None:
    response = await world.alice.get(f"{URL}/{uuid.uuid4()}/content")
    assert (response.status_code, response.json()["error"]["code"]) == (404, "attachment_not_found")


# --- export and share ---------------------------------------------------------------------


async def _conversation_with_an_image(world: World) -> tuple[str, dict[str, Any]]:
    image = await upload(world.alice, picture(40, 30), "red.png")
    cid = await conversation(world.alice)
    await send(world.alice, cid, "what colour?", [image["id"]])
    return cid, image


async def test_export_describes_the_images_without_their_bytes(world: World) -> None:
    cid, _ = await _conversation_with_an_image(world)
    exported = await world.alice.get(
        f"/api/v1/conversations/{cid}/export", params={"format": "json"}
    )
    messages = exported.json()["conversations"][0]["messages"]
    user = next(m for m in messages if m["role"] == "user")
    assert user["images"] == [
        {
            "name": "red.png",
            "mime_type": "image/png",
            "width": 40,
            "height": 30,
            "byte_size": len(picture(40, 30)),
        }
    ]
    assert all(m["images"] == [] for m in messages if m["role"] == "assistant")
    text = (
        await world.alice.get(f"/api/v1/conversations/{cid}/export", params={"format": "markdown"})
    ).text
    assert "*[image: red.png, 40x30, not exported]*" in text


async def test_a_share_keeps_images_private_and_says_so(world: World) -> None:
    cid, _ = await _conversation_with_an_image(world)
    created = await world.alice.post(f"/api/v1/conversations/{cid}/shares")
    assert created.status_code == 201, created.text
    public = await world.bob.get(f"/api/v1/shared/{created.json()['token']}")
    first = public.json()["messages"][0]
    assert first["content"] == "what colour?\n\n*[1 image not included in the shared copy]*"
    assert "attachments" not in public.text


# --- unsent images ------------------------------------------------------------------------


async def test_images_never_sent_are_deleted_after_a_day_with_their_files(
    world: World, clock: FakeClock
) -> None:
    cid = await conversation(world.alice)
    sent = await upload(world.alice, picture(8, 8))
    await send(world.alice, cid, "what is this?", [sent["id"]])
    abandoned = await upload(world.alice, picture(9, 9))
    clock.advance(hours=23)
    recent = await upload(world.bob, picture(10, 10))
    storage = attachment_storage(world.state.config.settings.data_dir)
    sweeper = UnsentSweeper(
        world.state.sessionmaker, storage, world.state.clock, max_age=timedelta(hours=24)
    )
    assert await sweeper.sweep() == 0  # nothing is a day old yet
    clock.advance(hours=2)
    assert await sweeper.sweep() == 1
    assert (await world.alice.get(f"{URL}/{abandoned['id']}/content")).status_code == 404
    assert (await world.alice.get(f"{URL}/{sent['id']}/content")).status_code == 200
    assert (await world.bob.get(f"{URL}/{recent['id']}/content")).status_code == 200
    assert len(world.files()) == 2
    assert await sweeper.sweep() == 0


async def test_each_start_sweeps_images_never_sent(
    database_url: str, tmp_path: Path, clock: FakeClock
) -> None:
    config = make_config(database_url, tmp_path, attachment_unsent_hours=1)
    async with running_app(config, clock) as (app, _state), api_client(app) as alice:
        await alice.register("alice@example.com")
        await upload(alice, picture(8, 8))
    clock.advance(hours=2)
    async with running_app(config, clock) as (_app, state):

        async def swept() -> bool:
            async with state.sessionmaker() as db:
                rows = await db.scalar(select(func.count()).select_from(Attachment))
            return not rows and not list((tmp_path / "attachments").iterdir())

        await until(swept)
