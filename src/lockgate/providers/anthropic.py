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

OpenAI wire (`chat_completion`, `chat_completion_stream`: the `OpenAIWire` protocol, which
`OpenAIProvider` satisfies by passing bodies through) -- the /v1 gateway hands us an OpenAI chat
body and gets OpenAI objects back. The request is translated by `to_messages_body`:

* `system`/`developer` messages -> top-level `system` (blank-line joined). Every other turn's
  content becomes a list of blocks, so that same-role neighbours merge by concatenating blocks;
  content is a string or a list of `text` parts (other part types, e.g. images, are refused
  rather than silently dropped). Empty text is left out (Anthropic rejects empty text blocks).
* assistant `tool_calls` -> `tool_use` blocks after the text (`arguments` parsed; invalid JSON
  or a non-object is `ProviderBadRequest`); `tool` messages -> `tool_result` blocks in a user
  turn (so consecutive results, and a user message right after them, share one turn).
* `max_tokens`/`max_completion_tokens` -> `max_tokens` (the smaller if both: it is what the
  budget reserved); `temperature` (clamped to 0..1 as above), `top_p`; `stop` -> `stop_sequences`
  (a list); `user` -> `metadata.user_id`; `stream` is the method's (`chat_completion` sends
  none, `chat_completion_stream` sends `true`), whatever the body says.
* `tools` -> `{name, description, input_schema}` (an empty object schema when there are no
  `parameters`); `tool_choice` auto/required/none/{function} -> auto/any/none/{tool, name};
  `parallel_tool_calls: false` -> `disable_parallel_tool_use` on it (auto when no choice given).
  `tool_choice` without `tools` is dropped.
* Dropped (OpenAI-only, no effect a client depends on): `seed`, `logprobs`, `top_logprobs`,
  `presence_penalty`, `frequency_penalty`, `logit_bias`, `n: 1`, `response_format: text`,
  `stream_options` (ours), `store`, `metadata`, ... Refused with `ProviderBadRequest` because the
  answer would silently not be what the client asked for: `response_format` json_object or
  json_schema, `n` > 1, legacy `functions`/`function_call`.

The answer comes back as `chat.completion` (`id` "chatcmpl-" + Anthropic's, text blocks joined,
`tool_use` blocks as `tool_calls` with `arguments` = the JSON of `input`, `finish_reason` from
`STOP_REASONS` with "stop" for anything else, usage with cache tokens counted as prompt tokens).
The stream becomes OpenAI chunks sharing one `id`/`created`: a role chunk at `message_start`,
`text_delta` -> `content`, a `tool_use` block start -> a `tool_calls` entry (`index` counting tool
calls from 0, `arguments: ""`), each `input_json_delta` -> its `arguments` piece, a tool call
whose input never arrived gets `"{}"` at its block's end, `message_delta` -> an empty delta with
the finish reason ("stop" at `message_stop` if none came), then at `message_stop` one usage
chunk (`choices: []`; none if `message_start` had no usage). `created` comes from the provider's
clock, `model` is the body's. Errors are those of
`stream_chat`: HTTP statuses raise before the first chunk, an `error` event maps by its type, a
stream without `message_stop` is `ProviderBadResponse`.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncGenerator, AsyncIterator, Mapping, Sequence
from contextlib import aclosing
from datetime import datetime
from typing import Any, NoReturn

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
from lockgate.providers.limits_headers import parse_anthropic_rate_limit
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
    id: str | None = None
    usage: _Usage | None = None


class _Block(BaseModel):
    """A content block: `text`, `tool_use`, or one we skip (`thinking`, server tools...)."""

    type: str
    text: str | None = None
    id: str | None = None
    name: str | None = None
    input: Any = None


class _Response(BaseModel):
    """A non-streamed Messages API answer."""

    id: str
    content: list[_Block]
    stop_reason: str | None = None
    usage: _Usage


class _Delta(BaseModel):
    type: str | None = None
    text: str | None = None
    partial_json: str | None = None
    stop_reason: str | None = None


class _Error(BaseModel):
    type: str = "api_error"
    message: str = ""


class _Event(BaseModel):
    type: str
    index: int | None = None
    message: _Message | None = None
    content_block: _Block | None = None
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


# -- the OpenAI wire: request translation (see the module docstring) ---------------------------

_TOOL_CHOICES = {"auto": "auto", "required": "any", "none": "none"}
_REFUSED_FORMATS = frozenset({"json_object", "json_schema"})


class _Refusal(Exception):
    """A body we cannot translate faithfully; becomes `ProviderBadRequest`."""


def _refuse(message: str) -> NoReturn:
    raise _Refusal(message)


