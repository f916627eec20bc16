"""What the OpenAI and Anthropic providers share: one pooled session, status and error mapping.

The client is aiohttp rather than httpx for throughput: behind a trivial proxy on a 2-core box,
httpx's connection pool capped a worker at ~370 requests/s where a tuned aiohttp session does
~3,300, and the /v1 gateway needs 2,000 per worker. The tuning is what this module does once so
that each request does little: one `TCPConnector(limit=max_connections)` per provider, header
sets built once (aiohttp's own User-Agent skipped, ours set), bodies serialised by orjson.

Each HTTP provider owns exactly one `aiohttp.ClientSession`, so connections are pooled per
upstream and nothing lives at module level. The session is created on first use, not in the
constructor: a session belongs to the running event loop, and providers can be built before
there is one. `aclose` closes it, and a closed provider refuses further calls
(`ProviderUnavailable`) rather than opening a session nobody would close.

Every response passes through `_check`, which records the quota headers and turns a non-2xx
status into the `errors.py` tree; every aiohttp (and socket) exception is translated at the same
boundary, including those raised while a stream is being read, so no aiohttp type ever escapes
this package.

Kept from the httpx client this replaced: redirects are not followed (a 3xx is an error, as it
was); responses may be gzip/deflate-compressed (aiohttp decompresses); proxies named by
`HTTP_PROXY`/`HTTPS_PROXY`/`ALL_PROXY` (minus `NO_PROXY`) are used, resolved once per session
because aiohttp's `trust_env` would re-read the environment on every request (~0.3 ms each).
TLS is verified against the system's trust store (httpx used certifi's bundle).
"""

from __future__ import annotations

import asyncio
import json
import urllib.request
import warnings
from collections.abc import AsyncGenerator, AsyncIterator, Mapping
from contextlib import aclosing, asynccontextmanager
from datetime import datetime
from typing import Any, TypeVar
from urllib.parse import urlsplit

import aiohttp
import orjson
from multidict import CIMultiDict, CIMultiDictProxy
from pydantic import BaseModel, ValidationError

from lockgate.clock import Clock
from lockgate.providers.base import RateLimitInfo
from lockgate.providers.config import Timeouts
from lockgate.providers.errors import (
    ProviderBadResponse,
    ProviderError,
    ProviderUnavailable,
    TransportFailure,
    error_for_status,
    error_from_aiohttp,
    redact,
)
from lockgate.providers.limits_headers import parse_retry_after
from lockgate.providers.sse import ServerSentEvent, iter_sse_chunks

ModelT = TypeVar("ModelT", bound=BaseModel)
USER_AGENT = "lockgate/0.1"
# What reading a response can raise (timeouts are OSErrors). Sending can also raise ValueError
# (a request aiohttp refuses to build); it is caught only there, so that a ValueError from the
# code reading the response is never mistaken for a transport failure.
_READ_ERRORS = (aiohttp.ClientError, OSError)
_SEND_ERRORS = (aiohttp.ClientError, OSError, ValueError)
_LARGE_BODY = 2**20  # aiohttp's TOO_LARGE_BYTES_BODY, see `encode_json`


def client_timeout(timeouts: Timeouts) -> aiohttp.ClientTimeout:
    """aiohttp's timeouts from ours (see `Timeouts` for the mapping and its one gap)."""
    return aiohttp.ClientTimeout(
        total=None,
        connect=timeouts.pool + timeouts.connect,
        sock_connect=timeouts.connect,
        sock_read=timeouts.read,
    )


def env_proxy(url: str) -> str | None:
    """The proxy the environment names for `url`, as httpx's `trust_env` read it, or None.

    `HTTPS_PROXY`/`HTTP_PROXY` by the URL's scheme, else `ALL_PROXY`; none for a host `NO_PROXY`
    covers. A value without a scheme (`proxy:3128`) is taken as http, as httpx did.
    """
    parts = urlsplit(url)
    proxies = urllib.request.getproxies_environment()
    if not proxies or (parts.hostname and urllib.request.proxy_bypass(parts.hostname)):
        return None
    proxy = proxies.get(parts.scheme) or proxies.get("all")
    if proxy and "://" not in proxy:
        proxy = f"http://{proxy}"
    return proxy or None


def encode_json(body: Mapping[str, Any]) -> bytes | aiohttp.BytesPayload:
    """`body` as compact JSON; orjson, with the standard library for what orjson refuses
    (integers beyond 64 bits). A body neither can encode is refused before anything is sent.

    Above 1 MiB (a long context, inline images) aiohttp warns that sending raw bytes "might lock
    the event loop"; it does not (the bytes go to the socket buffer as they are), and its advice,
    a file-like body, would be read through a thread pool. Such bodies are wrapped here with
    that warning silenced, so it cannot flood the logs (or fail a test suite run with -W error).
    """
    plain = body if isinstance(body, dict) else dict(body)
    try:
        data = orjson.dumps(plain)
    except TypeError:
        try:
            data = json.dumps(plain, ensure_ascii=False, separators=(",", ":")).encode()
        except (TypeError, ValueError) as exc:
            raise ValueError(f"request body is not JSON-serialisable: {exc}") from exc
    if len(data) <= _LARGE_BODY:
        return data
    with warnings.catch_warnings():  # synchronous: no other task runs while it is in force
        warnings.simplefilter("ignore", ResourceWarning)
        return aiohttp.BytesPayload(data, content_type="application/json")


