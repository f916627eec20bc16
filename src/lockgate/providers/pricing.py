"""What a call costs, in exact Decimal USD.

Two kinds of number, rounded differently on purpose (both to 1e-8 USD):

* `upper_bound_cost` is what the budget *reserves* before a call. It rounds up
  (ROUND_CEILING) so a reservation is never a fraction of a unit short.
* `cost` is what the budget *settles* after, from the usage the upstream reported. It rounds
  half-even, the unbiased rule, so a ledger of millions of rows does not drift.

>>> price = Price(input_per_mtok=Decimal("0.15"), output_per_mtok=Decimal("0.60"))
>>> cost(price, Usage(input_tokens=1000, output_tokens=500))
Decimal('0.00045000')
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import ROUND_CEILING, ROUND_HALF_EVEN, Decimal
from types import MappingProxyType

from lockgate.providers.base import ChatMessage, Usage
from lockgate.providers.config import Price
from lockgate.providers.tokenizer import prompt_tokens_upper_bound

QUANTUM = Decimal("0.00000001")
_MILLION = Decimal(1_000_000)


def _p(input_per_mtok: str = "0", output_per_mtok: str = "0", per_image: str = "0") -> Price:
    return Price(
        input_per_mtok=Decimal(input_per_mtok),
        output_per_mtok=Decimal(output_per_mtok),
        per_image=Decimal(per_image),
    )


# List prices as of 2025-11 (USD, standard tier, no batch/cache discounts, no long-context
# surcharges: Sonnet 4/4.5 above 200K input tokens bill 2x, so configure a `price:` if you enable
# 1M context). A configured `price:` in lockgate.yaml always wins over this table.
# Image models are priced at their worst case among the sizes/qualities our requests can produce
# (we do not send `quality`, and gpt-image-1 then picks "auto", which may be high), because the
# per-image price is also what the budget reserves: dall-e-3 standard 1024x1024 is $0.04, its
# 1792-wide sizes $0.08; gpt-image-1 medium 1024x1024 is ~$0.042, high 1536x1024 $0.25.
BUILTIN_PRICES: Mapping[str, Price] = MappingProxyType(
    {
        # OpenAI chat
        "gpt-5": _p("1.25", "10.00"),
        "gpt-5-mini": _p("0.25", "2.00"),
        "gpt-5-nano": _p("0.05", "0.40"),
        "gpt-4.1": _p("2.00", "8.00"),
        "gpt-4.1-mini": _p("0.40", "1.60"),
        "gpt-4.1-nano": _p("0.10", "0.40"),
        "gpt-4o": _p("2.50", "10.00"),
        "gpt-4o-mini": _p("0.15", "0.60"),
        "gpt-4-turbo": _p("10.00", "30.00"),
        "gpt-3.5-turbo": _p("0.50", "1.50"),
        "o1": _p("15.00", "60.00"),
        "o1-mini": _p("1.10", "4.40"),
        "o3": _p("2.00", "8.00"),
        "o3-mini": _p("1.10", "4.40"),
        "o4-mini": _p("1.10", "4.40"),
        # OpenAI embeddings
        "text-embedding-3-small": _p("0.02"),
        "text-embedding-3-large": _p("0.13"),
        "text-embedding-ada-002": _p("0.10"),
        # OpenAI images
        "dall-e-2": _p(per_image="0.02"),
        "dall-e-3": _p(per_image="0.08"),
        "gpt-image-1": _p(per_image="0.25"),
        # Anthropic
        "claude-opus-4": _p("15.00", "75.00"),
        "claude-opus-4-1": _p("15.00", "75.00"),
        "claude-opus-4-5": _p("5.00", "25.00"),
        "claude-sonnet-4": _p("3.00", "15.00"),
        "claude-sonnet-4-5": _p("3.00", "15.00"),
        "claude-haiku-4-5": _p("1.00", "5.00"),
        "claude-3-7-sonnet": _p("3.00", "15.00"),
        "claude-3-5-sonnet": _p("3.00", "15.00"),
        "claude-3-5-haiku": _p("0.80", "4.00"),
        "claude-3-opus": _p("15.00", "75.00"),
        "claude-3-haiku": _p("0.25", "1.25"),
    }
)

_ZERO = Price()


def builtin_price(model_name: str) -> Price | None:
    """The table's price for an upstream name, or None when the table does not know it.

    An exact entry wins; otherwise the longest entry that is a prefix followed by "-", so dated
    snapshots (`claude-3-5-haiku-20241022`, `gpt-4o-mini-2024-07-18`) find their family but
    `gpt-4.5` never borrows a `gpt-4` price. `check-config` can use None to warn about a hosted
    model that would otherwise be treated as free.
    """
    if model_name in BUILTIN_PRICES:
        return BUILTIN_PRICES[model_name]
    matches = [key for key in BUILTIN_PRICES if model_name.startswith(key + "-")]
    return BUILTIN_PRICES[max(matches, key=len)] if matches else None


def price_for(model_name: str, configured: Price | None) -> Price:
    """The price to charge: the configured one, else the table's, else zero (local models)."""
    if configured is not None:
        return configured
    return builtin_price(model_name) or _ZERO


def cost(price: Price, usage: Usage) -> Decimal:
    """The actual cost of a finished call, rounded half-even to 1e-8 USD."""
    raw = (
        usage.input_tokens * price.input_per_mtok + usage.output_tokens * price.output_per_mtok
    ) / _MILLION
    return raw.quantize(QUANTUM, rounding=ROUND_HALF_EVEN)


def upper_bound_cost(
    price: Price, messages: Sequence[ChatMessage], max_tokens: int, *, extra_input: int = 0
) -> Decimal:
    """The most a chat call can cost: the prompt upper bound (plus `extra_input` tokens the
    text does not show, e.g. its images) plus `max_tokens` of output."""
    raw = (
        (prompt_tokens_upper_bound(messages) + extra_input) * price.input_per_mtok
        + max_tokens * price.output_per_mtok
    ) / _MILLION
    return raw.quantize(QUANTUM, rounding=ROUND_CEILING)


def image_cost(price: Price, n: int) -> Decimal:
    """The cost of `n` images; known before the call, so rounded up like a reservation."""
    return (price.per_image * n).quantize(QUANTUM, rounding=ROUND_CEILING)