def _text_of(content: Any, where: str) -> str:
    """The text of OpenAI message content: a string, or a list of `text` parts (joined)."""
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    if not isinstance(content, list):
        _refuse(f"{where}: content must be a string or a list of parts")
    texts = []
    for part in content:
        kind = part.get("type") if isinstance(part, dict) else None
        if kind not in ("text", "refusal"):
            _refuse(
                f"{where}: content parts of type {kind!r} are not supported by Anthropic models"
            )
        text = part.get(kind)
        if not isinstance(text, str):
            _refuse(f"{where}: a {kind} part without its text")
        texts.append(text)
    return "".join(texts)


def _text_blocks(content: Any, where: str) -> list[dict[str, Any]]:
    """Content as Anthropic text blocks: one per string or part, empty ones left out."""
    parts = content if isinstance(content, list) else [content]
    blocks = []
    for part in parts:
        text = _text_of([part] if isinstance(part, dict) else part, where)
        if text:
            blocks.append({"type": "text", "text": text})
    return blocks


def _tool_use(call: Any, where: str) -> dict[str, Any]:
    function = call.get("function") if isinstance(call, dict) else None
    if not isinstance(function, dict) or not isinstance(function.get("name"), str):
        _refuse(
            f"{where}: tool calls must be {{id, type: function, function: {{name, arguments}}}}"
        )
    arguments = function.get("arguments") or "{}"
    try:
        parsed = json.loads(arguments) if isinstance(arguments, str) else arguments
    except ValueError:
        parsed = None
    if not isinstance(parsed, dict):
        _refuse(
            f"{where}: the arguments of tool call {call.get('id')!r} ({function['name']}) "
            "are not a JSON object"
        )
    return {"type": "tool_use", "id": call.get("id"), "name": function["name"], "input": parsed}


def _turns(messages: Any) -> tuple[str | None, list[dict[str, Any]]]:
    """(system, alternating turns whose content is a list of blocks)."""
    if not isinstance(messages, list):
        _refuse("messages must be a list")
    systems: list[str] = []
    turns: list[dict[str, Any]] = []
    for number, message in enumerate(messages):
        where = f"messages[{number}]"
        role = message.get("role") if isinstance(message, dict) else None
        content = message.get("content") if isinstance(message, dict) else None
        if role in ("system", "developer"):
            systems.append(_text_of(content, where))
            continue
        if role == "user":
            blocks = _text_blocks(content, where)
        elif role == "assistant":
            blocks = _text_blocks(content, where)
            calls = message.get("tool_calls") or []
            if not isinstance(calls, list):
                _refuse(f"{where}: tool_calls must be a list")
            blocks.extend(_tool_use(call, where) for call in calls)
        elif role == "tool":
            call_id = message.get("tool_call_id")
            if not isinstance(call_id, str):
                _refuse(f"{where}: a tool message needs its tool_call_id")
            text = _text_of(content, where)
            role, blocks = (
                "user",
                [{"type": "tool_result", "tool_use_id": call_id, "content": text}],
            )
        else:
            _refuse(f"{where}: role {role!r} is not supported by Anthropic models")
        if turns and turns[-1]["role"] == role:
            turns[-1]["content"].extend(blocks)
        else:
            turns.append({"role": role, "content": blocks})
    system = "\n\n".join(text for text in systems if text) or None
    return system, turns


def _tools(tools: Any) -> list[dict[str, Any]]:
    if not isinstance(tools, list):
        _refuse("tools must be a list")
    translated = []
    for tool in tools:
        function = tool.get("function") if isinstance(tool, dict) else None
        if not isinstance(function, dict) or tool.get("type") != "function":
            _refuse("only function tools are supported by Anthropic models")
        if not isinstance(function.get("name"), str):
            _refuse("every tool needs a function name")
        entry: dict[str, Any] = {"name": function["name"]}
        if function.get("description") is not None:
            entry["description"] = function["description"]
        entry["input_schema"] = function.get("parameters") or {"type": "object", "properties": {}}
        translated.append(entry)
    return translated


def _tool_choice(choice: Any, parallel: Any) -> dict[str, Any] | None:
    if choice is None:
        translated: dict[str, Any] = {"type": "auto"}
    elif isinstance(choice, str) and choice in _TOOL_CHOICES:
        translated = {"type": _TOOL_CHOICES[choice]}
    elif isinstance(choice, dict) and isinstance((choice.get("function") or {}).get("name"), str):
        translated = {"type": "tool", "name": choice["function"]["name"]}
    else:
        _refuse(f"tool_choice {choice!r} is not supported by Anthropic models")
    if parallel is False and translated["type"] != "none":
        translated["disable_parallel_tool_use"] = True
    elif choice is None:
        return None  # Anthropic's default is auto
    return translated


def _max_tokens(body: Mapping[str, Any]) -> int:
    given = [body.get(key) for key in ("max_tokens", "max_completion_tokens")]
    caps = [cap for cap in given if isinstance(cap, int) and not isinstance(cap, bool) and cap > 0]
    if not caps or len(caps) != sum(cap is not None for cap in given):
        _refuse("max_tokens (or max_completion_tokens) must be a positive integer")
    return min(caps)


