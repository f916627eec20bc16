"""``/health/live`` (the process answers) and ``/health/ready`` (it can serve traffic)."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from lockgate.db.migrate import current_revision, head_revision
from lockgate.deps import StateDep

router = APIRouter(prefix="/health", tags=["health"])


@router.get("/live", operation_id="healthLive")
async def live() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/ready", operation_id="healthReady")
async def ready(state: StateDep) -> JSONResponse:
    """200 when the database answers and its schema is at the latest migration, else 503.

    503 as soon as the server drains (SIGTERM): the load balancer stops sending it requests."""
    checks: dict[str, str] = {}
    if state.chat.draining:
        checks["draining"] = "shutting down"
    try:
        async with state.engine.connect() as conn:
            await conn.execute(text("SELECT 1"))
        checks["database"] = "ok"
        current, head = await current_revision(state.engine), head_revision()
        checks["migrations"] = "ok" if current == head else f"at {current}, expected {head}"
    except (SQLAlchemyError, OSError) as exc:
        checks["database"] = f"unreachable: {type(exc).__name__}"
    ok = all(v == "ok" for v in checks.values())
    return JSONResponse(
        {"status": "ok" if ok else "unavailable", "checks": checks}, status_code=200 if ok else 503
    )
