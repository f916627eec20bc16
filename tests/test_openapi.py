"""The OpenAPI document declares what shared machinery answers on every operation, with the
error body of its API, and Server-Sent Events as events (schemathesis checks the rest)."""

from __future__ import annotations

from typing import Any

from tests.fixtures.appkit import ApiClient

METHODS = {"get", "post", "put", "patch", "delete"}


async def operations(client: ApiClient) -> list[tuple[str, dict[str, Any]]]:
    document = (await client.get("/api/openapi.json")).json()
    return [
        (path, op)
        for path, item in document["paths"].items()
        for method, op in item.items()
        if method in METHODS
    ]


async def test_bodies_declare_malformed_json_too_large_invalid_and_rate_limited(
    client: ApiClient,
) -> None:
    missing = [
        (path, status)
        for path, op in await operations(client)
        if "requestBody" in op
        for status in ("400", "413", "422", "429")
        if status not in op["responses"]
    ]
    assert missing == []


async def test_v1_errors_have_openais_shape_and_a_401(client: ApiClient) -> None:
    refs = {
        (path, status, response["content"]["application/json"]["schema"]["$ref"])
        for path, op in await operations(client)
        if path.startswith("/v1/")
        for status, response in op["responses"].items()
        if int(status) >= 400
    }
    anthropic = {ref for path, _, ref in refs if path.startswith("/v1/messages")}
    assert {ref for path, _, ref in refs if not path.startswith("/v1/messages")} == {
        "#/components/schemas/OpenAIErrorBody"
    }
    assert anthropic == {"#/components/schemas/AnthropicErrorBody"}
    assert {path for path, status, _ in refs if status == "401"} == {
        "/v1/chat/completions",
        "/v1/embeddings",
        "/v1/images/generations",
        "/v1/models",
        "/v1/messages",
        "/v1/messages/count_tokens",
        "/v1/responses",
        "/v1/responses/{response_id}",
        "/v1/responses/{response_id}/input_items",
    }
    assert {status for path, status, _ in refs if path == "/v1/messages"} >= {"429", "529"}
    assert "503" not in {status for path, status, _ in refs if path.startswith("/v1/messages")}


async def test_event_streams_are_declared_as_events(client: ApiClient) -> None:
    streams = [
        response["content"]["text/event-stream"]["schema"]
        for _, op in await operations(client)
        for response in op["responses"].values()
        if "text/event-stream" in response.get("content", {})
    ]
    # chat send, regenerate, edit, re-attach; /v1 chat, responses, messages
    assert len(streams) == 7
    assert all(s["type"] == "object" and s["required"] == ["data"] for s in streams)


async def test_the_cached_v1_calls_declare_the_cache_headers(client: ApiClient) -> None:
    """The response cache's controls and report, on every /v1 call that uses the cache."""
    cached = {
        path: op
        for path, op in await operations(client)
        if path in ("/v1/chat/completions", "/v1/responses", "/v1/messages")
    }
    assert len(cached) == 3
    for path, op in cached.items():
        asked = {p["name"] for p in op.get("parameters", []) if p["in"] == "header"}
        assert asked == {"Cache-Control", "x-lockgate-cache-threshold"}, path
        told = set(op["responses"]["200"]["headers"])
        assert told == {"x-lockgate-cache", "x-lockgate-cache-similarity"}, path