def upstream_error_message(body: bytes) -> str:
    """The human part of an error body: OpenAI/Anthropic `{"error": {"message"}}`, Ollama's
    `{"error": "..."}`, a bare `{"message"}`, else the raw text (an HTML page from a proxy)."""
    text = body.decode("utf-8", errors="replace")
    try:
        parsed: Any = orjson.loads(body)
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
    """Base of the HTTP providers. Subclasses set `kind` and implement `_parse_rate_limit`.

    `headers` go on every request after our User-Agent (so they may replace it).
    """

    kind: str = "http"

    def __init__(
        self,
        name: str,
        *,
        api_key: str | None,
        base_url: str,
        headers: Mapping[str, str],
        timeouts: Timeouts,
        max_connections: int,
        clock: Clock,
    ) -> None:
        self.name = name
        self._api_key = api_key
        self._base_url = base_url.rstrip("/")
        self._timeouts = timeouts
        self._send_deadline = timeouts.pool + timeouts.connect + timeouts.write + timeouts.read
        self._max_connections = max_connections
        self._clock = clock
        self.last_rate_limit: RateLimitInfo | None = None
        common: CIMultiDict[str] = CIMultiDict({"User-Agent": USER_AGENT})
        common.update(headers)
        self._get_headers = CIMultiDictProxy(common)
        with_body = common.copy()
        with_body["Content-Type"] = "application/json"
        self._post_headers = CIMultiDictProxy(with_body)
        self._session: aiohttp.ClientSession | None = None
        self._closed = False

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name!r} {self._base_url}>"

    def _client(self) -> aiohttp.ClientSession:
        """The provider's session, created on first use (inside the running loop)."""
        session = self._session
        if session is None:
            if self._closed:
                raise ProviderUnavailable("the provider is closed", provider=self.name)
            session = self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=self._max_connections),
                timeout=client_timeout(self._timeouts),
                skip_auto_headers=("User-Agent",),
                auto_decompress=True,
                proxy=env_proxy(self._base_url),
            )
        return session

    async def aclose(self) -> None:
        self._closed = True
        session, self._session = self._session, None
        if session is not None:
            await session.close()

    def _parse_rate_limit(self, headers: Mapping[str, str], now: datetime) -> RateLimitInfo | None:
        raise NotImplementedError

    def _bad_response(self, message: str) -> ProviderBadResponse:
        return ProviderBadResponse(redact(message, self._api_key), provider=self.name)

    def _transport_error(self, exc: TransportFailure) -> ProviderError:
        return error_from_aiohttp(exc, provider=self.name, secret=self._api_key)

    async def _check(self, response: aiohttp.ClientResponse) -> None:
        """Record quota headers; raise the matching `ProviderError` for a non-2xx status."""
        now = self._clock()
        self.last_rate_limit = self._parse_rate_limit(response.headers, now) or self.last_rate_limit
        status = response.status
        if 200 <= status < 300:
            return
        body = await response.read()
        detail = redact(upstream_error_message(body), self._api_key)
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

    def _json_object(self, raw: str | bytes) -> dict[str, Any]:
        """`raw` parsed by orjson, which must give a JSON object."""
        try:
            parsed: Any = orjson.loads(raw)
        except orjson.JSONDecodeError as exc:
            raise self._bad_response(f"upstream payload is not JSON: {exc}") from exc
        if not isinstance(parsed, dict):
            raise self._bad_response(f"upstream payload is a JSON {type(parsed).__name__}")
        return parsed

    @asynccontextmanager
    async def _response(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, str] | None,
        json_body: Mapping[str, Any] | None,
    ) -> AsyncIterator[aiohttp.ClientResponse]:
        """A checked response to `method` on `path`, released (its connection closed if unread)
        when the block exits; transport errors raised while sending it, or while reading it
        inside the block, come out as `ProviderError`s. Everything up to the response headers is
        bounded by the sum of the four timeouts (aiohttp has no send timeout; see `Timeouts`)."""
        session = self._client()
        try:
            data = None if json_body is None else encode_json(json_body)
            async with asyncio.timeout(self._send_deadline):
                response = await session.request(
                    method,
                    self._base_url + path,
                    params=params,
                    data=data,
                    headers=self._get_headers if data is None else self._post_headers,
                    allow_redirects=False,
                )
        except _SEND_ERRORS as exc:
            raise self._transport_error(exc) from exc
        try:
            async with response:
                await self._check(response)
                yield response
        except _READ_ERRORS as exc:
            raise self._transport_error(exc) from exc

    async def _request(
        self,
        model: type[ModelT],
        method: str,
        path: str,
        *,
        params: Mapping[str, str] | None = None,
        json_body: Mapping[str, Any] | None = None,
    ) -> ModelT:
        """One non-streaming call, validated into `model`."""
        return self._parse(model, await self._fetch(method, path, params, json_body))

    async def _fetch(
        self,
        method: str,
        path: str,
        params: Mapping[str, str] | None,
        json_body: Mapping[str, Any] | None,
    ) -> bytes:
        """One non-streaming call's whole (checked) body."""
        async with self._response(method, path, params=params, json_body=json_body) as response:
            return await response.read()

    @asynccontextmanager
    async def _stream(
        self, path: str, *, params: Mapping[str, str] | None, json_body: Mapping[str, Any]
    ) -> AsyncIterator[AsyncGenerator[ServerSentEvent, None]]:
        """A checked streaming POST, as its server-sent events.

        Lines are cut from raw chunks by `sse.py`, so no line is too long for it.
        """
        async with (
            self._response("POST", path, params=params, json_body=json_body) as response,
            aclosing(iter_sse_chunks(response.content.iter_any())) as events,
        ):
            yield events
