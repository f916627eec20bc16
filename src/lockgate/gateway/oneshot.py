"""The one-shot ``/v1`` calls, ``/v1/embeddings`` and ``/v1/images/generations``: one answer each,
never retried (a retry would be paid twice), through `lockgate.calls.once.call_once` with the
key's limits and the gate's admission, like every paid call."""

from __future__ import annotations

import base64
import time
from typing import Any

from lockgate.calls.candidates import as_candidate
from lockgate.calls.once import Bound, Spend, call_once
from lockgate.gateway import wire
from lockgate.gateway.service import GatewayService, ModelNotFound, upstream_error
from lockgate.models import UsageKind
from lockgate.providers.base import (
    ChatMessage,
    EmbeddingResult,
    GeneratedImage,
    ImageRequest,
    Provider,
    Usage,
)
from lockgate.providers.errors import ProviderError
from lockgate.providers.pricing import cost, image_cost
from lockgate.providers.tokenizer import prompt_tokens_upper_bound


async def embed(service: GatewayService, body: dict[str, Any]) -> dict[str, Any]:
    name, inputs = wire.parse_embeddings(body)
    chosen = as_candidate(name, service.model(name, "embedding"), service.providers)
    bound_tokens = prompt_tokens_upper_bound([ChatMessage("user", i) for i in inputs])
    await service.key_limits(bound_tokens)

    async def invoke(provider: Provider) -> EmbeddingResult:
        return await provider.embed(chosen.upstream, inputs)

    def measure(done: EmbeddingResult | None) -> Spend:
        if done is None:
            return Spend()
        return Spend(cost(chosen.price, done.usage), input_tokens=done.usage.input_tokens)

    try:
        result = await call_once(
            service.gate,
            chosen,
            service.owner,
            Bound(cost(chosen.price, Usage(bound_tokens, 0)), bound_tokens),
            invoke,
            measure,
            kind=UsageKind.EMBEDDING,
            usage=service.usage,
            clock=service.clock,
            operation="embeddings",
        )
    except ProviderError as exc:
        raise upstream_error(exc) from None
    return {
        "object": "list",
        "data": [
            {"object": "embedding", "index": i, "embedding": vector}
            for i, vector in enumerate(result.vectors)
        ],
        "model": name,
        "usage": {
            "prompt_tokens": result.usage.input_tokens,
            "total_tokens": result.usage.input_tokens,
        },
    }


async def images(service: GatewayService, body: dict[str, Any]) -> dict[str, Any]:
    asked = wire.parse_images(body)
    name = asked.model or next(
        (n for n, m in service.file.models.items() if m.kind == "image"), None
    )
    if name is None:
        raise ModelNotFound("No image model is configured.")
    config = service.model(name, "image")
    prompt, n = asked.prompt, asked.n
    size = asked.size or config.image_sizes[0]
    if size not in config.image_sizes:
        raise wire.InvalidRequest(f"size must be one of {', '.join(config.image_sizes)}.", "size")
    chosen = as_candidate(name, config, service.providers)
    await service.key_limits(0)
    request = ImageRequest(model=chosen.upstream, prompt=prompt, size=size, n=n)

    async def invoke(provider: Provider) -> list[GeneratedImage]:
        return await provider.generate_images(request)

    def measure(done: list[GeneratedImage] | None) -> Spend:
        count = len(done or ())
        return Spend(image_cost(chosen.price, count), images=count)

    try:
        images = await call_once(
            service.gate,
            chosen,
            service.owner,
            Bound(image_cost(chosen.price, n)),
            invoke,
            measure,
            kind=UsageKind.IMAGE,
            usage=service.usage,
            clock=service.clock,
        )
    except ProviderError as exc:
        raise upstream_error(exc) from None
    return {
        "created": int(time.time()),
        "data": [{"b64_json": base64.b64encode(i.data).decode()} for i in images],
    }
