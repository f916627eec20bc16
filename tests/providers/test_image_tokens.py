"""The offline bound of an image's prompt tokens, per the providers' published formulas."""

from __future__ import annotations

import pytest

from lockgate.providers.image_tokens import (
    UNKNOWN_MAX_IMAGE_TOKENS,
    image_tokens,
    rule_for,
)


@pytest.mark.parametrize(
    ("width", "height", "tokens"),
    [
        (512, 512, 255),  # one tile
        (1024, 1024, 765),  # short side to 768: 2x2 tiles
        (2048, 4096, 1105),  # into 2048x2048 (1024x2048), short side 768 (768x1536): 2x3
        (4096, 8192, 1105),  # the same shape, any size
        (20_000, 30_000, 1105),  # a huge image: its shape, not its size, decides
        (1536, 4096, 1445),  # 768x2048: 2x4 tiles, the most there is
        (100, 10_000, 765),  # 20x2048: never scaled up, so 1x4 tiles
    ],
)
def test_openai_high_detail_tiles(width: int, height: int, tokens: int) -> None:
    assert image_tokens(rule_for("gpt-4o", None), width, height) == tokens


def test_openai_low_detail_is_the_base_alone() -> None:
    rule = rule_for("gpt-4o-2024-08-06", None)  # a dated snapshot finds its family
    assert image_tokens(rule, 4000, 3000, low_detail=True) == 85
    assert image_tokens(rule, None, None, low_detail=True) == 85


def test_unknown_size_is_the_models_maximum() -> None:
    assert image_tokens(rule_for("gpt-4o", None), None, None) == 1445
    assert image_tokens(rule_for("gpt-4o-mini", None), None, None) == 2833 + 8 * 5667
    assert image_tokens(rule_for("claude-sonnet-4-5-20250929", None), None, None) == 1667
    assert image_tokens(rule_for("gpt-4.1-mini", None), None, None) == 2489  # 1536 x 1.62


@pytest.mark.parametrize(
    ("width", "height", "tokens"),
    [
        (200, 200, 54),  # 40,000 / 750
        (1092, 1092, 1590),  # Anthropic's table: the largest 1:1 image kept as it is
        (784, 1568, 1640),  # its largest 1:2 image
        (8000, 8000, 1667),  # shrunk to 1.25 MP first: the maximum
        (1568, 400, 837),
    ],
)
def test_anthropic_area(width: int, height: int, tokens: int) -> None:
    assert image_tokens(rule_for("claude-haiku-4-5", None), width, height) == tokens


def test_patches_are_capped() -> None:
    rule = rule_for("o4-mini", None)
    assert image_tokens(rule, 64, 64) == 7  # 4 patches x 1.72
    assert image_tokens(rule, 10_000, 10_000) <= rule.max_tokens == 2642


def test_configured_maximum_caps_a_known_model_and_is_an_unknown_ones_rule() -> None:
    assert image_tokens(rule_for("gpt-4o", 500), 4000, 3000) == 500
    local = rule_for("llava:13b", None)
    assert image_tokens(local, 100, 100) == UNKNOWN_MAX_IMAGE_TOKENS
    assert image_tokens(rule_for("llava:13b", 576), 100, 100) == 576
