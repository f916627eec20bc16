"""How many prompt tokens an input image can cost, offline: the budget's bound for vision.

An image's bytes say nothing about its tokens (a 4 MB photo and a 40 kB screenshot may cost the
same), so the budget reserves what the provider's own published formula gives, per model:

* ``tiles`` (OpenAI's GPT-4o family, o-series, gpt-5): the image is scaled to fit 2048x2048,
  then its short side to 768; high detail costs ``base + per_tile`` for every 512-px tile, at
  most 2x4 = 8 tiles; low detail costs ``base`` alone. gpt-4o: 85 + 170 per tile -> at most
  1,445; gpt-4o-mini: 2,833 + 5,667 per tile -> 48,169 (same dollars, more tokens).
* ``patches`` (gpt-4.1-mini/nano, o4-mini, gpt-5-mini/nano): 32-px patches, at most 1,536 of
  them, times the model's multiplier (1.62, 2.46, 1.72).
* ``area`` (Anthropic): the long edge is shrunk to 1,568 px and the area to what Anthropic's
  size table allows (its largest entry, 784 x 1,568, is 1.23 MP; we take 1.25 MP), then
  ``width x height / 750``: "about 1,600" in Anthropic's words, 1,667 at most here.

``max_tokens`` is the figure for an image of unknown size (a URL, which Lockgate never fetches,
or a data URL whose header cannot be read); with the real width and height the formula usually
gives less. A model missing from the table gets `UNKNOWN_MAX_IMAGE_TOKENS` unless its
``max_image_tokens`` is configured.

>>> image_tokens(rule_for("gpt-4o", None), 1024, 1024)
765
>>> image_tokens(rule_for("gpt-4o", None), None, None)
1445
>>> image_tokens(rule_for("claude-sonnet-4-5", None), 200, 200)
54
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, replace
from types import MappingProxyType
from typing import Literal

# Qwen2-VL's default ceiling (max_pixels / 28^2): the largest per-image figure among the open
# vision models an OpenAI-compatible server commonly runs. Configure `max_image_tokens` to
# tighten it for a model that is not in the table.
UNKNOWN_MAX_IMAGE_TOKENS = 16_384
_TILE = 512
_PATCH = 32
_MAX_PATCHES = 1536
_ANTHROPIC_LONG_EDGE = 1568
_ANTHROPIC_MAX_PIXELS = 1_250_000


@dataclass(frozen=True, slots=True)
class ImageTokenRule:
    """One model's image formula (see the module docstring) and its worst case."""

    kind: Literal["tiles", "patches", "area", "fixed"]
    max_tokens: int
    base: int = 0
    per_tile: int = 0
    multiplier: float = 1.0


def _tiles(base: int, per_tile: int) -> ImageTokenRule:
    return ImageTokenRule("tiles", base + 8 * per_tile, base=base, per_tile=per_tile)


def _patches(multiplier: float) -> ImageTokenRule:
    return ImageTokenRule("patches", math.ceil(_MAX_PATCHES * multiplier), multiplier=multiplier)


_AREA = ImageTokenRule("area", math.ceil(_ANTHROPIC_MAX_PIXELS / 750))

# Upstream model name (or family prefix, as in pricing.BUILTIN_PRICES) -> its rule.
BUILTIN_IMAGE_RULES: Mapping[str, ImageTokenRule] = MappingProxyType(
    {
        "gpt-5": _tiles(70, 140),
        "gpt-5-mini": _patches(1.62),
        "gpt-5-nano": _patches(2.46),
        "gpt-4.1": _tiles(85, 170),
        "gpt-4.1-mini": _patches(1.62),
        "gpt-4.1-nano": _patches(2.46),
        "gpt-4o": _tiles(85, 170),
        "gpt-4o-mini": _tiles(2833, 5667),
        "gpt-4-turbo": _tiles(85, 170),
        "o1": _tiles(75, 150),
        "o3": _tiles(75, 150),
        "o4-mini": _patches(1.72),
        "claude": _AREA,
    }
)


def _builtin(model_name: str) -> ImageTokenRule | None:
    if model_name in BUILTIN_IMAGE_RULES:
        return BUILTIN_IMAGE_RULES[model_name]
    matches = [key for key in BUILTIN_IMAGE_RULES if model_name.startswith(key + "-")]
    return BUILTIN_IMAGE_RULES[max(matches, key=len)] if matches else None


def rule_for(model_name: str, configured_max: int | None) -> ImageTokenRule:
    """The rule for an upstream model; a configured ``max_image_tokens`` caps it (and is the
    whole rule for a model the table does not know)."""
    rule = _builtin(model_name)
    if rule is None:
        return ImageTokenRule("fixed", configured_max or UNKNOWN_MAX_IMAGE_TOKENS)
    if configured_max is not None:
        return replace(rule, max_tokens=configured_max)
    return rule


def _formula(rule: ImageTokenRule, width: int, height: int, low: bool) -> int:
    if rule.kind == "tiles":
        if low:
            return rule.base
        scale = min(1.0, 2048 / max(width, height))
        w, h = width * scale, height * scale
        scale = min(1.0, 768 / min(w, h))
        w, h = w * scale, h * scale
        return rule.base + rule.per_tile * math.ceil(w / _TILE) * math.ceil(h / _TILE)
    if rule.kind == "patches":
        patches = math.ceil(width / _PATCH) * math.ceil(height / _PATCH)
        if patches > _MAX_PATCHES:
            shrink = math.sqrt(_MAX_PATCHES * _PATCH * _PATCH / (width * height))
            patches = min(
                _MAX_PATCHES,
                math.ceil(width * shrink / _PATCH) * math.ceil(height * shrink / _PATCH),
            )
        return math.ceil(patches * rule.multiplier)
    if rule.kind == "area":
        scale = min(1.0, _ANTHROPIC_LONG_EDGE / max(width, height))
        scale = min(scale, math.sqrt(_ANTHROPIC_MAX_PIXELS / (width * height)))
        return math.ceil(width * scale * height * scale / 750)
    return rule.max_tokens


def image_tokens(
    rule: ImageTokenRule, width: int | None, height: int | None, *, low_detail: bool = False
) -> int:
    """The most this image can cost: the formula on its real size when known, never above the
    rule's maximum. ``low_detail`` is OpenAI's ``detail: "low"``, honoured by tile models only."""
    if width is None or height is None or width < 1 or height < 1:
        return rule.base if (low_detail and rule.kind == "tiles") else rule.max_tokens
    return min(rule.max_tokens, max(1, _formula(rule, width, height, low_detail)))
