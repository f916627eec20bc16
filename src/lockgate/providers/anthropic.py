"""Anthropic's Messages API: `stream_chat`, and the OpenAI wire for the /v1 gateway.

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

The translation between OpenAI's chat wire and the Messages API (both directions, streamed
and not) lives in `lockgate.providers.anthropic_wire`; this module is the HTTP client. For the
``/v1/messages`` gateway it also passes Messages API bodies through untranslated (`messages`,
`messages_stream`, `count_tokens`: the `AnthropicWire` protocol).
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncGenerator, AsyncIterator, Mapping, Sequence
from contextlib import aclosing
from datetime import datetime
from typing import Any, ClassVar

from lockgate.clock import Clock, system_clock
from lockgate.providers._http import HttpProvider
from lockgate.providers.anthropic_wire import (
    STOP_REASONS,
    WireError,
    WireEvent,
    WireModelPage,
    WireResponse,
    WireUsage,
    finish_reason,
    to_anthropic_messages,
    to_chat_completion,
    to_messages_body,
    usage_body,
)
from lockgate.providers.base import (
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
from lockgate.providers.limits_headers import parse_anthropic_rate_limit
from lockgate.providers.sse import ServerSentEvent

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


class AnthropicProvider(HttpProvider):
    """See the module docstring. `clock` turns reset instants in quota headers into seconds."""

    speaks_openai_wire: ClassVar[bool] = True
    speaks_anthropic_wire: ClassVar[bool] = True

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
            event = self._parse(WireEvent, sse.data)
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
                raise self._event_error(event.error or WireError())
            elif event.type == "message_stop":
                if input_tokens is not None:
                    yield UsageReport(Usage(input_tokens, output_tokens))
                yield Finish(STOP_REASONS.get(stop, stop) if stop else "unknown")
                return
        raise self._bad_response("stream ended without message_stop")

    def _event_error(self, error: WireError) -> ProviderError:
        message = redact(f"upstream {error.type} mid-stream: {error.message}", self._api_key)
        status = ERROR_TYPE_STATUS.get(error.type, 500)
        return error_for_status(status, message, provider=self.name)

    # -- the OpenAI wire (`OpenAIWire`; see the module docstring) --------------------------------

    def _created(self) -> int:
        return int(self._clock().timestamp())

    async def chat_completion(self, body: Mapping[str, Any]) -> dict[str, Any]:
        """A `chat.completion` object for an OpenAI chat body, from one non-streamed Messages
        call. Raises `ProviderBadRequest` before sending for what cannot be translated."""
        request = to_messages_body(body, provider=self.name)
        request.pop("stream", None)
        answer = await self._request(WireResponse, "POST", "/v1/messages", json_body=request)
        return to_chat_completion(answer, model=request["model"], created=self._created())

    async def chat_completion_stream(
        self, body: Mapping[str, Any]
    ) -> AsyncGenerator[dict[str, Any], None]:
        """`chat.completion.chunk` objects for an OpenAI chat body, from a streamed Messages
        call; the usage chunk comes last. HTTP errors raise before the first chunk; closing the
        generator early releases the connection."""
        request = {**to_messages_body(body, provider=self.name), "stream": True}
        async with (
            self._stream("/v1/messages", params=None, json_body=request) as events,
            aclosing(self._openai_chunks(events, request["model"])) as chunks,
        ):
            async for chunk in chunks:
                yield chunk

    async def _openai_chunks(
        self, events: AsyncIterator[ServerSentEvent], model: str
    ) -> AsyncGenerator[dict[str, Any], None]:
        created = self._created()
        cid = f"chatcmpl-{uuid.uuid4().hex}"  # Anthropic's id replaces it at message_start

        def chunk(delta: dict[str, Any], finish: str | None = None) -> dict[str, Any]:
            choice = {"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}
            return {
                "id": cid,
                "object": "chat.completion.chunk",
                "created": created,
                "model": model,
                "choices": [choice],
            }

        usage = WireUsage()
        tool_calls: dict[int, int] = {}  # Anthropic block index -> OpenAI tool call index
        silent_tools: set[int] = set()  # tool blocks whose input has not started yet
        finished = False
        async for sse in events:
            event = self._parse(WireEvent, sse.data)
            reported = event.usage or (event.message.usage if event.message else None)
            if reported is not None:
                usage = WireUsage(
                    input_tokens=reported.input_tokens or usage.input_tokens,
                    output_tokens=reported.output_tokens or usage.output_tokens,
                    cache_creation_input_tokens=reported.cache_creation_input_tokens
                    or usage.cache_creation_input_tokens,
                    cache_read_input_tokens=reported.cache_read_input_tokens
                    or usage.cache_read_input_tokens,
                )
            block, delta = event.content_block, event.delta
            if event.type == "message_start":
                if event.message is not None and event.message.id:
                    cid = f"chatcmpl-{event.message.id}"
                yield chunk({"role": "assistant", "content": ""})
            elif event.type == "content_block_start" and block is not None:
                if block.type == "tool_use" and event.index is not None:
                    number = tool_calls[event.index] = len(tool_calls)
                    silent_tools.add(event.index)
                    call = {
                        "index": number,
                        "id": block.id,
                        "type": "function",
                        "function": {"name": block.name, "arguments": ""},
                    }
                    yield chunk({"tool_calls": [call]})
                elif block.type == "text" and block.text:
                    yield chunk({"content": block.text})
            elif event.type == "content_block_delta" and delta is not None:
                if delta.type == "text_delta" and delta.text:
                    yield chunk({"content": delta.text})
                elif delta.type == "input_json_delta" and delta.partial_json:
                    if event.index not in tool_calls:
                        raise self._bad_response("input_json_delta outside a tool_use block")
                    silent_tools.discard(event.index)
                    arguments = {"arguments": delta.partial_json}
                    piece = {"index": tool_calls[event.index], "function": arguments}
                    yield chunk({"tool_calls": [piece]})
            elif event.type == "content_block_stop" and event.index in silent_tools:
                silent_tools.discard(event.index)
                piece = {"index": tool_calls[event.index], "function": {"arguments": "{}"}}
                yield chunk({"tool_calls": [piece]})
            elif event.type == "message_delta" and delta is not None and delta.stop_reason:
                finished = True
                yield chunk({}, finish_reason(delta.stop_reason))
            elif event.type == "error":
                raise self._event_error(event.error or WireError())
            elif event.type == "message_stop":
                if not finished:
                    yield chunk({}, "stop")
                if usage.input_tokens is not None:
                    yield {**chunk({}), "choices": [], "usage": usage_body(usage)}
                return
        raise self._bad_response("stream ended without message_stop")

    # -- the Messages API passed through (`AnthropicWire`, for /v1/messages) --------------------

    async def messages(self, body: Mapping[str, Any]) -> dict[str, Any]:
        """POST a Messages API body as is (the caller set ``model``, ``max_tokens`` and no
        ``stream``); the upstream's ``message`` object as it sent it."""
        raw = await self._fetch("POST", "/v1/messages", None, body)
        message = self._json_object(raw)
        if not isinstance(message.get("content"), list):
            raise self._bad_response("message has no content list")
        return message

    async def messages_stream(
        self, body: Mapping[str, Any]
    ) -> AsyncGenerator[tuple[str, dict[str, Any]], None]:
        """POST a Messages API body with ``stream: true``; each event as (type, data) until
        ``message_stop``. An ``error`` event raises its `ProviderError`; HTTP errors raise
        before the first event; closing the generator early releases the connection."""
        async with self._stream("/v1/messages", params=None, json_body=body) as events:
            async for sse in events:
                data = self._json_object(sse.data)
                kind = str(data.get("type") or sse.event)
                if kind == "error":
                    raise self._event_error(self._parse(WireEvent, sse.data).error or WireError())
                yield kind, data
                if kind == "message_stop":
                    return
        raise self._bad_response("stream ended without message_stop")

    async def count_tokens(self, body: Mapping[str, Any]) -> int:
        """The upstream's own count of a Messages API body's input tokens (free, no output)."""
        raw = await self._fetch("POST", "/v1/messages/count_tokens", None, body)
        counted = self._json_object(raw).get("input_tokens")
        if not isinstance(counted, int) or isinstance(counted, bool) or counted < 0:
            raise self._bad_response("count_tokens answered without input_tokens")
        return counted

    async def generate_images(self, request: ImageRequest) -> list[GeneratedImage]:
        raise ProviderBadRequest("anthropic does not generate images", provider=self.name)

    async def embed(self, model: str, inputs: Sequence[str]) -> EmbeddingResult:
        raise ProviderBadRequest("anthropic does not provide embeddings", provider=self.name)

    async def probe_models(self) -> None:
        """One model listing of one entry: the cheapest authenticated request (health checks,
        `lockgate.providers.probe`)."""
        await self._request(WireModelPage, "GET", "/v1/models", params={"limit": "1"})

    async def list_models(self) -> list[str]:
        """Every model id, following `has_more`/`after_id` pagination."""
        ids: list[str] = []
        params = {"limit": "1000"}
        for _ in range(_MAX_MODEL_PAGES):
            page = await self._request(WireModelPage, "GET", "/v1/models", params=params)
            ids.extend(entry.id for entry in page.data)
            if not page.has_more or page.last_id is None:
                break
            params = {"limit": "1000", "after_id": page.last_id}
        return ids
