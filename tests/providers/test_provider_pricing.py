from decimal import Decimal

import pytest

from lockgate.providers import (
    BUILTIN_PRICES,
    ChatMessage,
    Price,
    Usage,
    cost,
    image_cost,
    price_for,
    prompt_tokens_upper_bound,
    upper_bound_cost,
)
from lockgate.providers.pricing import builtin_price
from lockgate.providers.tokenizer import simulated_prompt_tokens

MINI = Price(input_per_mtok=Decimal("0.15"), output_per_mtok=Decimal("0.60"))


def test_cost_is_exact_decimal() -> None:
    assert cost(MINI, Usage(input_tokens=1_234, output_tokens=567)) == Decimal("0.00052530")


def test_cost_rounds_half_even() -> None:
    # 1 token at $0.005/Mtok = 0.000000005 USD: exactly half a quantum, rounds to even (0).
    price = Price(input_per_mtok=Decimal("0.005"))
    assert cost(price, Usage(1, 0)) == Decimal("0E-8")


def test_upper_bound_rounds_up() -> None:
    price = Price(input_per_mtok=Decimal("0.001"))
    messages = [ChatMessage("user", "")]  # 7 framing tokens -> 0.000000007 USD
    assert upper_bound_cost(price, messages, max_tokens=0) == Decimal("0.00000001")


def test_upper_bound_prices_bound_prompt_and_max_tokens() -> None:
    messages = [ChatMessage("user", "hello")]  # 5 bytes + 4 + 3 = 12
    expected = (12 * Decimal("0.15") + 100 * Decimal("0.60")) / 1_000_000
    assert upper_bound_cost(MINI, messages, max_tokens=100) == expected.quantize(Decimal("1e-8"))


@pytest.mark.parametrize(
    "text",
    [
        "hi",
        "Explain TCP slow start in detail. " * 30,
        "数据库连接池的大小应该如何设置\uff1f",
        "🙂🎉👍🏽" * 9,
    ],
)
def test_upper_bound_is_never_below_an_actual_call(text: str) -> None:
    messages = [ChatMessage("system", "You are terse."), ChatMessage("user", text)]
    max_tokens = 256
    actual_input = simulated_prompt_tokens(messages)
    for output in (0, 1, max_tokens):
        actual = cost(MINI, Usage(actual_input, output))
        assert upper_bound_cost(MINI, messages, max_tokens) >= actual
    assert actual_input <= prompt_tokens_upper_bound(messages)


def test_image_cost_is_per_image() -> None:
    assert image_cost(Price(per_image=Decimal("0.04")), 3) == Decimal("0.12000000")


def test_configured_price_wins_over_the_table() -> None:
    assert price_for("gpt-4o", MINI) is MINI


def test_exact_name_is_found() -> None:
    assert price_for("gpt-4o", None) == BUILTIN_PRICES["gpt-4o"]


@pytest.mark.parametrize(
    ("model", "family"),
    [
        ("claude-3-5-haiku-20241022", "claude-3-5-haiku"),
        ("gpt-4o-mini-2024-07-18", "gpt-4o-mini"),
        ("gpt-4o-2024-08-06", "gpt-4o"),
        ("o3-mini-2025-01-31", "o3-mini"),
        ("claude-sonnet-4-20250514", "claude-sonnet-4"),
        ("claude-opus-4-5-20251101", "claude-opus-4-5"),
    ],
)
def test_dated_snapshot_uses_the_longest_family_prefix(model: str, family: str) -> None:
    assert price_for(model, None) == BUILTIN_PRICES[family]


@pytest.mark.parametrize("model", ["llama3.1:8b", "gpt-4o.5", "my-gpt-4o", "gpt-4"])
def test_unknown_model_is_free(model: str) -> None:
    assert price_for(model, None) == Price()


def test_builtin_price_tells_unknown_from_free() -> None:
    assert (builtin_price("llama3.1:8b"), builtin_price("gpt-4o")) == (
        None,
        BUILTIN_PRICES["gpt-4o"],
    )


def test_listed_prices_are_as_documented() -> None:
    assert (
        BUILTIN_PRICES["gpt-4o"].input_per_mtok,
        BUILTIN_PRICES["claude-opus-4"].output_per_mtok,
        BUILTIN_PRICES["text-embedding-3-small"].input_per_mtok,
    ) == (Decimal("2.50"), Decimal("75.00"), Decimal("0.02"))
