"""Images in messages on every endpoint, against a real `lockgate serve`: ``/v1/messages``
image blocks with the `anthropic` SDK and ``/v1/chat/completions`` image parts with the `openai`
SDK, to the simulated provider, a local OpenAI-format fake and a local Anthropic fake: passed
through or translated, never fetched, refused without vision, capped, and bounded in the budget."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from typing import Any

import anthropic
import httpx
import openai
import pytest

from tests.fixtures.fake_anthropic import FakeAnthropic
from tests.fixtures.fake_openai import REPLY, FakeOpenAI
from tests.fixtures.gateway_world import (
    MAX_IMAGES,
    Recorder,
    account,
    base64_block,
    client,
    close_clients,
    hi,
    image_turn,
    new_key,
    png,
    sdk,
    server,
    url_block,
)
from tests.fixtures.ports import LOOPBACK
from tests.fixtures.serve import LockgateServer

pytestmark = pytest.mark.slow
__all__ = ["account", "client", "close_clients", "server"]  # fixtures


def test_images_pass_through_to_an_anthropic_upstream(
    client: anthropic.Anthropic, claude: FakeAnthropic
) -> None:
    data = png(64, 48)
    blocks = (base64_block(data), url_block("https://images.example/cat.png"))
    client.messages.create(model="fake-claude", max_tokens=20, messages=image_turn(*blocks))
    assert claude.requests[-1]["messages"][0]["content"][:2] == list(blocks)


def test_images_are_translated_for_an_openai_upstream(
    client: anthropic.Anthropic, upstream: FakeOpenAI
) -> None:
    data = png(64, 48)
    blocks = (base64_block(data), url_block("https://images.example/cat.png"))
    client.messages.create(model="fake-gpt", max_tokens=20, messages=image_turn(*blocks))
    assert upstream.requests[-1]["messages"][0]["content"] == [
        {"type": "image_url", "image_url": {"url": f"data:image/png;base64,{data}"}},
        {"type": "image_url", "image_url": {"url": "https://images.example/cat.png"}},
        {"type": "text", "text": "What is this?"},
    ]


def test_images_reach_the_simulated_provider(client: anthropic.Anthropic) -> None:
    message = client.messages.create(
        model="sim-small", max_tokens=30, messages=image_turn(base64_block(png(32, 32)))
    )
    assert message.content


@pytest.mark.parametrize("model", ["fake-gpt", "fake-claude", "sim-small"])
def test_an_image_url_is_never_fetched(client: anthropic.Anthropic, model: str) -> None:
    with Recorder() as recorder:
        url = f"http://{LOOPBACK}:{recorder.port}/internal/secret.png"
        client.messages.create(model=model, max_tokens=10, messages=image_turn(url_block(url)))
        assert recorder.paths == []


def test_a_model_without_vision_refuses_images(client: anthropic.Anthropic) -> None:
    with pytest.raises(anthropic.BadRequestError) as info:
        client.messages.create(
            model="sim-blind", max_tokens=10, messages=image_turn(base64_block(png(8, 8)))
        )
    assert info.value.error_code == "images_not_supported"


def test_image_limits(client: anthropic.Anthropic) -> None:
    small = base64_block(png(8, 8))
    with pytest.raises(anthropic.BadRequestError) as many:
        client.messages.create(
            model="sim-small", max_tokens=10, messages=image_turn(*[small] * (MAX_IMAGES + 1))
        )
    assert many.value.error_code == "too_many_images"
    noise = base64.b64encode(bytes(range(256)) * 40).decode()  # 10 kB: over the cap
    with pytest.raises(anthropic.ContentTooLargeError) as large:
        client.messages.create(
            model="sim-small", max_tokens=10, messages=image_turn(base64_block(noise))
        )
    assert large.value.error_code == "image_too_large"
    text = base64.b64encode(b"just some text, not an image").decode()
    with pytest.raises(anthropic.BadRequestError) as fake:
        client.messages.create(
            model="sim-small", max_tokens=10, messages=image_turn(base64_block(text))
        )
    assert fake.value.error_code == "invalid_image"
    with pytest.raises(anthropic.BadRequestError) as mislabelled:
        client.messages.create(
            model="sim-small",
            max_tokens=10,
            messages=image_turn(base64_block(png(8, 8), "image/jpeg")),
        )
    assert mislabelled.value.error_code == "invalid_image"


# -- images on /v1/chat/completions (the openai SDK) ---------------------------------------------


@pytest.fixture
def openai_client(server: LockgateServer, account: httpx.Client) -> Iterator[openai.OpenAI]:
    with openai.OpenAI(
        base_url=f"{server.url}/v1", api_key=new_key(account), max_retries=0
    ) as client:
        yield client


def chat_image_turn(*urls: str, detail: str = "auto") -> list[Any]:
    parts = [{"type": "image_url", "image_url": {"url": url, "detail": detail}} for url in urls]
    return [{"role": "user", "content": [{"type": "text", "text": "What is this?"}, *parts]}]


def test_chat_image_parts_pass_through_to_an_openai_upstream(
    openai_client: openai.OpenAI, upstream: FakeOpenAI
) -> None:
    messages = chat_image_turn(
        f"data:image/png;base64,{png(40, 30)}", "https://images.example/cat.png"
    )
    reply = openai_client.chat.completions.create(model="fake-gpt", messages=messages)
    assert reply.choices[0].message.content == "".join(REPLY)
    assert upstream.requests[-1]["messages"] == messages  # untouched


def test_chat_image_parts_become_anthropic_image_blocks(
    openai_client: openai.OpenAI, claude: FakeAnthropic
) -> None:
    data = png(40, 30)
    openai_client.chat.completions.create(
        model="fake-claude",
        messages=chat_image_turn(f"data:image/png;base64,{data}", "https://images.example/c.png"),
    )
    assert claude.requests[-1]["messages"][0]["content"] == [
        {"type": "text", "text": "What is this?"},
        base64_block(data),
        url_block("https://images.example/c.png"),
    ]


def test_chat_images_on_the_simulated_provider_and_refusals(openai_client: openai.OpenAI) -> None:
    ok = openai_client.chat.completions.create(
        model="sim-small", messages=chat_image_turn(f"data:image/png;base64,{png(16, 16)}")
    )
    assert ok.choices[0].message.content
    with pytest.raises(openai.BadRequestError) as blind:
        openai_client.chat.completions.create(
            model="sim-blind", messages=chat_image_turn("https://images.example/x.png")
        )
    assert blind.value.code == "images_not_supported"
    with pytest.raises(openai.BadRequestError) as many:
        openai_client.chat.completions.create(
            model="sim-small",
            messages=chat_image_turn(*["https://images.example/x.png"] * (MAX_IMAGES + 1)),
        )
    assert many.value.code == "too_many_images"
    noise = base64.b64encode(bytes(range(256)) * 40).decode()
    with pytest.raises(openai.APIStatusError) as large:
        openai_client.chat.completions.create(
            model="sim-small", messages=chat_image_turn(f"data:image/png;base64,{noise}")
        )
    assert (large.value.status_code, large.value.code) == (413, "image_too_large")
    text = base64.b64encode(b"plain text").decode()
    with pytest.raises(openai.BadRequestError) as fake:
        openai_client.chat.completions.create(
            model="sim-small", messages=chat_image_turn(f"data:image/png;base64,{text}")
        )
    assert fake.value.code == "invalid_image"
    assert fake.value.param == "messages[0].content[1].image_url.url"


def test_chat_image_url_is_never_fetched(openai_client: openai.OpenAI) -> None:
    with Recorder() as recorder:
        url = f"http://{LOOPBACK}:{recorder.port}/metadata/secret.png"
        for model in ("fake-gpt", "fake-claude", "sim-small"):
            openai_client.chat.completions.create(model=model, messages=chat_image_turn(url))
        assert recorder.paths == []


def test_the_budget_reserves_each_images_bound(
    server: LockgateServer, account: httpx.Client
) -> None:
    """sim-small is unknown to the image table: 16,384 tokens per image at $1/M is $0.016, over
    this key's $0.01 a day, though the same request without the image costs far less."""
    client = sdk(server, new_key(account, daily_budget_usd="0.01"))
    assert client.messages.create(model="sim-small", max_tokens=5, messages=hi()).content
    with pytest.raises(anthropic.RateLimitError) as info:
        client.messages.create(
            model="sim-small",
            max_tokens=5,
            messages=image_turn(url_block("https://images.example/x.png")),
        )
    assert info.value.error_code == "budget_exceeded"


