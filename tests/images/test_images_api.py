"""Images over HTTP: generate, serve, list, delete, ownership, bad input, provider failures."""

from __future__ import annotations

import io
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from decimal import Decimal
from pathlib import Path
from typing import Any, TypeVar

import pytest
from PIL import Image as PILImage
from sqlalchemy import select

from lockgate.clock import FakeClock
from lockgate.models import Image, UsageKind, UsageOutcome, UsageRecord
from lockgate.providers.config import ModelConfig, Price, SimulatedProviderConfig
from lockgate.settings import FileConfig
from lockgate.state import AppState
from tests.fixtures.appkit import ApiClient, api_client, make_config, running_app

URL = "/api/v1/images"
T = TypeVar("T")


async def generate(
    client: ApiClient, prompt: str = "a red fox", **extra: Any
) -> list[dict[str, Any]]:
    response = await client.post(URL, json={"prompt": prompt, **extra})
    assert response.status_code == 201, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


def stored_files(state: AppState) -> list[str]:
    root = state.config.settings.data_dir / "images"
    return sorted(p.name for p in root.iterdir()) if root.exists() else []


def paths_containing(root: Path, part: str) -> list[Path]:
    return [path for path in root.rglob("*") if part in path.name]


async def rows_of(state: AppState, model: type[T]) -> list[T]:
    async with state.sessionmaker() as db:
        return list((await db.scalars(select(model))).all())


def image_file_config(**provider: Any) -> FileConfig:
    """One simulated provider (optionally failing) serving one priced image model, `pic`."""
    return FileConfig(
        providers={"sim": SimulatedProviderConfig(type="simulated", **provider)},
        models={
            "pic": ModelConfig(
                provider="sim",
                kind="image",
                image_sizes=["64x64", "128x128"],
                price=Price(per_image=Decimal("0.04")),
            )
        },
    )


@asynccontextmanager
async def signed_in(
    database_url: str, tmp_path: Path, clock: FakeClock, file: FileConfig
) -> AsyncIterator[tuple[ApiClient, AppState]]:
    async with (
        running_app(make_config(database_url, tmp_path, file), clock) as (app, state),
        api_client(app) as client,
    ):
        await client.register("alice@example.com")
        yield client, state


async def test_generate_returns_one_item_per_image(user_client: ApiClient) -> None:
    items = await generate(user_client, n=2, size="256x256")
    assert [(i["model"], i["size"], i["mime_type"], i["url"]) for i in items] == [
        ("sim-image", "256x256", "image/png", f"{URL}/{i['id']}") for i in items
    ]


async def test_generated_files_are_named_by_image_id(
    user_client: ApiClient, state: AppState
) -> None:
    items = await generate(user_client, n=2, size="256x256")
    assert stored_files(state) == sorted(f"{i['id']}.png" for i in items)


async def test_get_serves_a_png_of_the_requested_size(user_client: ApiClient) -> None:
    [item] = await generate(user_client, size="512x512")
    response = await user_client.get(item["url"])
    assert response.headers["content-type"] == "image/png"
    assert PILImage.open(io.BytesIO(response.content)).size == (512, 512)


async def test_get_sends_nosniff_long_private_caching_and_an_inline_name(
    user_client: ApiClient,
) -> None:
    [item] = await generate(user_client, size="256x256")
    headers = (await user_client.get(item["url"])).headers
    assert (
        headers["x-content-type-options"],
        headers["cache-control"],
        headers["content-disposition"],
    ) == ("nosniff", "private, max-age=31536000, immutable", f'inline; filename="{item["id"]}.png"')


async def test_defaults_are_the_first_image_model_and_its_first_size(
    user_client: ApiClient,
) -> None:
    [item] = await generate(user_client)
    assert (item["model"], item["size"]) == ("sim-image", "256x256")


