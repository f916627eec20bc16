"""A chat turn's images in the budget's reservation (calls.candidates.plan): each at its
candidate model's maximum, on top of the text's bound."""

from __future__ import annotations

from decimal import Decimal

from lockgate.calls.candidates import Candidate, plan
from lockgate.providers.base import ChatMessage
from lockgate.providers.config import ModelConfig, Price, SimulatedProviderConfig
from lockgate.providers.simulated import SimulatedProvider

PRICE = Price(input_per_mtok=Decimal("2.5"), output_per_mtok=Decimal("10"))


def candidate(upstream: str, max_image_tokens: int | None = None) -> Candidate:
    config = ModelConfig(
        provider="p",
        upstream=upstream,
        context_window=128_000,
        vision=True,
        max_image_tokens=max_image_tokens,
    )
    provider = SimulatedProvider("p", SimulatedProviderConfig(type="simulated"))
    return Candidate("public", config, "p", provider, PRICE)


def test_images_add_their_models_maximum_to_the_reservation() -> None:
    text = [ChatMessage("user", "What is this?")]
    pictured = [ChatMessage("user", "What is this?", ("https://x/a.png", "https://x/b.png"))]
    chosen = candidate("gpt-4o")
    bare = plan(chosen, "", text, max_tokens=100, temperature=None)
    both = plan(chosen, "", pictured, max_tokens=100, temperature=None)
    assert both.tokens - bare.tokens == 2 * 1445
    assert both.upper_bound - bare.upper_bound == Decimal(2 * 1445) * PRICE.input_per_mtok / 10**6
    capped = plan(candidate("gpt-4o", 100), "", pictured, max_tokens=100, temperature=None)
    assert capped.tokens - bare.tokens == 200