def _check_supported(body: Mapping[str, Any]) -> None:
    response_format = body.get("response_format")
    kind = response_format.get("type") if isinstance(response_format, dict) else response_format
    if kind in _REFUSED_FORMATS:
        _refuse(f"response_format {kind} is not supported by Anthropic models")
    n = body.get("n")
    if n is not None and n != 1:
        _refuse(f"n={n} (several choices) is not supported by Anthropic models")
    for legacy in ("functions", "function_call"):
        if body.get(legacy) is not None:
            _refuse(f"{legacy} is not supported by Anthropic models; use tools")


def to_messages_body(body: Mapping[str, Any], *, provider: str) -> dict[str, Any]:
    """The Messages API body for an OpenAI chat body (see the module docstring for the mapping).

    Raises `ProviderBadRequest` (nothing is sent) for what has no faithful translation.
    """
    try:
        _check_supported(body)
        system, turns = _turns(body.get("messages"))
        if not turns:
            _refuse("no user message to answer")
        if turns[0]["role"] != "user":
            _refuse("anthropic requires the first non-system message to be the user's")
        model = body.get("model")
        if not isinstance(model, str) or not model:
            _refuse("the body names no model")
        translated: dict[str, Any] = {
            "model": model,
            "messages": turns,
            "max_tokens": _max_tokens(body),
        }
        if system is not None:
            translated["system"] = system
        temperature = body.get("temperature")
        if isinstance(temperature, int | float):
            translated["temperature"] = min(max(float(temperature), 0.0), 1.0)
        if body.get("top_p") is not None:
            translated["top_p"] = body["top_p"]
        stop = body.get("stop")
        if stop:
            translated["stop_sequences"] = [stop] if isinstance(stop, str) else list(stop)
        if body.get("tools"):
            translated["tools"] = _tools(body["tools"])
            choice = _tool_choice(body.get("tool_choice"), body.get("parallel_tool_calls"))
            if choice is not None:
                translated["tool_choice"] = choice
        if isinstance(body.get("user"), str) and body["user"]:
            translated["metadata"] = {"user_id": body["user"]}
        if body.get("stream") is not None:
            translated["stream"] = bool(body["stream"])
        return translated
    except _Refusal as exc:
        raise ProviderBadRequest(str(exc), provider=provider) from None


def _finish_reason(stop_reason: str | None) -> str:
    return STOP_REASONS.get(stop_reason or "", "stop")


def _usage_body(usage: _Usage) -> dict[str, int]:
    prompt = usage.billed_input() or 0
    completion = usage.output_tokens or 0
    return {
        "prompt_tokens": prompt,
        "completion_tokens": completion,
        "total_tokens": prompt + completion,
    }


def to_chat_completion(answer: _Response, *, model: str, created: int) -> dict[str, Any]:
    """The `chat.completion` object for a non-streamed Messages API answer."""
    text = "".join(block.text or "" for block in answer.content if block.type == "text")
    message: dict[str, Any] = {"role": "assistant", "content": text or None}
    calls = [
        {
            "id": block.id,
            "type": "function",
            "function": {"name": block.name, "arguments": json.dumps(block.input or {})},
        }
        for block in answer.content
        if block.type == "tool_use"
    ]
    if calls:
        message["tool_calls"] = calls
    message["refusal"] = None
    return {
        "id": f"chatcmpl-{answer.id}",
        "object": "chat.completion",
        "created": created,
        "model": model,
        "choices": [
            {
                "index": 0,
                "message": message,
                "logprobs": None,
                "finish_reason": _finish_reason(answer.stop_reason),
            }
        ],
        "usage": _usage_body(answer.usage),
    }


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

    # -- the OpenAI wire (`OpenAIWire`; see the module docstring) --------------------------------

    def _created(self) -> int:
        return int(self._clock().timestamp())

    async def chat_completion(self, body: Mapping[str, Any]) -> dict[str, Any]:
        """A `chat.completion` object for an OpenAI chat body, from one non-streamed Messages
        call. Raises `ProviderBadRequest` before sending for what cannot be translated."""
        request = to_messages_body(body, provider=self.name)
        request.pop("stream", None)
        answer = await self._request(_Response, "POST", "/v1/messages", json_body=request)
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

        usage = _Usage()
        tool_calls: dict[int, int] = {}  # Anthropic block index -> OpenAI tool call index
        silent_tools: set[int] = set()  # tool blocks whose input has not started yet
        finished = False
        async for sse in events:
            event = self._parse(_Event, sse.data)
            reported = event.usage or (event.message.usage if event.message else None)
            if reported is not None:
                usage = _Usage(
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
                yield chunk({}, _finish_reason(delta.stop_reason))
            elif event.type == "error":
                raise self._event_error(event.error or _Error())
            elif event.type == "message_stop":
                if not finished:
                    yield chunk({}, "stop")
                if usage.input_tokens is not None:
                    yield {**chunk({}), "choices": [], "usage": _usage_body(usage)}
                return
        raise self._bad_response("stream ended without message_stop")

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
