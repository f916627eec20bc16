"""OpenAI's chat/images/embeddings API, and everything that speaks it.

One class serves api.openai.com, Azure OpenAI (`azure_api_version` set) and OpenAI-compatible
servers (Ollama, vLLM, LM Studio, Groq). Chat always streams with
`stream_options.include_usage`, so the final chunk carries the real token counts that settle the
budget::

    data: {"choices":[{"index":0,"delta":{"content":"Hi"},"finish_reason":null}],"usage":null}
    data: {"choices":[{"index":0,"delta":{},"finish_reason":"stop"}],"usage":null}
    data: {"choices":[],"usage":{"prompt_tokens":9,"completion_tokens":1,"total_tokens":10}}
    data: [DONE]

OpenAI sends `finish_reason` before the usage chunk; we hold it back so callers always see
deltas, then `UsageReport`, then `Finish`. A stream that closes before `[DONE]` is truncated
(`ProviderBadResponse`): its usage, and maybe its text, are missing.

The /v1 gateway speaks OpenAI to its clients, so it does not go through `ChatRequest` (which
keeps only text) but passes bodies through: `chat_completion(body)` returns the upstream's JSON
object as is, and `chat_completion_stream(body)` yields each chunk as a dict, so `tools`,
`tool_calls`, `logprobs`, `response_format`... reach both ends untouched. The caller owns the
body (model, token cap, `stream`, `stream_options.include_usage`); the provider owns the URL
(plain or Azure), the key, status and error mapping, quota headers and the stream's framing:
a non-JSON payload or a stream without `[DONE]` is `ProviderBadResponse`, an `{"error": ...}`
chunk raises like one in `stream_chat`. Both parse with orjson: they are the gateway's hot path.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import AsyncGenerator, AsyncIterator, Mapping, Sequence
from contextlib import aclosing
from datetime import datetime
from typing import Any, ClassVar
from urllib.parse import quote

from pydantic import BaseModel, ValidationError

from lockgate.clock import Clock, system_clock
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
from lockgate.providers.config import OpenAIProviderConfig
from lockgate.providers.errors import (
    ProviderBadRequest,
    ProviderError,
    ProviderRateLimited,
    ProviderUnavailable,
    error_for_status,
    redact,
)
from lockgate.providers.limits_headers import parse_openai_rate_limit
from lockgate.providers.responses_wire import ResponsesPassthrough
from lockgate.providers.sse import ServerSentEvent

# Body keys `ChatRequest.extra` may not set: they are ours, and `max_tokens`/`n` are what the
# budget reservation was computed from.
RESERVED_CHAT_KEYS = frozenset(
    {"model", "messages", "stream", "stream_options", "max_tokens", "max_completion_tokens", "n"}
)


class _Delta(BaseModel):
    content: str | None = None


class _Choice(BaseModel):
    index: int = 0
    delta: _Delta | None = None
    finish_reason: str | None = None


class _ChunkUsage(BaseModel):
    prompt_tokens: int
    completion_tokens: int = 0


class _StreamError(BaseModel):
    message: str = ""
    type: str | None = None
    code: str | int | None = None


class _Chunk(BaseModel):
    choices: list[_Choice] | None = None
    usage: _ChunkUsage | None = None
    error: _StreamError | None = None


class _ImageDatum(BaseModel):
    b64_json: str | None = None


class _ImagesResponse(BaseModel):
    data: list[_ImageDatum]


class _EmbeddingDatum(BaseModel):
    index: int = 0
    embedding: list[float]


class _EmbeddingUsage(BaseModel):
    prompt_tokens: int = 0


class _EmbeddingsResponse(BaseModel):
    data: list[_EmbeddingDatum]
    usage: _EmbeddingUsage | None = None


class _ModelEntry(BaseModel):
    id: str


class _ModelList(BaseModel):
    data: list[_ModelEntry]


def _content(message: ChatMessage) -> str | list[dict[str, Any]]:
    """A message's content: its text, then its images as ``image_url`` parts."""
    if not message.images:
        return message.content
    # An image-only turn has no text part: an empty one is refused by some servers.
    parts: list[dict[str, Any]] = (
        [{"type": "text", "text": message.content}] if message.content else []
    )
    parts.extend({"type": "image_url", "image_url": {"url": url}} for url in message.images)
    return parts


