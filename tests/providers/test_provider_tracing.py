"""A provider call is traced: its HTTP request is a client span under the GenAI span.

`configure_tracing` instruments aiohttp process-wide (sessions created afterwards get a trace
config); here the same instrumentor is switched on with a local tracer provider for one test and
off again, so nothing leaks into other tests.
"""

from collections.abc import Iterator

import pytest
from opentelemetry.instrumentation.aiohttp_client import AioHttpClientInstrumentor
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind

from lockgate.observability.tracing import provider_span
from lockgate.providers import ChatMessage, ChatRequest, OpenAIProvider, OpenAIProviderConfig
from tests.providers.wire import OPENAI_STREAM, Closer, Upstream, collect, event_stream


@pytest.fixture
def traced() -> Iterator[tuple[TracerProvider, InMemorySpanExporter]]:
    """A local tracer provider with an in-memory exporter, and aiohttp instrumented with it."""
    exporter = InMemorySpanExporter()
    tracer_provider = TracerProvider()
    tracer_provider.add_span_processor(SimpleSpanProcessor(exporter))
    instrumentor = AioHttpClientInstrumentor()
    instrumentor.instrument(tracer_provider=tracer_provider)
    yield tracer_provider, exporter
    instrumentor.uninstrument()
    tracer_provider.shutdown()


async def test_the_http_request_is_a_client_span_under_the_provider_span(
    upstream: Upstream, closing: Closer, traced: tuple[TracerProvider, InMemorySpanExporter]
) -> None:
    tracer_provider, exporter = traced
    upstream.reply(event_stream(OPENAI_STREAM))
    config = OpenAIProviderConfig(type="openai", base_url=f"{upstream.url}/v1")
    provider = closing(OpenAIProvider("openai", config, None))
    request = ChatRequest("gpt-4o-mini", [ChatMessage("user", "hi")], 5)
    tracer = tracer_provider.get_tracer("test")
    with provider_span("openai", "gpt-4o-mini", tracer=tracer):
        await collect(provider.stream_chat(request))
    spans = {span.name: span for span in exporter.get_finished_spans()}
    http, genai = spans["POST"], spans["chat gpt-4o-mini"]
    assert http.parent is not None
    assert genai.context is not None
    assert (http.kind, http.parent.span_id, upstream.last.headers["traceparent"][3:35]) == (
        SpanKind.CLIENT,
        genai.context.span_id,
        format(genai.context.trace_id, "032x"),
    )
