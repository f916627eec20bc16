"""What the OpenAI and Anthropic providers share: one pooled client, status and error mapping.

Each HTTP provider owns exactly one `httpx.AsyncClient`, created in its constructor and closed in
`aclose`, so connections are pooled per upstream and nothing lives at module level. Every
response passes through `_check`, which records the quota headers and turns a non-2xx status
into the `errors.py` tree; every httpx exception is translated at the same boundary, so no httpx
type ever escapes this package.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Any, TypeVar

import httpx
from pydantic import BaseModel, ValidationError

from lockgate.clock import Clock
from lockgate.providers.base import RateLimitInfo
from lockgate.providers.config import Timeouts
from lockgate.providers.errors import (
    ProviderBadResponse,
    ProviderError,
    error_for_status,
    error_from_httpx,
    redact,
)
from lockgate.providers.ratelimit import parse_retry_after

ModelT = TypeVar("ModelT", bound=BaseModel)
USER_AGENT = "lockgate/0.1"


def build_client(
    *,
    base_url: str,
    headers: Mapping[str, str],
    timeouts: Timeouts,
    max_connections: int,
    transport: httpx.AsyncBaseTransport | None,
) -> httpx.AsyncClient:
    """A pooled client; `transport` is how tests plug in `httpx.MockTransport`."""
    return httpx.AsyncClient(
        base_url=base_url,
        headers={"user-agent": USER_AGENT, **headers},
        timeout=httpx.Timeout(
            connect=timeouts.connect, read=timeouts.read, write=timeouts.write, pool=timeouts.pool
        ),
        limits=httpx.Limits(
            max_connections=max_connections, max_keepalive_connections=max_connections
        ),
        transport=transport,
    )


def upstream_error_message(body: bytes) -> str:
    """The human part of an error body: OpenAI/Anthropic `{"error": {"message"}}`, Ollama's
    `{"error": "..."}`, a bare `{"message"}`, else the raw text (an HTML page from a proxy)."""
    text = body.decode("utf-8", errors="replace")
    try:
        parsed: Any = json.loads(text)
    except ValueError:
        return text
    if isinstance(parsed, dict):
        error = parsed.get("error", parsed)
        if isinstance(error, str):
            return error
        if isinstance(error, dict) and isinstance(error.get("message"), str):
            return str(error["message"])
    return text


class HttpProvider:
    """Base of the HTTP providers. Subclasses set `kind` and implement `_parse_rate_limit`."""

    kind: str = "http"

    def __init__(
        self, name: str, *, api_key: str | None, client: httpx.AsyncClient, clock: Clock
    ) -> None:
        self.name = name
        self._api_key = api_key
        self._client = client
        self._clock = clock
        self.last_rate_limit: RateLimitInfo | None = None

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name!r} {self._client.base_url}>"

    async def aclose(self) -> None:
        await self._client.aclose()

    def _parse_rate_limit(self, headers: httpx.Headers, now: datetime) -> RateLimitInfo | None:
        raise NotImplementedError

    def _bad_response(self, message: str) -> ProviderBadResponse:
        return ProviderBadResponse(redact(message, self._api_key), provider=self.name)

    def _transport_error(self, exc: httpx.HTTPError) -> ProviderError:
        return error_from_httpx(exc, provider=self.name, secret=self._api_key)

    async def _check(self, response: httpx.Response) -> None:
        """Record quota headers; raise the matching `ProviderError` for a non-2xx status."""
        now = self._clock()
        self.last_rate_limit = self._parse_rate_limit(response.headers, now) or self.last_rate_limit
        if response.is_success:
            return
        body = await response.aread()
        detail = redact(upstream_error_message(body), self._api_key)
        status = response.status_code
        raise error_for_status(
            status,
            f"upstream returned HTTP {status}: {detail}" if detail else f"HTTP {status}",
            provider=self.name,
            retry_after=parse_retry_after(response.headers, now) if status == 429 else None,
        )

    def _parse(self, model: type[ModelT], raw: str | bytes) -> ModelT:
        try:
            return model.model_validate_json(raw)
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(part) for part in first["loc"]) or "body"
            message = f"unexpected upstream payload at {where}: {first['msg']}"
            raise self._bad_response(message) from exc

    async def _request(
        self,
        model: type[ModelT],
        method: str,
        url: str,
        *,
        params: Mapping[str, str] | None = None,
        json_body: Mapping[str, Any] | None = None,
    ) -> ModelT:
        """One non-streaming call, validated into `model`."""
        try:
            response = await self._client.request(method, url, params=params, json=json_body)
        except httpx.HTTPError as exc:
            raise self._transport_error(exc) from exc
        await self._check(response)
        return self._parse(model, response.content)

    @asynccontextmanager
    async def _stream(
        self, url: str, *, params: Mapping[str, str] | None, json_body: Mapping[str, Any]
    ) -> AsyncIterator[httpx.Response]:
        """A checked streaming POST; httpx errors raised while reading it are translated too."""
        try:
            async with self._client.stream("POST", url, params=params, json=json_body) as response:
                await self._check(response)
                yield response
        except httpx.HTTPError as exc:
            raise self._transport_error(exc) from exc
