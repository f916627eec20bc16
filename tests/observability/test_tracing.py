"""Tracing in process, with an in-memory exporter and a local tracer provider (no globals)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind, StatusCode
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from lockgate.observability.logging import add_trace_context
from lockgate.observability.tracing import (
    Tracing,
    configure_tracing,
    provider_span,
    tracing_requested,
)


@pytest.fixture
def exporter() -> InMemorySpanExporter:
    return InMemorySpanExporter()


@pytest.fixture
def tracing(exporter: InMemorySpanExporter) -> Iterator[Tracing]:
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    yield Tracing(provider)
    provider.shutdown()


def finished(exporter: InMemorySpanExporter) -> list[ReadableSpan]:
    return list(exporter.get_finished_spans())


def build(tracing: Tracing) -> FastAPI:
    app = FastAPI()

    @app.get("/api/v1/items/{item_id}")
    async def item(item_id: int) -> dict[str, int]:
        return {"id": item_id}

    @app.get("/health/live")
    async def live() -> dict[str, str]:
        return {"status": "ok"}

    tracing.instrument_app(app)
    return app


async def get(app: FastAPI, path: str) -> httpx.Response:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        return await client.get(path)


@pytest.mark.parametrize(
    ("environ", "expected"),
    [
        ({}, False),
        ({"OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4318"}, True),
        ({"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "http://collector:4318/v1/traces"}, True),
        ({"OTEL_TRACES_EXPORTER": "console"}, True),
        ({"OTEL_TRACES_EXPORTER": "none", "OTEL_EXPORTER_OTLP_ENDPOINT": "http://c:4318"}, False),
        ({"OTEL_SDK_DISABLED": "true", "OTEL_EXPORTER_OTLP_ENDPOINT": "http://c:4318"}, False),
    ],
)
def test_tracing_is_on_only_when_the_otel_variables_ask(
    environ: dict[str, str], expected: bool
) -> None:
    assert tracing_requested(environ) is expected


async def test_tracing_off_leaves_the_app_alone() -> None:
    tracing = configure_tracing("lockgate", environ={})
    response = await get(build(tracing), "/api/v1/items/1")
    assert (tracing.enabled, "x-trace-id" in response.headers) == (False, False)


async def test_server_span_uses_the_route_template(
    tracing: Tracing, exporter: InMemorySpanExporter
) -> None:
    await get(build(tracing), "/api/v1/items/42")
    assert [(s.name, s.kind) for s in finished(exporter)] == [
        ("GET /api/v1/items/{item_id}", SpanKind.SERVER)
    ]


async def test_response_header_carries_the_trace_id(
    tracing: Tracing, exporter: InMemorySpanExporter
) -> None:
    response = await get(build(tracing), "/api/v1/items/42")
    [span] = finished(exporter)
    assert span.context is not None
    assert response.headers["x-trace-id"] == format(span.context.trace_id, "032x")


async def test_health_checks_are_not_traced(
    tracing: Tracing, exporter: InMemorySpanExporter
) -> None:
    await get(build(tracing), "/health/live")
    assert finished(exporter) == []


async def test_sqlalchemy_statements_are_spans(
    tracing: Tracing, exporter: InMemorySpanExporter, tmp_path: Path
) -> None:
    engine = create_async_engine(f"sqlite+aiosqlite:///{tmp_path / 'trace.db'}")
    tracing.instrument_engine(engine)
    async with engine.connect() as conn:
        await conn.execute(text("SELECT 1"))
    await engine.dispose()
    assert [(s.attributes or {}).get("db.statement") for s in finished(exporter)] == ["SELECT 1"]


def test_provider_span_follows_the_genai_conventions(
    tracing: Tracing, exporter: InMemorySpanExporter
) -> None:
    with provider_span("openai", "gpt-4o-mini", max_tokens=256, tracer=tracing.tracer) as span:
        span.record_usage(812, 240)
        span.record_finish(["stop"])
    [done] = finished(exporter)
    assert (done.name, done.kind, dict(done.attributes or {})) == (
        "chat gpt-4o-mini",
        SpanKind.CLIENT,
        {
            "gen_ai.operation.name": "chat",
            "gen_ai.system": "openai",
            "gen_ai.provider.name": "openai",
            "gen_ai.request.model": "gpt-4o-mini",
            "gen_ai.request.max_tokens": 256,
            "gen_ai.usage.input_tokens": 812,
            "gen_ai.usage.output_tokens": 240,
            "gen_ai.response.finish_reasons": ("stop",),
        },
    )


def test_provider_span_marks_a_failure_and_lets_it_through(
    tracing: Tracing, exporter: InMemorySpanExporter
) -> None:
    with (
        pytest.raises(TimeoutError),
        provider_span("anthropic", "claude-sonnet", tracer=tracing.tracer),
    ):
        raise TimeoutError("read timeout")
    [done] = finished(exporter)
    assert (done.status.status_code, (done.attributes or {}).get("error.type")) == (
        StatusCode.ERROR,
        "TimeoutError",
    )


def test_log_processor_adds_the_current_trace(tracing: Tracing) -> None:
    with tracing.tracer.start_as_current_span("work") as span:
        event = add_trace_context(None, "info", {"event": "x"})
        expected = format(span.get_span_context().trace_id, "032x")
    assert (event["trace_id"], add_trace_context(None, "info", {"event": "y"})) == (
        expected,
        {"event": "y"},
    )
