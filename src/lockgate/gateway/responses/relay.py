"""From an upstream's answer to the Responses API, for each kind of upstream, and what the call
runner needs to know of it (text, "something was delivered", usage, finish).

* A chat completions upstream (`OpenAIWire`: OpenAI-compatible or Anthropic): its
  ``chat.completion`` or its chunks feed a `ResponseBuilder`.
* The simulated provider: its text events feed the builder.
* A Responses API upstream: its events are relayed as they come, renumbered (our
  ``sequence_number`` counts from 0 whichever attempt answers) and with the response object
  rewritten to be ours (`Rewrite`: our id, the public model name, the fields Lockgate owns).
  ``response.created``/``in_progress`` are held back until the first output event, so an attempt
  that fails before any output can still be retried or replaced without the client seeing two
  responses begin. Upstream ``response.failed`` and ``error`` events become provider errors: the
  gateway writes its own ``response.failed`` (with what was delivered) at the end.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any

from lockgate.calls.runner import Delivered, Event
from lockgate.gateway.relay import usage_of
from lockgate.gateway.responses.builder import ResponseBuilder, sse
from lockgate.providers.base import Finish, StreamEvent, TextDelta, Usage, UsageReport
from lockgate.providers.errors import (
    ProviderBadRequest,
    ProviderBadResponse,
    ProviderError,
    ProviderRateLimited,
    ProviderUnavailable,
)

STATUS_FINISH = {"completed": "stop", "incomplete": "length"}


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _chat_usage(usage: Any) -> Usage | None:
    return usage_of(usage) if isinstance(usage, dict) else None


def responses_usage(usage: Any) -> Usage | None:
    """The usage of a Responses API object (``input_tokens``/``output_tokens``)."""
    if not isinstance(usage, dict):
        return None
    return usage_of(
        {
            "prompt_tokens": usage.get("input_tokens"),
            "completion_tokens": usage.get("output_tokens"),
        }
    )


def _tool_calls(builder: ResponseBuilder, calls: Any) -> bool:
    seen = False
    for position, part in enumerate(calls if isinstance(calls, list) else []):
        if not isinstance(part, dict):
            continue
        index = part.get("index", position)
        index = index if isinstance(index, int) else position
        function = _dict(part.get("function"))
        name = function.get("name")
        builder.tool_call(index, part.get("id"), name if isinstance(name, str) else None)
        arguments = function.get("arguments")
        if isinstance(arguments, str):
            builder.arguments(index, arguments)
        seen = True
    return seen


def completion_events(builder: ResponseBuilder, reply: dict[str, Any]) -> list[Event]:
    """A ``chat.completion`` into the builder; the runner's view of it."""
    events: list[Event] = []
    choices = reply.get("choices") or []
    first = _dict(choices[0]) if choices else {}
    message = _dict(first.get("message"))
    content, refused = message.get("content"), message.get("refusal")
    if isinstance(content, str) and content:
        builder.text(content)
        events.append(TextDelta(content))
    if isinstance(refused, str) and refused:
        builder.refusal(refused)
        events.append(TextDelta(refused))
    if _tool_calls(builder, message.get("tool_calls")):
        events.append(Delivered())
    reported = _chat_usage(reply.get("usage"))
    if reported is not None:
        events.append(UsageReport(reported))
    events.append(Finish(str(first.get("finish_reason") or "stop")))
    return events


async def chunk_events(
    builder: ResponseBuilder, chunks: AsyncIterator[dict[str, Any]]
) -> AsyncIterator[Event]:
    """Chat chunks into the builder (emitting as they come); the runner's view of them."""
    finish: str | None = None
    async for chunk in chunks:
        reported = _chat_usage(chunk.get("usage"))
        if reported is not None:
            yield UsageReport(reported)
        for choice in chunk.get("choices") or ():
            if not isinstance(choice, dict) or choice.get("index", 0) != 0:
                continue
            delta = _dict(choice.get("delta"))
            content, refused = delta.get("content"), delta.get("refusal")
            if isinstance(content, str) and content:
                builder.text(content)
                yield TextDelta(content)
            if isinstance(refused, str) and refused:
                builder.refusal(refused)
                yield TextDelta(refused)
            if _tool_calls(builder, delta.get("tool_calls")):
                yield Delivered()
            finish = choice.get("finish_reason") or finish
    yield Finish(str(finish or "stop"))


