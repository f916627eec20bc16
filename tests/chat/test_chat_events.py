"""Every event a real chat stream carries matches what the OpenAPI document publishes for it.

Real replies (in-process app, SQLite, the simulated provider): a fallback, a plain answer, a
failure before the first token, a cut after it, a regenerate and the re-attach replays. Each
event's data is validated against the schema the document publishes for that event name (the
same schema the web UI's client is generated from), and every published event name is seen.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import jsonschema_rs
import pytest

from lockgate.clock import FakeClock
from lockgate.providers.config import ModelConfig, SimulatedProviderConfig
from lockgate.settings import FileConfig
from tests.fixtures.appkit import (
    ApiClient,
    api_client,
    make_config,
    migrated_sqlite_url,
    parse_sse,
    running_app,
)

STREAMS = [
    ("post", "/api/v1/conversations/{conversation_id}/messages"),
    ("post", "/api/v1/messages/{message_id}/regenerate"),
    ("get", "/api/v1/messages/{message_id}/stream"),
]


def file_config() -> FileConfig:
    return FileConfig.model_validate(
        {
            "providers": {
                "alpha": SimulatedProviderConfig(type="simulated", directives=True),
                "beta": SimulatedProviderConfig(type="simulated", seed=7, directives=True),
            },
            "models": {
                "main": ModelConfig(provider="alpha", fallbacks=["backup"]),
                "backup": ModelConfig(provider="beta"),
                "solo": ModelConfig(provider="alpha"),
            },
            "default_model": "main",
            "gate": {"rate_limits": {"chat": "1000/minute", "conversations": "1000/minute"}},
        }
    )


@pytest.fixture
async def events_client(tmp_path: Path, clock: FakeClock) -> AsyncIterator[ApiClient]:
    url = await migrated_sqlite_url(tmp_path)
    config = make_config(url, tmp_path, file=file_config())
    async with running_app(config, clock) as (app, _), api_client(app) as client:
        await client.register("events@example.com")
        yield client


def event_schemas(document: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Per event name, a validator's schema: the published ``$ref`` with the components."""
    mappings = []
    for method, path in STREAMS:
        responses = document["paths"][path][method]["responses"]
        schema = responses["200"]["content"]["text/event-stream"]["schema"]
        mappings.append(schema["discriminator"]["mapping"])
    assert all(m == mappings[0] for m in mappings)  # one event vocabulary for the three
    return {
        name: {"$ref": ref, "components": document["components"]}
        for name, ref in mappings[0].items()
    }


async def stream_of(client: ApiClient, method: str, url: str, **body: Any) -> list[Any]:
    response = await client.request(method, url, **body)
    assert response.status_code == 200, response.text
    return parse_sse(response.text)


async def real_streams(client: ApiClient) -> list[list[Any]]:
    cid = (await client.post("/api/v1/conversations", json={})).json()["id"]
    send = f"/api/v1/conversations/{cid}/messages"
    streams = [
        await stream_of(client, "POST", send, json={"content": "hi [[fail@alpha:500]]"}),
        await stream_of(client, "POST", send, json={"content": "hello", "model": "solo"}),
        await stream_of(client, "POST", send, json={"content": "x [[fail:500]]", "model": "solo"}),
        await stream_of(client, "POST", send, json={"content": "y [[fail:cut]]", "model": "solo"}),
    ]
    replies = [stream[0][1]["assistant_message"]["id"] for stream in streams]
    regenerate = f"/api/v1/messages/{replies[1]}/regenerate"
    streams.append(await stream_of(client, "POST", regenerate, json={}))
    for reply in replies:
        streams.append(await stream_of(client, "GET", f"/api/v1/messages/{reply}/stream"))
    return streams


async def test_every_streamed_event_validates_against_its_published_schema(
    events_client: ApiClient,
) -> None:
    document = (await events_client.get("/api/openapi.json")).json()
    schemas = event_schemas(document)
    validators = {name: jsonschema_rs.validator_for(s) for name, s in schemas.items()}
    seen: set[str] = set()
    invalid: list[tuple[str, object]] = []
    for stream in await real_streams(events_client):
        for name, data in stream:
            seen.add(name)
            event = {"event": name, "data": data}
            if name not in validators:
                invalid.append((name, "not published"))
            elif errors := [e.message for e in validators[name].iter_errors(event)]:
                invalid.append((name, errors))
    assert invalid == []
    assert seen == set(schemas)


async def test_fallback_event_names_both_candidates_and_the_reason(
    events_client: ApiClient,
) -> None:
    cid = (await events_client.post("/api/v1/conversations", json={})).json()["id"]
    stream = await stream_of(
        events_client,
        "POST",
        f"/api/v1/conversations/{cid}/messages",
        json={"content": "hi [[fail@alpha:500]]"},
    )
    fallbacks = [data for name, data in stream if name == "fallback"]
    assert fallbacks == [
        {
            "from_provider": "alpha",
            "from_model": "main",
            "to_provider": "beta",
            "to_model": "backup",
            "reason": "provider_unavailable",
        }
    ]
