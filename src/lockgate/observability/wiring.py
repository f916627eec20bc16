"""The two calls that put metrics and traces into an app, so ``create_app`` stays short.

::

    metrics = Metrics()
    ...                                      # app.add_middleware(...) of the other middleware
    install(app, metrics, tracing=tracing, metrics_token=s.metrics_token,
            serve_on_app=s.metrics_port is None)          # after them: outermost

    # in the lifespan, around the yield:
    async with running(metrics, tracing=tracing, engine=engine, metrics_port=s.metrics_port,
                       metrics_host=s.metrics_host, metrics_token=s.metrics_token):
        yield {"lockgate": state}
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from typing import TYPE_CHECKING

from pydantic import SecretStr

from lockgate.observability.http import MetricsMiddleware, metrics_router, serve_metrics_on_port
from lockgate.observability.metrics import Metrics
from lockgate.observability.tracing import Tracing

if TYPE_CHECKING:
    import asyncio

    from fastapi import FastAPI
    from sqlalchemy.ext.asyncio import AsyncEngine


def install(
    app: FastAPI,
    metrics: Metrics,
    *,
    tracing: Tracing | None = None,
    metrics_token: SecretStr | None = None,
    serve_on_app: bool = True,
) -> None:
    """Request metrics (outermost middleware), ``GET /metrics`` unless served on its own port,
    and the tracing instrumentation (server spans, ``X-Trace-Id``) when tracing is on.

    Call it after every other ``add_middleware`` so 413s, 429s and 500s are counted too.
    """
    app.add_middleware(MetricsMiddleware, metrics=metrics)
    if serve_on_app:
        app.include_router(metrics_router(metrics, token=metrics_token))
    if tracing is not None:
        tracing.instrument_app(app)


@asynccontextmanager
async def running(
    metrics: Metrics,
    *,
    tracing: Tracing | None = None,
    engine: AsyncEngine | None = None,
    metrics_port: int | None = None,
    metrics_host: str = "127.0.0.1",
    metrics_token: SecretStr | None = None,
) -> AsyncIterator[asyncio.Server | None]:
    """For the lifespan: SQL spans for `engine`, the metrics port if configured; on exit, this
    worker's live gauges are dropped and buffered spans flushed. Yields the metrics server."""
    if tracing is not None and engine is not None:
        tracing.instrument_engine(engine)
    async with AsyncExitStack() as stack:
        server = None
        if metrics_port is not None:
            server = await stack.enter_async_context(
                serve_metrics_on_port(metrics, metrics_port, host=metrics_host, token=metrics_token)
            )
        try:
            yield server
        finally:
            metrics.close()
            if tracing is not None:
                tracing.shutdown()