async def text_events(
    builder: ResponseBuilder, events: AsyncIterator[StreamEvent]
) -> AsyncIterator[Event]:
    """A translated provider's text (the simulated one) into the builder."""
    async for event in events:
        if isinstance(event, TextDelta):
            builder.text(event.text)
        yield event


@dataclass(slots=True)
class Rewrite:
    """What makes an upstream's response object ours."""

    fields: dict[str, Any]  # id, model, store, previous_response_id, metadata…

    def __call__(self, response: Any) -> dict[str, Any]:
        if not isinstance(response, dict):
            return dict(self.fields)
        return {**response, **self.fields}


def upstream_failure(event: dict[str, Any], provider: str) -> ProviderError:
    """An upstream ``error`` or ``response.failed`` event as a provider error."""
    error = event.get("error") if event["type"] == "error" else None
    if error is None and event["type"] == "error":
        error = event
    if error is None:
        error = _dict(event.get("response")).get("error")
    error = error if isinstance(error, dict) else {}
    code = str(error.get("code") or "")
    message = f"upstream {event['type']}: {error.get('message') or 'no detail'}"
    if "rate_limit" in code:
        return ProviderRateLimited(message, provider=provider, status=None)
    if code.startswith("invalid") or code in ("context_length_exceeded",):
        return ProviderBadRequest(message, provider=provider)
    return ProviderUnavailable(message, provider=provider)


@dataclass(slots=True)
class PassthroughState:
    """A streamed Responses upstream: the items delivered so far and the final response."""

    rewrite: Rewrite
    emit: Callable[[dict[str, Any]], None]
    held: list[dict[str, Any]] = field(default_factory=list)
    started: bool = False
    items: dict[int, dict[str, Any]] = field(default_factory=dict)
    final: dict[str, Any] | None = None
    closing: dict[str, Any] | None = None  # the final event, sent once the response is stored

    def relay(self, event: dict[str, Any]) -> None:
        if isinstance(event.get("response"), dict):
            event["response"] = self.rewrite(event["response"])
        opening = event["type"] in ("response.created", "response.in_progress", "response.queued")
        if opening and not self.started:
            self.held.append(event)
            return
        if not self.started:
            self.started = True
            for held in self.held:
                self.emit(held)
            self.held.clear()
        if event["type"] in ("response.output_item.added", "response.output_item.done"):
            index, item = event.get("output_index"), event.get("item")
            if isinstance(index, int) and isinstance(item, dict):
                self.items[index] = item
        if event["type"] in ("response.completed", "response.incomplete"):
            self.closing = event
            return
        self.emit(event)

    def close(self) -> None:
        """Send the held final event (after the response is stored: a client may continue
        from it as soon as it sees it)."""
        if self.closing is not None:
            self.emit(self.closing)
            self.closing = None


async def passthrough_events(
    state: PassthroughState, events: AsyncIterator[dict[str, Any]], provider: str
) -> AsyncIterator[Event]:
    """Relay a Responses stream; yield what the runner needs to know."""
    async for event in events:
        kind = event["type"]
        if kind in ("error", "response.failed"):
            raise upstream_failure(event, provider)
        was_started = state.started
        state.relay(event)
        if state.started and not was_started:
            yield Delivered()
        if kind == "response.output_text.delta" and isinstance(event.get("delta"), str):
            yield TextDelta(event["delta"])
        elif kind in ("response.completed", "response.incomplete"):
            state.final = event.get("response")
            reported = responses_usage((state.final or {}).get("usage"))
            if reported is not None:
                yield UsageReport(reported)
            yield Finish(STATUS_FINISH.get(kind.removeprefix("response."), "stop"))
            return
    raise ProviderBadResponse("the Responses stream ended early", provider=provider)


def response_events(response: dict[str, Any], provider: str) -> list[Event]:
    """The runner's view of a (non-streamed) Responses API answer."""
    status = response.get("status")
    if status == "failed":
        raise upstream_failure({"type": "response.failed", "response": response}, provider)
    events: list[Event] = []
    for item in response.get("output") or ():
        if not isinstance(item, dict):
            continue
        if item.get("type") != "message":
            events.append(Delivered())
            continue
        for part in item.get("content") or ():
            if isinstance(part, dict) and isinstance(part.get("text"), str) and part["text"]:
                events.append(TextDelta(part["text"]))
    reported = responses_usage(response.get("usage"))
    if reported is not None:
        events.append(UsageReport(reported))
    events.append(Finish(STATUS_FINISH.get(str(status), "stop")))
    return events


def frame(event: dict[str, Any], sequence: int) -> bytes:
    return sse({**event, "sequence_number": sequence})
