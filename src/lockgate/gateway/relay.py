"""Turning provider output into what a ``/v1`` client receives.

OpenAI-compatible upstreams are passed through: their JSON answer, or their stream chunk by
chunk, reaches the client as they sent it (tool calls, logprobs, refusals and fields we do not
know included), with only ``model`` set to the name the client asked for and the usage chunk held
back unless the client asked for it (we always ask upstream: it settles the bill). Other providers
(Anthropic, simulated) are translated into OpenAI's chunk shapes. Either way the runner sees the
same events (text, usage, finish), so budgets, retries and fallbacks work the same.
"""

from __future__ import annotations

import math
import time
from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import replace
from decimal import ROUND_CEILING, Decimal
from typing import Any

import orjson

from lockgate.calls.candidates import Candidate, Plan
from lockgate.calls.runner import Delivered, Event
from lockgate.gateway import wire
from lockgate.gateway.frames import Frames
from lockgate.providers.base import (
    ChatMessage,
    ChatRequest,
    Finish,
    StreamEvent,
    TextDelta,
    Usage,
    UsageReport,
)
from lockgate.providers.pricing import QUANTUM
from lockgate.vision.inputs import ImageInput, images_tokens

MILLION = Decimal(1_000_000)


def passthrough_plan(candidate: Candidate, call: wire.ChatCall, max_tokens: int) -> Plan:
    """The plan of a passed-through call: the budget reserves the request's prompt bound (its
    size, see `wire.parse_chat`, plus this candidate's bound for its images) and the output
    limit, at this candidate's price."""
    return bounded_plan(
        candidate,
        prompt=call.prompt_bound,
        images=call.images,
        messages=call.messages,
        max_tokens=max_tokens,
        temperature=call.temperature,
        extra=call.extra,
    )


def bounded_plan(
    candidate: Candidate,
    *,
    prompt: int,
    images: Sequence[ImageInput],
    messages: Sequence[ChatMessage],
    max_tokens: int,
    temperature: float | None,
    extra: Mapping[str, Any] | None = None,
) -> Plan:
    """A plan whose prompt bound is known from the body (`prompt` text tokens, plus this
    candidate's bound for `images`); `messages` are the text the runner estimates from when
    the upstream reports no usage."""
    limit = min(max_tokens, candidate.config.max_output_tokens)
    price = candidate.price
    prompt += images_tokens(images, candidate.upstream, candidate.config.max_image_tokens)
    upper = (prompt * price.input_per_mtok + limit * price.output_per_mtok) / MILLION
    request = ChatRequest(
        model=candidate.upstream,
        messages=messages,
        max_tokens=limit,
        temperature=temperature,
        extra=extra or {},
    )
    return Plan(
        candidate=candidate,
        request=request,
        upper_bound=upper.quantize(QUANTUM, rounding=ROUND_CEILING),
        tokens=prompt + limit,
    )


def with_images(plan: Plan, images: Sequence[ImageInput]) -> Plan:
    """A text plan (`calls.candidates.plan`, which counts an image's placeholder only) with
    its candidate's bound for `images` added to the reservation."""
    candidate = plan.candidate
    extra = images_tokens(images, candidate.upstream, candidate.config.max_image_tokens)
    if not extra:
        return plan
    more = (extra * candidate.price.input_per_mtok / MILLION).quantize(
        QUANTUM, rounding=ROUND_CEILING
    )
    return replace(plan, upper_bound=plan.upper_bound + more, tokens=plan.tokens + extra)


def _count(value: Any) -> int | None:
    """A reported token count; None when it cannot be read. A float counts (rounded up): JSON
    parsing turns an integer beyond 2**64 into one, and reading it as 0 would make the call
    free; a missing count is 0."""
    if value is None:
        return 0
    if isinstance(value, int) and not isinstance(value, bool):
        return value if value >= 0 else None
    if isinstance(value, float) and math.isfinite(value) and value >= 0:
        return math.ceil(value)
    return None


