"""The simulated provider's directives are bounded, lazy, off unless enabled, and request-scoped.

A chat message is user input: `[[tokens:99999999999999999999999]]` once built the whole reply
before the `max_tokens` cap (gigabytes, the event loop frozen), and `[[fail:429]]` was honoured
in production. These pin the bounds in the provider itself; tests/chat checks them end to end.
"""

from __future__ import annotations

import tracemalloc
from typing import Any

import pytest

from lockgate.providers import (
    ChatMessage,
    ChatRequest,
    ImageRequest,
    ProviderBadRequest,
    ProviderRateLimited,
    ProviderUnavailable,
    SimulatedProvider,
    SimulatedProviderConfig,
    TextDelta,
)
from lockgate.providers.registry import build_provider
from lockgate.providers.simulated import MAX_DIRECTIVE_TOKENS, parse_directives
from tests.providers.wire import collect, collect_until_error


async def no_sleep(_seconds: float) -> None:
    return None


def provider(*, development: bool = False, **cfg: Any) -> SimulatedProvider:
    config = SimulatedProviderConfig.model_validate({"type": "simulated", **cfg})
    built = build_provider("sim", config, {}, sleep=no_sleep, development=development)
    assert isinstance(built, SimulatedProvider)
    return built


def ask(prompt: str, max_tokens: int = 50) -> ChatRequest:
    return ChatRequest("sim-small", [ChatMessage("user", prompt)], max_tokens)


def text_of(events: list[Any]) -> str:
    return "".join(event.text for event in events if isinstance(event, TextDelta))


@pytest.mark.parametrize(
    "directive",
    [
        "[[tokens:99999999999999999999999]]",
        f"[[tokens:{MAX_DIRECTIVE_TOKENS + 1}]]",
        "[[tokens:-1]]",
        "[[slow:inf]]",
        "[[slow:nan]]",
        "[[slow:0.0001]]",
        "[[slow:1e300]]",
    ],
)
async def test_an_out_of_range_directive_is_a_bad_request(directive: str) -> None:
    _, error = await collect_until_error(provider(development=True).stream_chat(ask(directive)))
    assert (type(error), error.injected) == (ProviderBadRequest, True)


async def test_a_huge_reply_is_never_built_past_max_tokens() -> None:
    sim = provider(development=True)
    tracemalloc.start()
    try:
        events = await collect(sim.stream_chat(ask(f"x [[tokens:{MAX_DIRECTIVE_TOKENS}]]", 5)))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert sum(isinstance(e, TextDelta) for e in events) == 5
    # The whole million-token reply is ~60 MB of str objects; five tokens are a few KB.
    assert peak < 1_000_000


def test_unterminated_openings_are_scanned_in_linear_time() -> None:
    text = "[[tokens:" * 12_000  # ~100 KB, the chat message limit, with no closing "]]"
    assert parse_directives(text, provider="sim").tokens is None


async def test_directives_are_off_outside_development() -> None:
    events = await collect(provider(development=False).stream_chat(ask("hi [[fail:500]]")))
    assert "[[fail:500]]" in text_of(events)


async def test_directives_are_on_in_development() -> None:
    with pytest.raises(ProviderUnavailable):
        await collect(provider(development=True).stream_chat(ask("hi [[fail:500]]")))


async def test_the_operator_setting_wins_over_the_environment() -> None:
    off = await collect(
        provider(development=True, directives=False).stream_chat(ask("[[fail:500]]"))
    )
    assert "[[fail:500]]" in text_of(off)
    with pytest.raises(ProviderUnavailable):
        await collect(provider(directives=True).stream_chat(ask("[[fail:500]]")))


async def test_image_directives_are_off_outside_development() -> None:
    images = await provider().generate_images(ImageRequest("sim-image", "[[fail:500]]", "64x64", 1))
    assert len(images) == 1


async def test_a_directive_failure_is_marked_injected() -> None:
    _, error = await collect_until_error(
        provider(development=True).stream_chat(ask("[[fail:429]]"))
    )
    assert (type(error), error.injected) == (ProviderRateLimited, True)


async def test_a_configured_failure_is_not_injected() -> None:
    _, error = await collect_until_error(provider(failure="429").stream_chat(ask("hello")))
    assert (type(error), error.injected) == (ProviderRateLimited, False)


async def test_too_many_embedding_inputs_are_a_bad_request() -> None:
    with pytest.raises(ProviderBadRequest):
        await provider().embed("sim-embed", ["x"] * 2049)


@pytest.mark.parametrize("size", ["9" * 5000 + "x64", "64x" + "1" * 400])
async def test_an_absurd_image_size_is_a_bad_request(size: str) -> None:
    with pytest.raises(ProviderBadRequest):
        await provider().generate_images(ImageRequest("sim-image", "a cat", size, 1))
