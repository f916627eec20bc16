"""Run by test_tracing_export.py as ``python -m tests.observability.otlp_app`` in its own process.

Tracing is process-wide (the global tracer provider, httpx and Redis patched at class level), so
the end-to-end check runs here, away from the test process: ``configure_tracing`` from the
standard ``OTEL_*`` variables, one request through an instrumented app that touches SQLite,
Redis, httpx and a provider span, then ``shutdown()`` flushes the batch to the collector.

Prints ``{"trace_id": <X-Trace-Id of the response>}`` on stdout; logs (JSON) go to stderr.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys

import httpx
import redis.asyncio as aioredis
from fastapi import FastAPI
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from lockgate.middleware import RequestLogMiddleware
from lockgate.observability.logging import configure_logging, get_logger
from lockgate.observability.tracing import configure_tracing, provider_span


async def main() -> None:
    configure_logging("INFO", "json")
    tracing = configure_tracing("lockgate-e2e", environ=os.environ)
    engine = create_async_engine("sqlite+aiosqlite:///:memory:")
    tracing.instrument_engine(engine)
    redis_client = aioredis.from_url(os.environ["TEST_REDIS_URL"])
    collector = os.environ["OTEL_EXPORTER_OTLP_ENDPOINT"]
    log = get_logger("lockgate.e2e")
    app = FastAPI()

    @app.get("/api/v1/work/{n}")
    async def work(n: int) -> dict[str, int]:
        async with engine.connect() as conn:
            await conn.execute(text("SELECT 1"))
        await redis_client.ping()
        async with httpx.AsyncClient() as http:
            await http.get(f"{collector}/ping")
        with provider_span("simulated", "sim-small", max_tokens=64) as span:
            span.first_token()
            span.record_usage(12, 34)
            span.record_finish(["stop"], response_model="sim-small-v1")
        log.info("work_done", n=n)
        return {"n": n}

    app.add_middleware(RequestLogMiddleware)
    tracing.instrument_app(app)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://app") as client:
        response = await client.get("/api/v1/work/7")
        await client.get("/health/live")  # excluded from tracing (404 here, no span either)
    response.raise_for_status()
    await redis_client.aclose()
    await engine.dispose()
    tracing.shutdown()
    print(json.dumps({"trace_id": response.headers.get("x-trace-id")}))
    sys.stdout.flush()


if __name__ == "__main__":
    asyncio.run(main())
