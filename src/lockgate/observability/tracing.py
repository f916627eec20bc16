"""OpenTelemetry traces: set up before the app is built, exported over OTLP/HTTP, off when unset.

Switched on by the standard variables — ``OTEL_EXPORTER_OTLP_ENDPOINT`` (or
``OTEL_EXPORTER_OTLP_TRACES_ENDPOINT``), or ``OTEL_TRACES_EXPORTER`` naming ``otlp``/``console``
— and off with none of them, or with ``OTEL_SDK_DISABLED=true`` / ``OTEL_TRACES_EXPORTER=none``.
Everything else (headers, sampler, batch sizes, resource attributes, ``OTEL_SERVICE_NAME``) is
read by the SDK itself. Lockgate only looks at the ``environ`` mapping it is handed::

    tracing = configure_tracing("lockgate", environ=config.environ)   # before create_app
    app = create_app(config)
    tracing.instrument_app(app)                  # FastAPI server spans (+ X-Trace-Id header)
    tracing.instrument_engine(engine)            # in the lifespan, once the engine exists
    tracing.shutdown()                           # at exit: flush what is buffered

Instrumented: FastAPI (incoming requests), aiohttp (every provider call), httpx (webhooks), Redis,
SQLAlchemy. The SQLAlchemy instrumentor declares ``sqlalchemy < 2.1`` and refuses 2.1 as a whole,
so the engine is traced with its ``EngineTracer`` (the object its ``instrument(engine=...)``
returns), which works with 2.1 (tests/observability check the spans). A provider call is a span
with the GenAI semantic conventions, see :func:`provider_span`; the HTTP request it makes is a
client span under it.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from opentelemetry import trace
from opentelemetry.trace import Span, SpanKind, Status, StatusCode, Tracer
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from lockgate import __version__
from lockgate.observability.logging import get_logger

if TYPE_CHECKING:
    from fastapi import FastAPI
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SpanExporter
    from sqlalchemy.ext.asyncio import AsyncEngine

log = get_logger("lockgate.observability.tracing")

TRACE_ID_HEADER = b"x-trace-id"
DEFAULT_EXCLUDED_URLS = "/health/live,/health/ready,/metrics"
INSTRUMENTATION_NAME = "lockgate"


def tracing_requested(environ: Mapping[str, str]) -> bool:
    """Whether the standard ``OTEL_*`` variables ask for traces to be exported."""
    if environ.get("OTEL_SDK_DISABLED", "").strip().lower() == "true":
        return False
    exporters = _exporter_names(environ)
    if exporters is not None:
        return bool(exporters)
    return bool(
        environ.get("OTEL_EXPORTER_OTLP_ENDPOINT")
        or environ.get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")
    )


def _exporter_names(environ: Mapping[str, str]) -> list[str] | None:
    raw = environ.get("OTEL_TRACES_EXPORTER")
    if raw is None or not raw.strip():
        return None
    names = [n.strip().lower() for n in raw.split(",") if n.strip()]
    return [n for n in names if n != "none"]


@dataclass
class Tracing:
    """What :func:`configure_tracing` set up; every method is a no-op when tracing is off."""

    provider: TracerProvider | None = None
    excluded_urls: str | None = DEFAULT_EXCLUDED_URLS
    _engines: list[Any] = field(default_factory=list)

    @property
    def enabled(self) -> bool:
        return self.provider is not None

    @property
    def tracer(self) -> Tracer:
        if self.provider is None:
            return trace.NoOpTracer()
        return self.provider.get_tracer(INSTRUMENTATION_NAME, __version__)

    def instrument_app(self, app: FastAPI) -> None:
        """Server spans for every request, and the ``X-Trace-Id`` response header.

        Not traced: health checks and ``/metrics``, unless ``OTEL_PYTHON_FASTAPI_EXCLUDED_URLS``
        says otherwise.
        """
        if self.provider is None:
            return
        from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor

        app.add_middleware(TraceIdMiddleware)  # inside the OTel middleware: the span is current
        FastAPIInstrumentor.instrument_app(
            app,
            tracer_provider=self.provider,
            excluded_urls=self.excluded_urls,
            exclude_spans=["receive", "send"],  # one span per SSE chunk otherwise
        )

    def instrument_engine(self, engine: AsyncEngine) -> None:
        """Spans for every SQL statement of `engine` (call once per engine)."""
        if self.provider is None:
            return
        from opentelemetry.instrumentation.sqlalchemy.engine import EngineTracer
        from opentelemetry.metrics import get_meter

        usage = get_meter(INSTRUMENTATION_NAME).create_up_down_counter(
            "db.client.connections.usage", unit="connections"
        )
        tracer = self.provider.get_tracer("opentelemetry.instrumentation.sqlalchemy")
        engine_tracer = EngineTracer(tracer, engine.sync_engine, usage)  # type: ignore[no-untyped-call]
        self._engines.append(engine_tracer)

    def shutdown(self) -> None:
        """Flush and stop the exporters (the process's last spans are not lost)."""
        if self.provider is not None:
            self.provider.shutdown()


def configure_tracing(
    service_name: str,
    app: FastAPI | None = None,
    *,
    environ: Mapping[str, str],
    exporter: SpanExporter | None = None,
) -> Tracing:
    """Set up tracing once per process, before the app is built; returns a :class:`Tracing`.

    Off (an inert :class:`Tracing`) unless `environ` asks for it or an `exporter` is passed (tests
    pass an in-memory one). ``OTEL_SERVICE_NAME`` wins over `service_name`. aiohttp, httpx and Redis
    are instrumented here, process-wide (an aiohttp session is traced if created afterwards, which
    providers' lazily created sessions are); `app`, when given, is instrumented too.
    """
    if exporter is None and not tracing_requested(environ):
        log.debug("tracing_off")
        return Tracing()
    from opentelemetry.instrumentation.aiohttp_client import AioHttpClientInstrumentor
    from opentelemetry.instrumentation.httpx import HTTPXClientInstrumentor
    from opentelemetry.instrumentation.redis import RedisInstrumentor
    from opentelemetry.sdk.resources import SERVICE_NAME, SERVICE_VERSION, Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor, SimpleSpanProcessor

    attributes: dict[str, str] = {SERVICE_VERSION: __version__}
    if not environ.get("OTEL_SERVICE_NAME"):
        attributes[SERVICE_NAME] = service_name
    provider = TracerProvider(resource=Resource.create(attributes))
    if exporter is not None:
        provider.add_span_processor(SimpleSpanProcessor(exporter))
    else:
        for configured in _exporters(environ):
            provider.add_span_processor(BatchSpanProcessor(configured))
    trace.set_tracer_provider(provider)  # for code that asks the global API (provider_span)
    AioHttpClientInstrumentor().instrument(tracer_provider=provider)
    HTTPXClientInstrumentor().instrument(tracer_provider=provider)
    RedisInstrumentor().instrument(tracer_provider=provider)
    # None lets the instrumentation read OTEL_PYTHON_FASTAPI_EXCLUDED_URLS itself.
    excluded = None if environ.get("OTEL_PYTHON_FASTAPI_EXCLUDED_URLS") else DEFAULT_EXCLUDED_URLS
    tracing = Tracing(provider, excluded)
    if app is not None:
        tracing.instrument_app(app)
    log.info("tracing_on", service=environ.get("OTEL_SERVICE_NAME") or service_name)
    return tracing


def _exporters(environ: Mapping[str, str]) -> list[SpanExporter]:
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    from opentelemetry.sdk.trace.export import ConsoleSpanExporter

    names = _exporter_names(environ) or ["otlp"]
    protocol = environ.get("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL") or environ.get(
        "OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf"
    )
    if "otlp" in names and protocol != "http/protobuf":
        log.warning("otlp_protocol_unsupported", protocol=protocol, using="http/protobuf")
    exporters: list[SpanExporter] = []
    for name in names:
        if name == "otlp":
            exporters.append(OTLPSpanExporter())
        elif name == "console":
            exporters.append(ConsoleSpanExporter())
        else:
            log.warning("otel_traces_exporter_unknown", exporter=name)
    return exporters


class TraceIdMiddleware:
    """Adds ``X-Trace-Id`` (the current trace, 32 hex digits) to every response that has one."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        context = trace.get_current_span().get_span_context()
        trace_id = format(context.trace_id, "032x").encode() if context.is_valid else None

        async def send_wrapper(message: Message) -> None:
            if trace_id is not None and message["type"] == "http.response.start":
                message.setdefault("headers", [])
                message["headers"].append((TRACE_ID_HEADER, trace_id))
            await send(message)

        await self.app(scope, receive, send_wrapper)


class ProviderSpan:
    """The span of one provider call; record what the call returned as it becomes known."""

    def __init__(self, span: Span) -> None:
        self.span = span

    def record_usage(self, input_tokens: int, output_tokens: int) -> None:
        self.span.set_attribute("gen_ai.usage.input_tokens", input_tokens)
        self.span.set_attribute("gen_ai.usage.output_tokens", output_tokens)

    def record_finish(
        self, finish_reasons: Sequence[str], response_model: str | None = None
    ) -> None:
        self.span.set_attribute("gen_ai.response.finish_reasons", list(finish_reasons))
        if response_model:
            self.span.set_attribute("gen_ai.response.model", response_model)

    def record_cost(self, cost_usd: Decimal) -> None:
        self.span.set_attribute("lockgate.cost_usd", str(cost_usd))

    def first_token(self) -> None:
        self.span.add_event("gen_ai.first_token")

    def record_error(self, code: str) -> None:
        """A failure the caller handles (retry, fallback) but the trace must still show."""
        self.span.set_attribute("error.type", code)
        self.span.set_status(Status(StatusCode.ERROR, code))


@contextmanager
def provider_span(
    provider: str,
    model: str,
    *,
    operation: str = "chat",
    max_tokens: int | None = None,
    candidate: int | None = None,
    tracer: Tracer | None = None,
) -> Iterator[ProviderSpan]:
    """A CLIENT span named ``"{operation} {model}"`` with the GenAI semantic conventions.

    ``provider`` is the provider *type* (``openai``, ``anthropic``, ``simulated``), as
    ``gen_ai.system`` wants; an exception marks the span as an error (``error.type``) and
    propagates. Example::

        with provider_span("openai", "gpt-4o-mini", max_tokens=1024) as span:
            async for chunk in provider.stream(request):
                ...
            span.record_usage(usage.input_tokens, usage.output_tokens)
            span.record_finish(["stop"])
    """
    attributes: dict[str, str | int] = {
        "gen_ai.operation.name": operation,
        "gen_ai.system": provider,
        "gen_ai.provider.name": provider,
        "gen_ai.request.model": model,
    }
    if max_tokens is not None:
        attributes["gen_ai.request.max_tokens"] = max_tokens
    if candidate is not None:
        attributes["lockgate.candidate"] = candidate
    active = tracer or trace.get_tracer(INSTRUMENTATION_NAME, __version__)
    with active.start_as_current_span(
        f"{operation} {model}",
        kind=SpanKind.CLIENT,
        attributes=attributes,
        record_exception=False,
        set_status_on_exception=False,
    ) as span:
        try:
            yield ProviderSpan(span)
        except BaseException as exc:
            span.set_attribute("error.type", type(exc).__name__)
            if isinstance(exc, Exception):
                span.record_exception(exc)
                span.set_status(Status(StatusCode.ERROR, type(exc).__name__))
            raise
