"""/v1 reads the fields it uses strictly: OpenAI's 400 ``invalid_request_error`` naming the
``param`` for a wrong type or range, with the official SDK as the client; unknown fields pass."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx2
import openai
import pytest

from lockgate.gateway import params, wire
from lockgate.images.schemas import MAX_PROMPT_CHARS
from tests.fixtures.appkit import ApiClient

CHAT = {"model": "sim-small", "messages": [{"role": "user", "content": "hi"}]}


@pytest.fixture
async def key(client: ApiClient) -> str:
    await client.register("wire@example.com")
    secret: str = (await client.post("/api/v1/keys", json={"name": "k"})).json()["key"]
    return secret


@pytest.fixture
async def sdk(key: str, app_state: tuple[Any, Any]) -> AsyncIterator[openai.AsyncOpenAI]:
    transport = httpx2.ASGITransport(app=app_state[0])  # the SDK's own httpx
    async with httpx2.AsyncClient(transport=transport) as http:
        yield openai.AsyncOpenAI(
            api_key=key, base_url="http://testserver/v1", http_client=http, max_retries=0
        )


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("max_tokens", True),  # was forwarded upstream as true
        ("max_completion_tokens", 2.5),
        ("max_tokens", 0),
        ("max_tokens", 10**30),
        ("n", True),  # True == 1 passed the n == 1 check
        ("n", 2),
        ("stream", "false"),  # bool("false") streamed
        ("temperature", False),
        ("temperature", "1"),
        ("temperature", 2.5),
        ("stream_options", "yes"),
    ],
)
async def test_chat_fields_of_the_wrong_type_are_refused(
    sdk: openai.AsyncOpenAI, field: str, value: Any
) -> None:
    with pytest.raises(openai.BadRequestError) as refused:
        await sdk.chat.completions.create(**CHAT, extra_body={field: value})  # type: ignore[call-overload]
    error = refused.value.body
    assert isinstance(error, dict)
    assert (error["type"], error["param"]) == ("invalid_request_error", field)


async def test_image_prompt_has_the_same_limit_as_the_web_api(
    sdk: openai.AsyncOpenAI, client: ApiClient
) -> None:
    prompt = "x" * (MAX_PROMPT_CHARS + 1)
    with pytest.raises(openai.BadRequestError) as refused:
        await sdk.images.generate(model="sim-image", prompt=prompt)
    web = await client.post("/api/v1/images", json={"prompt": prompt, "model": "sim-image"})
    assert (refused.value.body, web.status_code) == (
        {
            "message": f"prompt must be at most {MAX_PROMPT_CHARS} characters.",
            "type": "invalid_request_error",
            "code": "invalid_request_error",
            "param": "prompt",
        },
        422,
    )


@pytest.mark.parametrize(
    ("body", "param"),
    [
        ({"prompt": "a cat", "n": True}, "n"),
        ({"prompt": "a cat", "n": 5}, "n"),
        ({"prompt": 5}, "prompt"),
        ({"prompt": "a cat", "size": 256}, "size"),
        ({"prompt": "a cat", "model": ["sim-image"]}, "model"),
    ],
)
async def test_image_fields_of_the_wrong_type_are_refused(
    client: ApiClient, key: str, body: dict[str, Any], param: str
) -> None:
    response = await client.post(
        "/v1/images/generations", json=body, headers={"Authorization": f"Bearer {key}"}
    )
    assert response.status_code == 400, response.text
    assert response.json()["error"]["param"] == param


@pytest.mark.parametrize(
    ("body", "param"),
    [
        ({"model": "sim-embed", "input": [1, 2]}, "input"),
        ({"model": "sim-embed", "input": ["x"] * (params.MAX_EMBEDDING_INPUTS + 1)}, "input"),
        ({"model": 7, "input": "x"}, "model"),
    ],
)
async def test_embedding_fields_of_the_wrong_type_are_refused(
    client: ApiClient, key: str, body: dict[str, Any], param: str
) -> None:
    response = await client.post(
        "/v1/embeddings", json=body, headers={"Authorization": f"Bearer {key}"}
    )
    assert response.status_code == 400, response.text
    assert response.json()["error"]["param"] == param


def test_stream_false_as_a_boolean_does_not_stream_and_unknown_fields_pass() -> None:
    body = {**CHAT, "stream": False, "seed": 7, "response_format": {"type": "text"}}
    call = wire.parse_chat(body, 100)
    assert (call.stream, call.extra) == (False, {"seed": 7, "response_format": {"type": "text"}})


@pytest.mark.parametrize("role", [{}, ["user"], None, 7, "robot"])
def test_a_role_that_is_not_a_known_string_is_a_400(role: Any) -> None:
    body = {"model": "sim-small", "messages": [{"role": role, "content": "hi"}]}
    with pytest.raises(wire.InvalidRequest) as refused:
        wire.parse_chat(body, 100)
    assert refused.value.param == "messages[0].role"