def test_models_say_which_take_images(openai_client: openai.OpenAI) -> None:
    vision = {
        model.id: (model.model_extra or {})["lockgate"]["vision"]
        for model in openai_client.models.list()
    }
    assert (vision["sim-small"], vision["fake-claude"], vision["sim-blind"]) == (True, True, False)


def test_endpoints_taking_images_have_their_own_body_limit(
    server: LockgateServer, account: httpx.Client
) -> None:
    """1.5 MB passes on /v1/messages (not on /api); over its own limit it is Anthropic's 413."""
    headers = {"x-api-key": new_key(account)}
    big = {"model": "sim-small", "messages": hi("word " * 300_000)}
    counted = httpx.post(f"{server.url}/v1/messages/count_tokens", json=big, headers=headers)
    assert counted.status_code == 200, counted.text
    web = account.post("/api/v1/conversations", json={"title": "x" * 1_500_000})
    assert web.status_code == 413
    huge = {"model": "sim-small", "messages": hi("word " * 500_000)}
    refused = httpx.post(f"{server.url}/v1/messages/count_tokens", json=huge, headers=headers)
    assert refused.status_code == 413
    assert refused.json()["error"]["type"] == "request_too_large"
    assert refused.json()["error"]["details"]["error_code"] == "payload_too_large"