def sniff_image_mime(data: bytes) -> str:
    """The MIME type of PNG/JPEG/WebP bytes (gpt-image-1 can return any of them)."""
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return "application/octet-stream"


class OpenAIProvider(ResponsesPassthrough):
    """See the module docstring. `clock` only dates quota headers and HTTP-date Retry-After."""

    speaks_openai_wire: ClassVar[bool] = True

    kind = "openai"

    def __init__(
        self,
        name: str,
        cfg: OpenAIProviderConfig,
        api_key: str | None,
        *,
        clock: Clock = system_clock,
    ) -> None:
        headers: dict[str, str] = {}
        if api_key:
            azure = cfg.azure_api_version is not None
            headers = {"api-key": api_key} if azure else {"authorization": f"Bearer {api_key}"}
        super().__init__(
            name,
            api_key=api_key,
            base_url=cfg.base_url,
            headers={**headers, **cfg.extra_headers},
            timeouts=cfg.timeouts,
            max_connections=cfg.max_connections,
            clock=clock,
        )
        self._cfg = cfg
        self._serves_responses = cfg.serves_responses

    def _parse_rate_limit(self, headers: Mapping[str, str], now: datetime) -> RateLimitInfo | None:
        return parse_openai_rate_limit(headers, now)

    def _endpoint(self, operation: str, model: str) -> tuple[str, dict[str, str] | None]:
        """Path and query for `operation` ("chat/completions"), plain or Azure layout."""
        version = self._cfg.azure_api_version
        if version is None:
            return f"/{operation}", None
        return f"/openai/deployments/{quote(model, safe='')}/{operation}", {"api-version": version}

    def _chat_body(self, request: ChatRequest) -> dict[str, Any]:
        clash = sorted(RESERVED_CHAT_KEYS & request.extra.keys())
        if clash and (clash != ["n"] or request.extra["n"] != 1):
            raise ProviderBadRequest(
                f"these parameters cannot be passed through: {', '.join(clash)}", provider=self.name
            )
        body = {key: value for key, value in request.extra.items() if key != "n"}
        body.update(
            {
                "model": request.model,
                "messages": [{"role": m.role, "content": _content(m)} for m in request.messages],
                "stream": True,
                "stream_options": {"include_usage": True},
                self._cfg.max_tokens_param: request.max_tokens,
            }
        )
        if request.temperature is not None:
            body["temperature"] = request.temperature
        return body

    async def stream_chat(self, request: ChatRequest) -> AsyncGenerator[StreamEvent, None]:
        path, params = self._endpoint("chat/completions", request.model)
        body = self._chat_body(request)
        async with (
            self._stream(path, params=params, json_body=body) as events,
            aclosing(self._chat_events(events)) as chat,
        ):
            async for event in chat:
                yield event

    async def _chat_events(
        self, events: AsyncIterator[ServerSentEvent]
    ) -> AsyncGenerator[StreamEvent, None]:
        usage: Usage | None = None
        finish: str | None = None
        async for sse in events:
            if sse.data.strip() == "[DONE]":
                if usage is not None:
                    yield UsageReport(usage)
                yield Finish(finish or "unknown")
                return
            chunk = self._parse(_Chunk, sse.data)
            if chunk.error is not None:
                raise self._stream_error(chunk.error)
            for choice in chunk.choices or ():
                if choice.index != 0:
                    continue
                if choice.delta is not None and choice.delta.content:
                    yield TextDelta(choice.delta.content)
                finish = choice.finish_reason or finish
            if chunk.usage is not None:
                usage = Usage(chunk.usage.prompt_tokens, chunk.usage.completion_tokens)
        raise self._bad_response("stream ended without [DONE]")

    def _passthrough_endpoint(self, body: Mapping[str, Any]) -> tuple[str, dict[str, str] | None]:
        """`_endpoint` for a pass-through body; Azure needs its `model` (the deployment)."""
        model = body.get("model")
        if not isinstance(model, str) or not model:
            if self._cfg.azure_api_version is not None:
                raise ProviderBadRequest(
                    "the body names no model (the Azure deployment)", provider=self.name
                )
            model = ""
        return self._endpoint("chat/completions", model)

    async def chat_completion(self, body: Mapping[str, Any]) -> dict[str, Any]:
        """POST `body` as is to chat/completions; the upstream's JSON object (see the module
        docstring). Raises `ProviderBadResponse` unless it is an object with a `choices` list."""
        path, params = self._passthrough_endpoint(body)
        raw = await self._fetch("POST", path, params, body)
        completion = self._json_object(raw)
        if not isinstance(completion.get("choices"), list):
            raise self._bad_response("chat completion has no choices list")
        return completion

    async def chat_completion_stream(
        self, body: Mapping[str, Any]
    ) -> AsyncGenerator[dict[str, Any], None]:
        """POST `body` as is (`stream: true` is the caller's); each chunk, parsed, until
        `[DONE]`. The status is checked before the first chunk, so an upstream refusal raises
        before anything is yielded; closing the generator early releases the connection."""
        path, params = self._passthrough_endpoint(body)
        async with self._stream(path, params=params, json_body=body) as events:
            async for sse in events:
                if sse.data.strip() == "[DONE]":
                    return
                chunk = self._json_object(sse.data)
                error = chunk.get("error")
                if error is not None:
                    raise self._stream_error(self._parse_stream_error(error))
                yield chunk
        raise self._bad_response("stream ended without [DONE]")

    def _parse_stream_error(self, error: object) -> _StreamError:
        """An in-stream `error` value: OpenAI's object, or a bare message (Ollama)."""
        if isinstance(error, str):
            return _StreamError(message=error)
        try:
            return _StreamError.model_validate(error)
        except ValidationError as exc:
            raise self._bad_response(f"unexpected in-stream error payload: {error!r}") from exc

    def _stream_error(self, error: _StreamError) -> ProviderError:
        """An error sent inside a 200 stream (OpenAI `server_error`, vLLM `code: 400`)."""
        message = redact(f"upstream error mid-stream: {error.message}", self._api_key)
        if isinstance(error.code, int) and 400 <= error.code < 600:
            return error_for_status(error.code, message, provider=self.name)
        kind = f"{error.type or ''} {error.code or ''}"
        if "rate_limit" in kind:
            return ProviderRateLimited(message, provider=self.name, status=None)
        if "invalid_request" in kind:
            return ProviderBadRequest(message, provider=self.name)
        return ProviderUnavailable(message, provider=self.name)

    async def generate_images(self, request: ImageRequest) -> list[GeneratedImage]:
        path, params = self._endpoint("images/generations", request.model)
        body: dict[str, Any] = {
            "model": request.model,
            "prompt": request.prompt,
            "n": request.n,
            "size": request.size,
        }
        # gpt-image-* always answer in base64 and reject the parameter.
        if not request.model.startswith("gpt-image"):
            body["response_format"] = "b64_json"
        result = await self._request(_ImagesResponse, "POST", path, params=params, json_body=body)
        images = []
        for datum in result.data:
            if datum.b64_json is None:
                raise self._bad_response("image response has no b64_json data")
            try:
                data = base64.b64decode(datum.b64_json, validate=True)
            except binascii.Error as exc:
                raise self._bad_response("image data is not valid base64") from exc
            images.append(GeneratedImage(data=data, mime_type=sniff_image_mime(data)))
        return images

    async def embed(self, model: str, inputs: Sequence[str]) -> EmbeddingResult:
        if not inputs:
            return EmbeddingResult(vectors=[], usage=Usage(0, 0))
        path, params = self._endpoint("embeddings", model)
        body = {"model": model, "input": list(inputs), "encoding_format": "float"}
        result = await self._request(
            _EmbeddingsResponse, "POST", path, params=params, json_body=body
        )
        if len(result.data) != len(inputs):
            raise self._bad_response(
                f"asked for {len(inputs)} embeddings, upstream returned {len(result.data)}"
            )
        vectors = [datum.embedding for datum in sorted(result.data, key=lambda d: d.index)]
        tokens = result.usage.prompt_tokens if result.usage is not None else 0
        return EmbeddingResult(vectors=vectors, usage=Usage(tokens, 0))

    async def list_models(self) -> list[str]:
        version = self._cfg.azure_api_version
        if version is None:
            result = await self._request(_ModelList, "GET", "/models")
        else:
            params = {"api-version": version}
            result = await self._request(_ModelList, "GET", "/openai/models", params=params)
        return [entry.id for entry in result.data]
