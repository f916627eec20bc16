"""OpenAI's Responses API, passed through: ``POST {base_url}/responses``, streamed or not.

The /v1 gateway's ``/v1/responses`` hands an upstream that serves the Responses API (see
`OpenAIProviderConfig.serves_responses`) the client's body, with the model, the output cap and
the conversation already set by the caller, and gets the upstream's objects back as dicts:
`create_response` returns the ``response`` object, `stream_response` yields each typed event
(``{"type": "response.output_text.delta", "sequence_number": …, …}``) until the stream ends
(OpenAI's stream has no ``[DONE]``; it ends after ``response.completed``, ``response.failed``,
``response.incomplete`` or ``error``). A stream that stops before one of those is truncated
(`ProviderBadResponse`). Errors before the first event raise as for chat (status mapping, quota
headers, redaction) — it is the same HTTP client (`HttpProvider`).

Every other OpenAI-compatible upstream, Anthropic and the simulated provider get ``/v1/responses``
translated to chat completions by the gateway; they never see this wire.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, Mapping
from typing import Any, Protocol, cast

from lockgate.providers._http import HttpProvider

TERMINAL_EVENTS = frozenset(
    {"response.completed", "response.failed", "response.incomplete", "error"}
)


class ResponsesWire(Protocol):
    """A provider that may be handed Responses API bodies (when `serves_responses`)."""

    @property
    def serves_responses(self) -> bool: ...

    async def create_response(self, body: Mapping[str, Any]) -> dict[str, Any]: ...

    def stream_response(self, body: Mapping[str, Any]) -> AsyncGenerator[dict[str, Any], None]: ...


def responses_wire(provider: object) -> ResponsesWire | None:
    """The provider as a `ResponsesWire` when it serves the Responses API, else None (a flag
    read, not ``isinstance`` against a protocol: that walks its members on every call)."""
    if getattr(provider, "serves_responses", False):
        return cast(ResponsesWire, provider)
    return None


class ResponsesPassthrough(HttpProvider):
    """`ResponsesWire` for an `HttpProvider` whose base URL serves ``/responses``."""

    _serves_responses: bool = False

    @property
    def serves_responses(self) -> bool:
        return self._serves_responses

    async def create_response(self, body: Mapping[str, Any]) -> dict[str, Any]:
        """POST `body` as is; the upstream's ``response`` object (it must be one)."""
        raw = await self._fetch("POST", "/responses", None, body)
        answer = self._json_object(raw)
        if answer.get("object") != "response" or not isinstance(answer.get("output"), list):
            raise self._bad_response("the answer is not a response object with an output list")
        return answer

    async def stream_response(
        self, body: Mapping[str, Any]
    ) -> AsyncGenerator[dict[str, Any], None]:
        """POST `body` (with ``stream: true``, the caller's); each event as a dict, the last one
        terminal. Closing the generator early releases the connection."""
        async with self._stream("/responses", params=None, json_body=body) as events:
            async for sse in events:
                if sse.data.strip() == "[DONE]":
                    break
                event = self._json_object(sse.data)
                if not isinstance(event.get("type"), str):
                    raise self._bad_response("a Responses stream event without a type")
                yield event
                if event["type"] in TERMINAL_EVENTS:
                    return
        raise self._bad_response("the Responses stream ended before its final event")
