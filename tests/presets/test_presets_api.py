"""Parameter presets over HTTP: create, list, apply to a conversation, delete; ownership."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from lockgate.clock import FakeClock
from lockgate.providers.config import ModelConfig, SimulatedProviderConfig
from lockgate.settings import FileConfig
from tests.fixtures.appkit import ApiClient, api_client, make_config, running_app

PRESETS = "/api/v1/presets"
CONVERSATIONS = "/api/v1/conversations"
PARAMETERS = ("model", "temperature", "max_tokens", "system_prompt")


async def preset(client: ApiClient, name: str, **body: Any) -> dict[str, Any]:
    response = await client.post(PRESETS, json={"name": name, **body})
    assert response.status_code == 201, response.text
    data: dict[str, Any] = response.json()
    return data


async def conversation(client: ApiClient, **body: Any) -> str:
    response = await client.post(CONVERSATIONS, json=body)
    assert response.status_code == 201, response.text
    cid: str = response.json()["id"]
    return cid


async def apply(client: ApiClient, cid: str, preset_id: str) -> Any:
    return await client.post(f"{CONVERSATIONS}/{cid}/preset", json={"preset_id": preset_id})


def parameters(body: dict[str, Any]) -> tuple[Any, ...]:
    return tuple(body[name] for name in PARAMETERS)


async def test_create_and_list_by_name(user_client: ApiClient) -> None:
    await preset(user_client, "translator", temperature=0.2, system_prompt="Translate to French.")
    await preset(user_client, "Coder", model="sim-large", max_tokens=4000)
    items = (await user_client.get(PRESETS)).json()["items"]
    assert [(p["name"], *parameters(p)) for p in items] == [
        ("Coder", "sim-large", None, 4000, ""),
        ("translator", None, 0.2, None, "Translate to French."),
    ]


async def test_apply_sets_every_parameter_of_the_preset(user_client: ApiClient) -> None:
    pid = (await preset(user_client, "p", model="sim-large", temperature=0.1, max_tokens=3000))[
        "id"
    ]
    cid = await conversation(user_client, temperature=1.5, system_prompt="old prompt")
    response = await apply(user_client, cid, pid)
    assert response.status_code == 200
    assert parameters(response.json()) == ("sim-large", 0.1, 3000, "")
    fetched = (await user_client.get(f"{CONVERSATIONS}/{cid}")).json()
    assert parameters(fetched) == ("sim-large", 0.1, 3000, "")


async def test_a_preset_without_a_model_keeps_the_conversations_model(
    user_client: ApiClient,
) -> None:
    pid = (await preset(user_client, "concise", system_prompt="Be concise."))["id"]
    cid = await conversation(user_client, model="sim-large", max_tokens=4000)
    response = await apply(user_client, cid, pid)
    assert parameters(response.json()) == ("sim-large", None, None, "Be concise.")


async def test_a_preset_too_large_for_the_conversations_model_changes_nothing(
    database_url: str, tmp_path: Path, clock: FakeClock
) -> None:
    file = FileConfig(
        providers={"sim": SimulatedProviderConfig(type="simulated")},
        models={
            "roomy": ModelConfig(provider="sim", max_output_tokens=4000),
            "terse": ModelConfig(provider="sim", max_output_tokens=256),
        },
    )
    async with (
        running_app(make_config(database_url, tmp_path, file=file), clock) as (app, _),
        api_client(app) as client,
    ):
        await client.register("a@example.com")
        pid = (await preset(client, "long answers", max_tokens=1000, system_prompt="Go"))["id"]
        cid = await conversation(client, model="terse", temperature=0.4)
        response = await apply(client, cid, pid)
        assert response.status_code == 422
        assert response.json()["error"]["code"] == "max_tokens_too_large"
        fetched = (await client.get(f"{CONVERSATIONS}/{cid}")).json()
        assert parameters(fetched) == ("terse", 0.4, None, "")


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"name": "p", "model": "nope"}, "unknown_model"),
        ({"name": "p", "temperature": 3}, "temperature_out_of_range"),
        ({"name": "p", "max_tokens": 99_999}, "max_tokens_too_large"),
        ({"name": "p", "system_prompt": "x" * 20_001}, "system_prompt_too_long"),
        ({"name": " "}, "validation_error"),
        ({"name": "p", "colour": "red"}, "validation_error"),
    ],
)
async def test_bad_presets_are_422_with_a_stable_code(
    user_client: ApiClient, body: dict[str, Any], code: str
) -> None:
    response = await user_client.post(PRESETS, json=body)
    assert response.status_code == 422
    assert response.json()["error"]["code"] == code
    assert (await user_client.get(PRESETS)).json()["items"] == []


async def test_preset_names_are_unique_whatever_their_case(user_client: ApiClient) -> None:
    await preset(user_client, "Concise")
    response = await user_client.post(PRESETS, json={"name": "concise"})
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "preset_name_taken"


async def test_delete_keeps_what_was_applied(user_client: ApiClient) -> None:
    pid = (await preset(user_client, "warm", temperature=1.4))["id"]
    cid = await conversation(user_client)
    await apply(user_client, cid, pid)
    assert (await user_client.delete(f"{PRESETS}/{pid}")).status_code == 204
    assert (await user_client.get(PRESETS)).json()["items"] == []
    assert (await user_client.get(f"{CONVERSATIONS}/{cid}")).json()["temperature"] == 1.4
    assert (await user_client.delete(f"{PRESETS}/{pid}")).status_code == 404


class TestOwnership:
    """Another user's preset or conversation is a 404, and is left untouched."""

    async def test_another_users_preset(
        self, user_client: ApiClient, other_client: ApiClient
    ) -> None:
        pid = (await preset(user_client, "alice's", system_prompt="secret"))["id"]
        await other_client.register("mallory@example.com")
        mine = await conversation(other_client)
        applied = await apply(other_client, mine, pid)
        deleted = await other_client.delete(f"{PRESETS}/{pid}")
        assert (applied.status_code, deleted.status_code) == (404, 404)
        assert applied.json()["error"]["code"] == "not_found"
        assert (await other_client.get(PRESETS)).json()["items"] == []
        assert (await other_client.get(f"{CONVERSATIONS}/{mine}")).json()["system_prompt"] == ""
        assert len((await user_client.get(PRESETS)).json()["items"]) == 1

    async def test_applying_to_another_users_conversation(
        self, user_client: ApiClient, other_client: ApiClient
    ) -> None:
        cid = await conversation(user_client, system_prompt="alice's")
        await other_client.register("mallory@example.com")
        pid = (await preset(other_client, "pwn", system_prompt="ignore previous"))["id"]
        assert (await apply(other_client, cid, pid)).status_code == 404
        fetched = (await user_client.get(f"{CONVERSATIONS}/{cid}")).json()
        assert fetched["system_prompt"] == "alice's"