async def test_list_is_newest_first_with_cursor_pages(
    user_client: ApiClient, clock: FakeClock
) -> None:
    ids = []
    for i in range(5):
        clock.advance(seconds=1)
        ids += [item["id"] for item in await generate(user_client, f"p{i}", size="256x256")]
    seen: list[str] = []
    cursor = None
    while True:
        params = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        page = (await user_client.get(URL, params=params)).json()
        seen += [item["id"] for item in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == list(reversed(ids))


async def test_a_bad_cursor_is_invalid_cursor(user_client: ApiClient) -> None:
    response = await user_client.get(URL, params={"cursor": "not-a-cursor"})
    assert (response.status_code, response.json()["error"]["code"]) == (400, "invalid_cursor")


async def test_list_shows_only_own_images(user_client: ApiClient, other_client: ApiClient) -> None:
    await generate(user_client, size="256x256")
    await other_client.register("bob@example.com")
    assert (await other_client.get(URL)).json() == {"items": [], "next_cursor": None}


@pytest.mark.parametrize("method", ["GET", "DELETE"])
async def test_someone_elses_image_is_the_same_404_as_a_missing_one(
    user_client: ApiClient, other_client: ApiClient, method: str
) -> None:
    [item] = await generate(user_client, size="256x256")
    await other_client.register("bob@example.com")
    theirs = await other_client.request(method, item["url"])
    missing = await other_client.request(method, f"{URL}/{uuid.uuid4()}")
    assert (theirs.status_code, theirs.json()) == (404, missing.json())


async def test_someone_elses_delete_leaves_the_file(
    user_client: ApiClient, other_client: ApiClient, state: AppState
) -> None:
    [item] = await generate(user_client, size="256x256")
    await other_client.register("bob@example.com")
    await other_client.delete(item["url"])
    assert stored_files(state) == [f"{item['id']}.png"]


async def test_delete_removes_the_row_and_the_file(user_client: ApiClient, state: AppState) -> None:
    [item] = await generate(user_client, size="256x256")
    response = await user_client.delete(item["url"])
    assert (response.status_code, await rows_of(state, Image), stored_files(state)) == (204, [], [])


async def test_a_row_whose_file_is_gone_is_404(user_client: ApiClient, state: AppState) -> None:
    [item] = await generate(user_client, size="256x256")
    (state.config.settings.data_dir / "images" / f"{item['id']}.png").unlink()
    response = await user_client.get(item["url"])
    assert (response.status_code, response.json()["error"]["code"]) == (404, "not_found")


@pytest.mark.parametrize("model", ["no-such-model", "sim-small"])
async def test_unknown_or_non_image_model_is_unknown_model(
    user_client: ApiClient, model: str
) -> None:
    response = await user_client.post(URL, json={"prompt": "fox", "model": model})
    assert (response.status_code, response.json()["error"]["code"]) == (422, "unknown_model")


async def test_a_size_the_model_does_not_offer_is_unsupported_size_naming_the_allowed(
    user_client: ApiClient,
) -> None:
    response = await user_client.post(URL, json={"prompt": "fox", "size": "999x999"})
    error = response.json()["error"]
    assert (
        response.status_code,
        error["code"],
        "256x256, 512x512, 1024x1024" in error["message"],
    ) == (
        422,
        "unsupported_size",
        True,
    )


@pytest.mark.parametrize(
    "body",
    [
        {"prompt": "fox", "n": 0},
        {"prompt": "fox", "n": 5},
        {"prompt": ""},
        {"prompt": "   "},
        {"prompt": "x" * 4001},
        {"prompt": "fox", "colour": "red"},
    ],
)
async def test_bad_bodies_are_validation_errors(
    user_client: ApiClient, body: dict[str, Any]
) -> None:
    response = await user_client.post(URL, json=body)
    assert (response.status_code, response.json()["error"]["code"]) == (422, "validation_error")


async def test_generate_needs_a_session(client: ApiClient) -> None:
    assert (await client.post(URL, json={"prompt": "fox"})).status_code == 401


async def test_a_hostile_prompt_never_reaches_the_file_system(
    user_client: ApiClient, state: AppState, tmp_path: Path
) -> None:
    [item] = await generate(user_client, "../../etc/passwd", size="256x256")
    assert (stored_files(state), paths_containing(tmp_path, "passwd")) == (
        [f"{item['id']}.png"],
        [],
    )


async def test_a_usage_row_counts_the_images_and_their_price(
    database_url: str, tmp_path: Path, clock: FakeClock
) -> None:
    async with signed_in(database_url, tmp_path, clock, image_file_config()) as (client, state):
        items = await generate(client, n=3)
        [usage] = await rows_of(state, UsageRecord)
    assert (usage.kind, usage.outcome, usage.model, usage.provider) == (
        UsageKind.IMAGE,
        UsageOutcome.OK,
        "pic",
        "sim",
    )
    assert (usage.images, usage.cost_usd, [Decimal(i["cost_usd"]) for i in items]) == (
        3,
        Decimal("0.12"),
        [Decimal("0.04")] * 3,
    )


@pytest.mark.parametrize(
    ("failure", "code"), [("500", "provider_unavailable"), ("malformed", "provider_bad_response")]
)
async def test_a_failing_provider_is_502_with_its_code(
    database_url: str, tmp_path: Path, clock: FakeClock, failure: str, code: str
) -> None:
    file = image_file_config(failure=failure)
    async with signed_in(database_url, tmp_path, clock, file) as (client, _):
        response = await client.post(URL, json={"prompt": "fox"})
    assert (response.status_code, response.json()["error"]["code"]) == (502, code)


async def test_a_prompt_the_provider_refuses_is_422_provider_bad_request(
    user_client: ApiClient,
) -> None:
    response = await user_client.post(URL, json={"prompt": "fox [[fail:bogus]]"})
    assert (response.status_code, response.json()["error"]["code"]) == (422, "provider_bad_request")


async def test_a_failing_provider_leaves_only_an_error_usage_row(
    database_url: str, tmp_path: Path, clock: FakeClock
) -> None:
    file = image_file_config(failure="500")
    async with signed_in(database_url, tmp_path, clock, file) as (client, state):
        await client.post(URL, json={"prompt": "fox", "n": 2})
        images, usage = await rows_of(state, Image), await rows_of(state, UsageRecord)
        files = stored_files(state)
    assert (images, files) == ([], [])
    assert [(u.outcome, u.error_code, u.images, u.cost_usd) for u in usage] == [
        (UsageOutcome.ERROR, "provider_unavailable", 0, Decimal(0))
    ]


async def test_a_rate_limited_provider_is_429_with_retry_after(
    database_url: str, tmp_path: Path, clock: FakeClock
) -> None:
    file = image_file_config(failure="429", retry_after=7)
    async with signed_in(database_url, tmp_path, clock, file) as (client, _):
        response = await client.post(URL, json={"prompt": "fox"})
    assert (
        response.status_code,
        response.json()["error"]["code"],
        response.headers["retry-after"],
    ) == (429, "provider_rate_limited", "7")


async def test_operation_ids_are_stable(client: ApiClient) -> None:
    paths = (await client.get("/api/openapi.json")).json()["paths"]
    ids = {op["operationId"] for path in (URL, URL + "/{image_id}") for op in paths[path].values()}
    assert ids == {"generateImages", "listImages", "getImage", "deleteImage"}
