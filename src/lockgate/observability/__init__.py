"""Metrics, traces, logs and error reporting.

* ``metrics`` — :class:`~lockgate.observability.metrics.Metrics`, one per app (multiprocess-aware)
* ``http`` — request-metrics middleware, ``/metrics`` (bearer token) or a separate metrics port
* ``tracing`` — OpenTelemetry from ``OTEL_*`` (off when unset), GenAI provider spans, X-Trace-Id
* ``logging`` — structured logs with the trace id on every line
* ``sentry`` — error reporting with secrets (and optionally content) scrubbed
* ``wiring`` — ``install(app, ...)`` and the lifespan's ``running(...)``
"""
