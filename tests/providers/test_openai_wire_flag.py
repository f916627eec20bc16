"""`openai_wire` trusts a class flag instead of a per-request protocol check: the flag must agree
with the protocol for every provider class, or /v1 would translate a body it could pass through
(or pass one to a provider that cannot take it)."""

from __future__ import annotations

from typing import cast

import pytest

from lockgate.providers.anthropic import AnthropicProvider
from lockgate.providers.base import AnthropicWire, OpenAIWire, openai_wire
from lockgate.providers.openai import OpenAIProvider
from lockgate.providers.simulated import SimulatedProvider

WIRE_METHODS = [n for n in vars(OpenAIWire) if n.startswith("chat_completion")]


def test_the_protocol_has_its_methods() -> None:
    assert sorted(WIRE_METHODS) == ["chat_completion", "chat_completion_stream"]


@pytest.mark.parametrize("cls", [OpenAIProvider, AnthropicProvider, SimulatedProvider])
def test_flag_agrees_with_the_protocol(cls: type) -> None:
    speaks = all(callable(getattr(cls, name, None)) for name in WIRE_METHODS)
    assert getattr(cls, "speaks_openai_wire", False) is speaks


ANTHROPIC_METHODS = ["messages", "messages_stream", "count_tokens"]


@pytest.mark.parametrize("cls", [OpenAIProvider, AnthropicProvider, SimulatedProvider])
def test_the_anthropic_flag_agrees_with_the_protocol(cls: type) -> None:
    assert all(name in vars(AnthropicWire) for name in ANTHROPIC_METHODS)
    speaks = all(callable(getattr(cls, name, None)) for name in ANTHROPIC_METHODS)
    assert getattr(cls, "speaks_anthropic_wire", False) is speaks


def test_openai_wire_returns_the_provider_or_none() -> None:
    class Speaks:
        speaks_openai_wire = True

    class Silent:
        pass

    speaker = Speaks()
    assert openai_wire(speaker) is cast(object, speaker)
    assert openai_wire(Silent()) is None
