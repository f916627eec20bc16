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
from tests.providers.wire import OPENAI_STREAM, collect, event_stream

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


async def test_api_key_comes_from_environ_and_transport_is_used() -> None:
    exchange = event_stream(OPENAI_STREAM)
    registry = ProviderRegistry(
        CONFIGS, {"OPENAI_API_KEY": "sk-env"}, transports={"openai": exchange.transport}
    )
    request = ChatRequest("gpt-4o-mini", [ChatMessage("user", "hi")], 5)
    await collect(registry.get("openai").stream_chat(request))
    assert exchange.last.headers["authorization"] == "Bearer sk-env"


async def test_aclose_closes_every_client() -> None:
    exchanges = {name: event_stream(b"") for name in ("openai", "claude")}
    registry = ProviderRegistry(
        CONFIGS, {}, transports={name: e.transport for name, e in exchanges.items()}
    )
    async with registry:
        pass
    assert [e.closed for e in exchanges.values()] == [True, True]


async def test_injected_sleep_reaches_simulated_providers() -> None:
    slept: list[float] = []

    async def sleep(seconds: float) -> None:
        slept.append(seconds)

    registry = ProviderRegistry(CONFIGS, {}, sleep=sleep)
    request = ChatRequest("sim-small", [ChatMessage("user", "hi")], 2)
    await collect(registry.get("sim").stream_chat(request))
    assert slept == [0.2, 1 / 40]
