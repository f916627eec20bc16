import io
import math
from typing import Any

import pytest
from PIL import Image

from lockgate.providers import (
    ChatMessage,
    ChatRequest,
    Finish,
    ImageRequest,
    ProviderBadRequest,
    ProviderBadResponse,
    ProviderRateLimited,
    ProviderTimeout,
    ProviderUnavailable,
    SimulatedProvider,
    SimulatedProviderConfig,
    StreamEvent,
    TextDelta,
    UsageReport,
    prompt_tokens_upper_bound,
)
from lockgate.providers.tokenizer import simulated_prompt_tokens
from tests.providers.wire import collect, collect_until_error


class Sleeps:
    """A no-op sleep that remembers how long it was asked to sleep."""

    def __init__(self) -> None:
        self.calls: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.calls.append(seconds)


def make(sleeps: Sleeps | None = None, **cfg: Any) -> SimulatedProvider:
    """A provider with directives on (they are off unless enabled; see test_simulated_bounds)."""
    config = SimulatedProviderConfig.model_validate(
        {"type": "simulated", "directives": True, **cfg}
    )
    return SimulatedProvider("sim", config, sleeps or Sleeps())


def ask(prompt: str, max_tokens: int = 500) -> ChatRequest:
    return ChatRequest("sim-small", [ChatMessage("user", prompt)], max_tokens)


def text_of(events: list[StreamEvent]) -> str:
    return "".join(event.text for event in events if isinstance(event, TextDelta))


def deltas(events: list[StreamEvent]) -> int:
    return sum(isinstance(event, TextDelta) for event in events)


async def reply(prompt: str, max_tokens: int = 500, **cfg: Any) -> list[StreamEvent]:
    return await collect(make(**cfg).stream_chat(ask(prompt, max_tokens)))


async def test_same_prompt_and_seed_give_the_same_reply() -> None:
    first = await reply("What is a circuit breaker?", seed=3)
    assert first == await reply("What is a circuit breaker?", seed=3)


async def test_different_seed_gives_a_different_reply() -> None:
    first = text_of(await reply("What is a circuit breaker?", seed=1))
    assert first != text_of(await reply("What is a circuit breaker?", seed=2))


async def test_reply_quotes_the_prompt() -> None:
    assert "What is a circuit breaker" in text_of(await reply("What is a circuit breaker?"))


async def test_stream_ends_with_usage_then_finish_stop() -> None:
    events = await reply("hello there")
    usage = events[-2]
    assert isinstance(usage, UsageReport)
    assert (usage.usage.output_tokens, events[-1]) == (deltas(events), Finish("stop"))


async def test_input_tokens_use_the_simulated_tokenizer_under_the_bound() -> None:
    request = ChatRequest(
        "sim-small",
        [ChatMessage("system", "Be nice 🙂"), ChatMessage("user", "你好\uff0c世界! naïve?")],
        100,
    )
    events = await collect(make().stream_chat(request))
    usage = next(event.usage for event in events if isinstance(event, UsageReport))
    expected = simulated_prompt_tokens(request.messages)
    assert expected <= prompt_tokens_upper_bound(request.messages)
    assert usage.input_tokens == expected


@pytest.mark.parametrize("max_tokens", [1, 3, 10])
async def test_max_tokens_caps_the_reply(max_tokens: int) -> None:
    events = await reply("Tell me a long story", max_tokens)
    assert (deltas(events), events[-1]) == (max_tokens, Finish("length"))


async def test_tokens_directive_forces_the_length() -> None:
    assert deltas(await reply("[[tokens:137]] go on")) == 137


async def test_tokens_directive_is_still_capped_by_max_tokens() -> None:
    assert deltas(await reply("[[tokens:137]] go on", max_tokens=20)) == 20


async def test_directives_are_not_echoed() -> None:
    assert "[[" not in text_of(await reply("[[tokens:30]] [[slow:9]] hello"))


async def test_sleeps_first_token_latency_then_per_token_interval() -> None:
    sleeps = Sleeps()
    events = await collect(
        make(sleeps, first_token_latency=0.5, tokens_per_second=4).stream_chat(ask("hi", 3))
    )
    assert (deltas(events), sleeps.calls) == (3, [0.5, 0.25, 0.25])


async def test_slow_directive_overrides_the_rate() -> None:
    sleeps = Sleeps()
    await collect(make(sleeps, first_token_latency=0).stream_chat(ask("[[slow:2]] hi", 2)))
    assert sleeps.calls == [0, 0.5]


async def test_fail_500_raises_unavailable_before_any_token() -> None:
    events, error = await collect_until_error(make().stream_chat(ask("[[fail:500]] hi")))
    assert (events, type(error), error.status) == ([], ProviderUnavailable, 500)


async def test_fail_429_raises_rate_limited_with_configured_retry_after() -> None:
    _, error = await collect_until_error(make(retry_after=7).stream_chat(ask("[[fail:429]]")))
    assert isinstance(error, ProviderRateLimited)
    assert error.retry_after == 7


async def test_fail_timeout_waits_then_raises_timeout() -> None:
    sleeps = Sleeps()
    provider = make(sleeps, first_token_latency=0.3)
    events, error = await collect_until_error(provider.stream_chat(ask("[[fail:timeout]]")))
    assert (events, type(error), sleeps.calls) == ([], ProviderTimeout, [0.3])


