from collections.abc import Mapping

import pytest

from lockgate.providers import (
    AnthropicProvider,
    ChatMessage,
    ChatRequest,
    OpenAIProvider,
    ProviderConfig,
    ProviderRegistry,
    SimulatedProvider,
    UnknownProvider,
)
from lockgate.providers.config import (
    AnthropicProviderConfig,
    OpenAIProviderConfig,
    SimulatedProviderConfig,
)
from tests.providers.wire import OPENAI_STREAM, Upstream, collect, event_stream, json_reply

CONFIGS: Mapping[str, ProviderConfig] = {
    "openai": OpenAIProviderConfig(type="openai", api_key_env="OPENAI_API_KEY"),
    "claude": AnthropicProviderConfig(type="anthropic"),
    "sim": SimulatedProviderConfig(type="simulated"),
}


async def _noop_sleep(seconds: float) -> None:
    return None


def test_each_config_type_builds_its_provider() -> None:
    registry = ProviderRegistry(CONFIGS, {})
    kinds = [type(registry.get(name)) for name in registry.names()]
    assert kinds == [OpenAIProvider, AnthropicProvider, SimulatedProvider]


def test_unknown_name_raises_a_clear_key_error() -> None:
    registry = ProviderRegistry(CONFIGS, {})
    with pytest.raises(KeyError) as caught:
        registry.get("gemini")
    assert (type(caught.value), str(caught.value)) == (
        UnknownProvider,
        "unknown provider 'gemini' (configured: openai, claude, sim)",
    )


def _local(upstream: Upstream) -> dict[str, ProviderConfig]:
    return {
        "openai": OpenAIProviderConfig(
            type="openai", api_key_env="OPENAI_API_KEY", base_url=f"{upstream.url}/v1"
        ),
        "claude": AnthropicProviderConfig(type="anthropic", base_url=upstream.url),
        "sim": SimulatedProviderConfig(type="simulated"),
    }


async def test_api_key_comes_from_environ(upstream: Upstream) -> None:
    upstream.reply(event_stream(OPENAI_STREAM))
    request = ChatRequest("gpt-4o-mini", [ChatMessage("user", "hi")], 5)
    async with ProviderRegistry(_local(upstream), {"OPENAI_API_KEY": "sk-env"}) as registry:
        await collect(registry.get("openai").stream_chat(request))
    assert upstream.last.headers["authorization"] == "Bearer sk-env"


async def test_aclose_closes_every_session(upstream: Upstream) -> None:
    upstream.reply(json_reply({"data": [], "has_more": False}))
    async with ProviderRegistry(_local(upstream), {}) as registry:
        for name in ("openai", "claude"):
            await registry.get(name).list_models()
        await upstream.wait_for_connections(2)  # one kept-alive connection per provider
    await upstream.wait_for_connections(0)
    assert upstream.connections_opened == 2


def test_building_providers_needs_no_event_loop() -> None:
    """Sessions are created on first use: constructing outside a loop is fine (and leaks none)."""
    registry = ProviderRegistry(CONFIGS, {})
    assert [repr(registry.get(name)) for name in ("openai", "claude")] == [
        "<OpenAIProvider 'openai' https://api.openai.com/v1>",
        "<AnthropicProvider 'claude' https://api.anthropic.com>",
    ]


async def test_injected_sleep_reaches_simulated_providers() -> None:
    slept: list[float] = []

    async def sleep(seconds: float) -> None:
        slept.append(seconds)

    registry = ProviderRegistry(CONFIGS, {}, sleep=sleep)
    request = ChatRequest("sim-small", [ChatMessage("user", "hi")], 2)
    await collect(registry.get("sim").stream_chat(request))
    assert slept == [0.2, 1 / 40]
