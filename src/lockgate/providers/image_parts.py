"""An image in OpenAI's chat vocabulary and in Anthropic's, each from the other.

OpenAI: ``{"type": "image_url", "image_url": {"url": "data:image/png;base64,..." | "https://...",
"detail": "auto"}}``. Anthropic: ``{"type": "image", "source": {"type": "base64", "media_type":
"image/png", "data": "..."}}`` or ``{"type": "image", "source": {"type": "url", "url": "..."}}``.
A URL stays a URL either way: neither direction fetches anything. ``detail`` has no Anthropic
counterpart and is dropped. Both functions return None for what they cannot translate (the
caller refuses it with its own error).

>>> to_anthropic_image({"type": "image_url", "image_url": {"url": "data:image/gif;base64,R0lG"}})
{'type': 'image', 'source': {'type': 'base64', 'media_type': 'image/gif', 'data': 'R0lG'}}
>>> to_openai_image({"type": "image", "source": {"type": "url", "url": "https://x/y.png"}})
{'type': 'image_url', 'image_url': {'url': 'https://x/y.png'}}
"""

from __future__ import annotations

from typing import Any


def to_anthropic_image(part: Any) -> dict[str, Any] | None:
    """The Anthropic image block for an OpenAI ``image_url`` part."""
    image = part.get("image_url") if isinstance(part, dict) else None
    url = image.get("url") if isinstance(image, dict) else image
    if not isinstance(url, str) or not url:
        return None
    if url.startswith("data:"):
        header, comma, data = url.partition(",")
        media_type, _, encoding = header.removeprefix("data:").partition(";")
        if not comma or encoding != "base64":
            return None
        source = {"type": "base64", "media_type": media_type.lower(), "data": data}
        return {"type": "image", "source": source}
    return {"type": "image", "source": {"type": "url", "url": url}}


def to_openai_image(block: Any) -> dict[str, Any] | None:
    """The OpenAI ``image_url`` part for an Anthropic image block (base64 or url source)."""
    source = block.get("source") if isinstance(block, dict) else None
    if not isinstance(source, dict):
        return None
    if source.get("type") == "base64":
        media_type, data = source.get("media_type"), source.get("data")
        if not isinstance(media_type, str) or not isinstance(data, str):
            return None
        return {"type": "image_url", "image_url": {"url": f"data:{media_type};base64,{data}"}}
    if source.get("type") == "url" and isinstance(source.get("url"), str):
        return {"type": "image_url", "image_url": {"url": source["url"]}}
    return None