async def test_fail_cut_streams_some_tokens_then_unavailable() -> None:
    provider = make(cut_after_tokens=4)
    events, error = await collect_until_error(provider.stream_chat(ask("[[fail:cut]] hi")))
    assert (len(events), all(isinstance(e, TextDelta) for e in events)) == (4, True)
    assert (type(error), error.message) == (ProviderUnavailable, "stream cut")


async def test_fail_malformed_streams_two_tokens_then_bad_response() -> None:
    events, error = await collect_until_error(make().stream_chat(ask("[[fail:malformed]]")))
    assert (deltas(events), type(error)) == (2, ProviderBadResponse)


async def test_configured_failure_applies_to_every_call() -> None:
    _, error = await collect_until_error(make(failure="429").stream_chat(ask("hello")))
    assert isinstance(error, ProviderRateLimited)


async def test_directive_wins_over_configured_failure() -> None:
    _, error = await collect_until_error(make(failure="429").stream_chat(ask("[[fail:500]]")))
    assert isinstance(error, ProviderUnavailable)


@pytest.mark.parametrize("directive", ["[[fail:501]]", "[[slow:0]]", "[[tokens:many]]"])
async def test_bad_directive_is_bad_request(directive: str) -> None:
    with pytest.raises(ProviderBadRequest):
        await reply(directive)


async def test_directive_only_counts_in_the_last_user_message() -> None:
    messages = [
        ChatMessage("user", "[[fail:500]]"),
        ChatMessage("assistant", "ok"),
        ChatMessage("user", "fine now"),
    ]
    events = await collect(make().stream_chat(ChatRequest("sim", messages, 50)))
    assert events[-1] == Finish("stop")


async def _images(size: str = "320x200", n: int = 1, prompt: str = "a red fox") -> list[bytes]:
    images = await make(seed=5).generate_images(ImageRequest("sim-image", prompt, size, n))
    return [image.data for image in images]


async def test_images_are_pngs_of_the_requested_size() -> None:
    (data,) = await _images("320x200")
    with Image.open(io.BytesIO(data)) as image:
        assert (image.format, image.size) == ("PNG", (320, 200))


async def test_images_are_deterministic() -> None:
    assert await _images(n=2) == await _images(n=2)


async def test_images_in_one_batch_differ() -> None:
    first, second = await _images(n=2)
    assert first != second


async def test_images_render_non_latin_prompts() -> None:
    (data,) = await _images(prompt="東京の夜 🌃 naïve café")
    with Image.open(io.BytesIO(data)) as image:
        assert image.size == (320, 200)


@pytest.mark.parametrize("size", ["32x32", "4096x1024", "1024", "big", "100x-5", ""])
async def test_invalid_image_size_is_bad_request(size: str) -> None:
    with pytest.raises(ProviderBadRequest):
        await _images(size)


@pytest.mark.parametrize("n", [0, 11])
async def test_invalid_image_count_is_bad_request(n: int) -> None:
    with pytest.raises(ProviderBadRequest):
        await _images(n=n)


async def test_image_failure_directive_is_honoured() -> None:
    with pytest.raises(ProviderUnavailable):
        await _images(prompt="[[fail:500]] a cat")


def _cosine(a: list[float], b: list[float]) -> float:
    return sum(x * y for x, y in zip(a, b, strict=True))


async def test_embeddings_are_unit_vectors_of_dimension_64() -> None:
    result = await make().embed("sim-embed", ["hello world", "", "🙂"])
    norms = [math.sqrt(sum(v * v for v in vector)) for vector in result.vectors]
    assert ([len(v) for v in result.vectors], [round(n, 9) for n in norms]) == (
        [64, 64, 64],
        [1.0, 1.0, 1.0],
    )


async def test_near_duplicate_texts_are_closer_than_unrelated_ones() -> None:
    base = "how do I reset my account password"
    near = "How do I reset my account password?"
    far = "recipe for a chocolate cake with pears"
    vectors = (await make().embed("sim-embed", [base, near, far])).vectors
    assert _cosine(vectors[0], vectors[1]) > 0.99 > _cosine(vectors[0], vectors[2])


async def test_embeddings_report_input_tokens() -> None:
    result = await make().embed("sim-embed", ["one two", "three!"])
    assert (result.usage.input_tokens, result.usage.output_tokens) == (4, 0)


async def test_configured_failure_applies_to_embeddings() -> None:
    with pytest.raises(ProviderBadResponse):
        await make(failure="malformed").embed("sim-embed", ["x"])


async def test_list_models() -> None:
    assert await make().list_models() == ["sim-small", "sim-large", "sim-image", "sim-embed"]


def test_a_scoped_directive_only_affects_the_named_provider() -> None:
    from lockgate.providers.simulated import parse_directives

    text = "hi [[fail@alpha:500]] [[tokens@beta:3]]"
    alpha = parse_directives(text, provider="alpha")
    beta = parse_directives(text, provider="beta")
    assert (alpha.failure, alpha.tokens) == ("500", None)
    assert (beta.failure, beta.tokens) == (None, 3)
    assert alpha.text == beta.text == "hi"
