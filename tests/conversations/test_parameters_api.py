"""A conversation's parameters over HTTP: stored, reset, and refused with a stable code."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from lockgate.clock import FakeClock
from lockgate.providers.config import ModelConfig, SimulatedProviderConfig
from lockgate.settings import FileConfig
from tests.fixtures.appkit import ApiClient, api_client, make_config, running_app

CONVERSATIONS = "/api/v1/conversations"
PARAMETERS = ("model", "temperature", "max_tokens", "system_prompt")


async def create(client: ApiClient, **body: Any) -> dict[str, Any]:
    response = await client.post(CONVERSATIONS, json=body)
    assert response.status_code == 201, response.text
    data: dict[str, Any] = response.json()
    return data


def parameters(conversation: dict[str, Any]) -> tuple[Any, ...]:
    return tuple(conversation[name] for name in PARAMETERS)


async def test_create_with_parameters_and_read_them_back(user_client: ApiClient) -> None:
    created = await create(
        user_client, model="sim-large", temperature=0.3, max_tokens=3000, system_prompt="Terse."
    )
    fetched = (await user_client.get(f"{CONVERSATIONS}/{created['id']}")).json()
    assert parameters(fetched) == ("sim-large", 0.3, 3000, "Terse.")


async def test_a_new_conversation_uses_the_defaults(user_client: ApiClient) -> None:
    assert parameters(await create(user_client)) == (None, None, None, "")


async def test_patch_changes_only_what_it_names(user_client: ApiClient) -> None:
    cid = (await create(user_client, model="sim-large", temperature=1.2, system_prompt="A"))["id"]
    response = await user_client.patch(f"{CONVERSATIONS}/{cid}", json={"max_tokens": 500})
    assert parameters(response.json()) == ("sim-large", 1.2, 500, "A")


async def test_null_resets_a_parameter_to_the_default(user_client: ApiClient) -> None:
    cid = (await create(user_client, model="sim-large", temperature=1.2, max_tokens=10))["id"]
    body = {"model": None, "temperature": None, "max_tokens": None}
    response = await user_client.patch(f"{CONVERSATIONS}/{cid}", json=body)
    assert parameters(response.json()) == (None, None, None, "")


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"model": "gpt-nonexistent"}, "unknown_model"),
        ({"model": "sim-image"}, "unknown_model"),
        ({"temperature": 2.01}, "temperature_out_of_range"),
        ({"temperature": -0.1}, "temperature_out_of_range"),
        ({"max_tokens": 2049}, "max_tokens_too_large"),  # sim-small, the default, allows 2048
        ({"model": "sim-large", "max_tokens": 4097}, "max_tokens_too_large"),
        ({"system_prompt": "x" * 20_001}, "system_prompt_too_long"),
        ({"max_tokens": 0}, "validation_error"),
        ({"temperature": "hot"}, "validation_error"),
        ({"temperature": True}, "validation_error"),
        ({"max_tokens": 1.5}, "validation_error"),
    ],
)
async def test_bad_parameters_are_422_with_a_stable_code_and_change_nothing(
    user_client: ApiClient, body: dict[str, Any], code: str
) -> None:
    cid = (await create(user_client, temperature=0.5))["id"]
    for response in (
        await user_client.patch(f"{CONVERSATIONS}/{cid}", json=body),
        await user_client.post(CONVERSATIONS, json=body),
    ):
        assert response.status_code == 422, response.text
        assert response.json()["error"]["code"] == code
    fetched = (await user_client.get(f"{CONVERSATIONS}/{cid}")).json()
    assert parameters(fetched) == (None, 0.5, None, "")
    assert len((await user_client.get(CONVERSATIONS)).json()["items"]) == 1


async def test_switching_to_a_model_with_a_lower_limit_is_checked_against_it(
    user_client: ApiClient,
) -> None:
    cid = (await create(user_client, model="sim-large", max_tokens=4000))["id"]
    response = await user_client.patch(f"{CONVERSATIONS}/{cid}", json={"model": "sim-small"})
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "max_tokens_too_large"
    assert "sim-small" in response.json()["error"]["message"]
    both = {"model": "sim-small", "max_tokens": None}
    assert (await user_client.patch(f"{CONVERSATIONS}/{cid}", json=both)).status_code == 200


async def test_a_system_prompt_that_leaves_no_room_in_the_window_is_refused(
    database_url: str, tmp_path: Path, clock: FakeClock
) -> None:
    file = FileConfig(
        providers={"sim": SimulatedProviderConfig(type="simulated")},
        models={"tiny": ModelConfig(provider="sim", context_window=600, max_output_tokens=200)},
    )
    async with (
        running_app(make_config(database_url, tmp_path, file=file), clock) as (app, _),
        api_client(app) as client,
    ):
        await client.register("a@example.com")
        cid = (await create(client, system_prompt="Fits."))["id"]
        long_prompt = "word " * 400  # ~500 tokens + 200 for the reply > 600
        response = await client.patch(f"{CONVERSATIONS}/{cid}", json={"system_prompt": long_prompt})
        assert response.status_code == 422
        assert response.json()["error"]["code"] == "system_prompt_too_long"
        assert "context window" in response.json()["error"]["message"]
        # The same prompt fits once less is kept for the reply.
        fits = {"system_prompt": "word " * 300, "max_tokens": 50}
        assert (await client.patch(f"{CONVERSATIONS}/{cid}", json=fits)).status_code == 200


async def test_parameters_of_another_users_conversation_are_404(
    user_client: ApiClient, other_client: ApiClient
) -> None:
    cid = (await create(user_client, system_prompt="private"))["id"]
    await other_client.register("mallory@example.com")
    response = await other_client.patch(f"{CONVERSATIONS}/{cid}", json={"temperature": 2})
    assert response.status_code == 404
    fetched = (await user_client.get(f"{CONVERSATIONS}/{cid}")).json()
    assert parameters(fetched) == (None, None, None, "private")