def usage_of(body: dict[str, Any]) -> Usage | None:
    """The usage an OpenAI-format answer reports; None when unreadable (then the runner
    estimates it from the text, as when none was reported)."""
    prompt, completion = _count(body.get("prompt_tokens")), _count(body.get("completion_tokens"))
    if prompt is None or completion is None:
        return None
    return Usage(prompt, completion)


def reply_events(reply: dict[str, Any]) -> list[Event]:
    """The runner's view of a passed-through (non-streaming) answer."""
    events: list[Event] = []
    choices = reply.get("choices") or []
    first = choices[0] if choices and isinstance(choices[0], dict) else {}
    message = first.get("message")
    if isinstance(message, dict):
        content = message.get("content")
        if isinstance(content, str) and content:
            events.append(TextDelta(content))
        elif message.get("tool_calls") or message.get("function_call"):
            events.append(Delivered())
    usage = reply.get("usage")
    reported = usage_of(usage) if isinstance(usage, dict) else None
    if reported is not None:
        events.append(UsageReport(reported))
    events.append(Finish(str(first.get("finish_reason") or "stop")))
    return events


def frame(chunk: dict[str, Any]) -> bytes:
    return b"data: " + orjson.dumps(chunk) + b"\n\n"


class Relay:
    """The SSE frames of one streamed answer, from whichever attempt produces them."""

    def __init__(self, model: str, include_usage: bool) -> None:
        self.model = model
        self.include_usage = include_usage
        self.cid = wire.completion_id()
        self.created = int(time.time())
        self.started = False  # a frame with the assistant's role went out
        self._frames = Frames()

    async def get(self) -> bytes | None:
        """The frames waiting (joined, see `Frames`); None once the call is over."""
        return await self._frames.get()

    def close(self) -> None:
        self._frames.close()

    async def passthrough(self, chunks: AsyncIterator[dict[str, Any]]) -> AsyncIterator[Event]:
        """Relay an OpenAI-compatible stream; yield what the runner needs to know."""
        put = self._frames.put
        async for chunk in chunks:
            usage = chunk.get("usage")
            reported = usage_of(usage) if isinstance(usage, dict) else None
            if reported is not None:
                yield UsageReport(reported)
            choices = chunk.get("choices")
            if not choices:  # the usage chunk (choices: [])
                if usage is not None and self.include_usage:
                    chunk["model"] = self.model
                    put(frame(chunk))
                continue
            if not self.include_usage:
                chunk.pop("usage", None)
            chunk["model"] = self.model
            put(frame(chunk))
            self.started = True
            for choice in choices:
                if not isinstance(choice, dict) or choice.get("index", 0) != 0:
                    continue
                delta = choice.get("delta")
                if isinstance(delta, dict):
                    content = delta.get("content")
                    if isinstance(content, str) and content:
                        yield TextDelta(content)
                    elif delta.get("tool_calls") or delta.get("function_call"):
                        yield Delivered()
                finish = choice.get("finish_reason")
                if finish:
                    yield Finish(str(finish))

    async def translated(self, events: AsyncIterator[StreamEvent]) -> AsyncIterator[Event]:
        """Relay a translated provider's text as OpenAI chunks."""
        async for event in events:
            if isinstance(event, TextDelta) and event.text:
                self._frames.put(self._role() + self._chunk({"content": event.text}))
            yield event

    def _role(self) -> bytes:
        if self.started:
            return b""
        self.started = True
        return self._chunk({"role": "assistant", "content": ""})

    def _chunk(self, delta: dict[str, Any], finish: str | None = None) -> bytes:
        return wire.chunk(self.cid, self.created, self.model, delta, finish)

    def finish(self, reason: str) -> bytes:
        return self._role() + self._chunk({}, reason)

    def usage(self, usage: Usage) -> bytes:
        return wire.usage_chunk(self.cid, self.created, self.model, usage)
