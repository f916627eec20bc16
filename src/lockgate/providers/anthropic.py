"""Anthropic's Messages API, streamed.

Differences from OpenAI that this module absorbs, so callers never see them:

* System prompts are a top-level `system` field, not messages: every system message is joined
  into it (in order, blank-line separated).
* Turns must alternate and start with the user: consecutive same-role messages are merged; a
  conversation whose first non-system message is the assistant's is refused with
  `ProviderBadRequest` rather than padded with an invented user turn (which would also add
  tokens the budget did not reserve).
* `temperature` is 0..1 (OpenAI's is 0..2): values are clamped. OpenAI pass-through extras are
  translated where there is an equivalent (`top_p`, `stop` -> `stop_sequences`) and otherwise
  dropped, since they are OpenAI's vocabulary.
* The stream is typed events::

    event: message_start        data: {"message": {"usage": {"input_tokens": 25, ...}}, ...}
    event: content_block_delta  data: {"delta": {"type": "text_delta", "text": "Hello"}, ...}
    event: message_delta        data: {"delta": {"stop_reason": "end_turn"}, "usage": {...}}
    event: message_stop         data: {"type": "message_stop"}

  plus `ping`, `content_block_start/stop` (ignored) and `error` (mapped by its type:
  `overloaded_error` -> Unavailable). A stream without `message_stop` is `ProviderBadResponse`.
  Input tokens include cache writes and reads: those are billed at other rates, and counting
  them at the full input rate errs on the side of the budget.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, AsyncIterator, Mapping, Sequence
from contextlib import aclosing
from datetime import datetime
from typing import Any

from pydantic import BaseModel

from lockgate.clock import Clock, system_clock
from lockgate.providers._http import HttpProvider
from lockgate.providers.base import (
    ChatMessage,
    ChatRequest,
    EmbeddingResult,
    Finish,
    GeneratedImage,
    ImageRequest,
    RateLimitInfo,
    StreamEvent,
    TextDelta,
    Usage,
    UsageReport,
)
from lockgate.providers.config import AnthropicProviderConfig
from lockgate.providers.errors import ProviderBadRequest, ProviderError, error_for_status, redact
from lockgate.providers.ratelimit import parse_anthropic_rate_limit
from lockgate.providers.sse import ServerSentEvent

# Anthropic stop reasons in OpenAI's vocabulary (see `Finish`); unknown ones pass through.
STOP_REASONS = {
    "end_turn": "stop",
    "stop_sequence": "stop",
    "pause_turn": "stop",
    "max_tokens": "length",
    "tool_use": "tool_calls",
    "refusal": "content_filter",
}
# The HTTP status each in-stream error type stands for, to reuse `error_for_status`.
ERROR_TYPE_STATUS = {
    "invalid_request_error": 400,
    "authentication_error": 401,
    "permission_error": 403,
    "not_found_error": 404,
    "request_too_large": 413,
    "rate_limit_error": 429,
    "api_error": 500,
    "overloaded_error": 529,
}
_MAX_MODEL_PAGES = 20


class _Usage(BaseModel):
    input_tokens: int | None = None
    output_tokens: int | None = None
    cache_creation_input_tokens: int | None = None
    cache_read_input_tokens: int | None = None

    def billed_input(self) -> int | None:
        if self.input_tokens is None:
            return None
        return (
            self.input_tokens
            + (self.cache_creation_input_tokens or 0)
            + (self.cache_read_input_tokens or 0)
        )


class _Message(BaseModel):
    usage: _Usage | None = None


class _Delta(BaseModel):
    type: str | None = None
    text: str | None = None
    stop_reason: str | None = None


class _Error(BaseModel):
    type: str = "api_error"
    message: str = ""


class _Event(BaseModel):
    type: str
    message: _Message | None = None
    delta: _Delta | None = None
    usage: _Usage | None = None
    error: _Error | None = None


class _ModelEntry(BaseModel):
    id: str


class _ModelPage(BaseModel):
    data: list[_ModelEntry]
    has_more: bool = False
    last_id: str | None = None


def to_anthropic_messages(
    messages: Sequence[ChatMessage],
) -> tuple[str | None, list[dict[str, str]]]:
    """(system, turns) for the Messages API: systems joined, same-role neighbours merged."""
    system = "\n\n".join(m.content for m in messages if m.role == "system") or None
    turns: list[dict[str, str]] = []
    for message in messages:
        if message.role == "system":
            continue
        if turns and turns[-1]["role"] == message.role:
            turns[-1]["content"] += "\n\n" + message.content
        else:
            turns.append({"role": message.role, "content": message.content})
    return system, turns


class AnthropicProvider(HttpProvider):
    """See the module docstring. `clock` turns reset instants in quota headers into seconds."""

    kind = "anthropic"

    def __init__(
        self,
        name: str,
        cfg: AnthropicProviderConfig,
        api_key: str | None,
        *,
        clock: Clock = system_clock,
    ) -> None:
        headers = {"anthropic-version": cfg.anthropic_version}
        if api_key:
            headers["x-api-key"] = api_key
        super().__init__(
            name,
            api_key=api_key,
            base_url=cfg.base_url,
            headers={**headers, **cfg.extra_headers},
            timeouts=cfg.timeouts,
            max_connections=cfg.max_connections,
            clock=clock,
        )

    def _parse_rate_limit(self, headers: Mapping[str, str], now: datetime) -> RateLimitInfo | None:
        return parse_anthropic_rate_limit(headers, now)

    def _chat_body(self, request: ChatRequest) -> dict[str, Any]:
        system, turns = to_anthropic_messages(request.messages)
        if not turns:
            raise ProviderBadRequest("no user message to answer", provider=self.name)
        if turns[0]["role"] != "user":
            raise ProviderBadRequest(
                "anthropic requires the first non-system message to be the user's",
                provider=self.name,
            )
        body: dict[str, Any] = {
            "model": request.model,
            "messages": turns,
            "max_tokens": request.max_tokens,
            "stream": True,
        }
        if system is not None:
            body["system"] = system
        if request.temperature is not None:
            body["temperature"] = min(max(request.temperature, 0.0), 1.0)
        if "top_p" in request.extra:
            body["top_p"] = request.extra["top_p"]
        stop = request.extra.get("stop")
        if stop:
            body["stop_sequences"] = [stop] if isinstance(stop, str) else list(stop)
        return body

    async def stream_chat(self, request: ChatRequest) -> AsyncGenerator[StreamEvent, None]:
        body = self._chat_body(request)
        async with (
            self._stream("/v1/messages", params=None, json_body=body) as events,
            aclosing(self._chat_events(events)) as chat,
        ):
            async for event in chat:
                yield event

    async def _chat_events(
        self, events: AsyncIterator[ServerSentEvent]
    ) -> AsyncGenerator[StreamEvent, None]:
        input_tokens: int | None = None
        output_tokens = 0
        stop: str | None = None
        async for sse in events:
            event = self._parse(_Event, sse.data)
            usage = event.usage or (event.message.usage if event.message else None)
            if usage is not None:
                input_tokens = usage.billed_input() or input_tokens
                output_tokens = usage.output_tokens or output_tokens
            if event.type == "content_block_delta" and event.delta is not None:
                if event.delta.type == "text_delta" and event.delta.text:
                    yield TextDelta(event.delta.text)
            elif event.type == "message_delta" and event.delta is not None:
                stop = event.delta.stop_reason or stop
            elif event.type == "error":
                raise self._event_error(event.error or _Error())
            elif event.type == "message_stop":
                if input_tokens is not None:
                    yield UsageReport(Usage(input_tokens, output_tokens))
                yield Finish(STOP_REASONS.get(stop, stop) if stop else "unknown")
                return
        raise self._bad_response("stream ended without message_stop")

    def _event_error(self, error: _Error) -> ProviderError:
        message = redact(f"upstream {error.type} mid-stream: {error.message}", self._api_key)
        status = ERROR_TYPE_STATUS.get(error.type, 500)
        return error_for_status(status, message, provider=self.name)

    async def generate_images(self, request: ImageRequest) -> list[GeneratedImage]:
        raise ProviderBadRequest("anthropic does not generate images", provider=self.name)

    async def embed(self, model: str, inputs: Sequence[str]) -> EmbeddingResult:
        raise ProviderBadRequest("anthropic does not provide embeddings", provider=self.name)

    async def list_models(self) -> list[str]:
        """Every model id, following `has_more`/`after_id` pagination."""
        ids: list[str] = []
        params = {"limit": "1000"}
        for _ in range(_MAX_MODEL_PAGES):
            page = await self._request(_ModelPage, "GET", "/v1/models", params=params)
            ids.extend(entry.id for entry in page.data)
            if not page.has_more or page.last_id is None:
                break
            params = {"limit": "1000", "after_id": page.last_id}
        return ids
