"""End to end: tracing configured from OTEL_* exports over OTLP/HTTP to a local collector.

The app runs in its own process (tests/observability/otlp_app.py) with warnings as errors; the
collector is a tiny HTTP server in this process that decodes the protobuf export.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from typing import Any

import pytest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.common.v1.common_pb2 import AnyValue

from tests.fixtures.redis import RedisServer
from tests.observability.support import REPO, Collector

pytestmark = pytest.mark.slow


@dataclass
class Span:
    name: str
    trace_id: str
    kind: int
    attributes: dict[str, Any]


@dataclass
class Export:
    header_trace_id: str
    spans: list[Span]
    services: set[str]
    logs: list[dict[str, Any]]


def _value(value: AnyValue) -> Any:
    kind = value.WhichOneof("value")
    if kind == "array_value":
        return [_value(v) for v in value.array_value.values]
    return getattr(value, kind) if kind else None


def _decode(bodies: list[bytes]) -> tuple[list[Span], set[str]]:
    spans: list[Span] = []
    services: set[str] = set()
    for body in bodies:
        request = ExportTraceServiceRequest.FromString(body)
        for resource_spans in request.resource_spans:
            attrs = {a.key: _value(a.value) for a in resource_spans.resource.attributes}
            services.add(str(attrs.get("service.name")))
            for scope_spans in resource_spans.scope_spans:
                spans.extend(
                    Span(
                        s.name,
                        s.trace_id.hex(),
                        s.kind,
                        {a.key: _value(a.value) for a in s.attributes},
                    )
                    for s in scope_spans.spans
                )
    return spans, services


@pytest.fixture(scope="module")
def export(redis_server: RedisServer) -> Export:
    with Collector() as collector:
        env = {
            **{k: v for k, v in os.environ.items() if not k.startswith("OTEL_")},
            "OTEL_EXPORTER_OTLP_ENDPOINT": collector.url,
            "TEST_REDIS_URL": redis_server.url,
        }
        result = subprocess.run(
            [sys.executable, "-W", "error", "-m", "tests.observability.otlp_app"],
            cwd=REPO, env=env, capture_output=True, text=True, timeout=90, check=False,
        )  # fmt: skip
        assert result.returncode == 0, result.stderr
        spans, services = _decode(collector.wait_for("/v1/traces"))
    logs = [json.loads(line) for line in result.stderr.splitlines() if line.startswith("{")]
    return Export(json.loads(result.stdout)["trace_id"], spans, services, logs)


def _named(export: Export, predicate: Any) -> list[Span]:
    return [s for s in export.spans if predicate(s)]


def test_export_arrives_with_the_service_name(export: Export) -> None:
    assert export.services == {"lockgate-e2e"}


def test_server_span_is_named_by_the_route_template(export: Export) -> None:
    server = _named(export, lambda s: s.kind == 2)  # SPAN_KIND_SERVER
    assert [(s.name, s.attributes.get("http.route")) for s in server] == [
        ("GET /api/v1/work/{n}", "/api/v1/work/{n}")
    ]


def test_sql_statements_are_spans(export: Export) -> None:
    assert _named(export, lambda s: s.attributes.get("db.system") == "sqlite")


def test_redis_commands_are_spans(export: Export) -> None:
    assert _named(export, lambda s: s.attributes.get("db.system") == "redis")


def test_httpx_calls_are_spans(export: Export) -> None:
    assert _named(export, lambda s: s.kind == 3 and "/ping" in str(s.attributes))  # CLIENT


def test_provider_call_span_follows_the_genai_conventions(export: Export) -> None:
    [span] = _named(export, lambda s: s.name == "chat sim-small")
    assert {k: v for k, v in span.attributes.items() if k.startswith("gen_ai.")} == {
        "gen_ai.operation.name": "chat",
        "gen_ai.system": "simulated",
        "gen_ai.provider.name": "simulated",
        "gen_ai.request.model": "sim-small",
        "gen_ai.request.max_tokens": 64,
        "gen_ai.usage.input_tokens": 12,
        "gen_ai.usage.output_tokens": 34,
        "gen_ai.response.finish_reasons": ["stop"],
        "gen_ai.response.model": "sim-small-v1",
    }


def test_every_span_is_in_the_trace_of_the_response_header(export: Export) -> None:
    assert {s.trace_id for s in export.spans} == {export.header_trace_id}


def test_log_lines_carry_the_trace_id(export: Export) -> None:
    traced = {
        line["event"]: line.get("trace_id")
        for line in export.logs
        if line["event"] == "work_done" or line.get("route") == "/api/v1/work/{n}"
    }
    assert traced == {"request": export.header_trace_id, "work_done": export.header_trace_id}


def test_excluded_routes_are_not_traced(export: Export) -> None:
    untraced = [line for line in export.logs if line.get("route") == "<unmatched>"]
    assert [("trace_id" in line, line["status"]) for line in untraced] == [(False, 404)]
