"""HTTP only: ``GET /api/v1/catalog/models`` (every signed-in user: what each model costs and
where that price comes from) and ``POST /api/v1/admin/providers/{name}/check`` (admins; the
rules are `lockgate.catalog.checks`'). CSRF is the session dependency's, as everywhere."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request

from lockgate.audit.trail import AuditTrail, request_id_of
from lockgate.auth.deps import CurrentUser
from lockgate.catalog.checks import ProviderChecks
from lockgate.catalog.models import catalog
from lockgate.catalog.schemas import ModelCatalog, ProviderCheck
from lockgate.deps import SessionDep, StateDep
from lockgate.openapi import error_responses

router = APIRouter(tags=["catalog"])


async def get_checks(
    request: Request, db: SessionDep, user: CurrentUser, state: StateDep
) -> ProviderChecks:
    settings = state.config.settings
    return ProviderChecks(
        AuditTrail(db, actor=user, request_id=request_id_of(request), clock=state.clock),
        providers=state.providers,
        kinds={name: cfg.type for name, cfg in state.config.file.providers.items()},
        limiter=state.http_limiter,
        limit=settings.provider_check_limit,
        timeout=settings.provider_check_timeout_seconds,
        clock=state.clock,
    )


ChecksDep = Annotated[ProviderChecks, Depends(get_checks)]


@router.get(
    "/api/v1/catalog/models", operation_id="listModelCatalog", responses=error_responses(401)
)
async def model_catalog(_user: CurrentUser, state: StateDep) -> ModelCatalog:
    """Every configured model: provider, upstream name, prices per 1M tokens or per image and
    their source (``config``, ``builtin`` or ``unknown``), capabilities and fallbacks."""
    return catalog(state.config.file)


@router.post(
    "/api/v1/admin/providers/{name}/check",
    operation_id="checkProvider",
    responses=error_responses(401, 403, 404, 429),
)
async def check_provider(name: str, user: CurrentUser, checks: ChecksDep) -> ProviderCheck:
    """Admins: one cheap real request to the provider (its model list; nothing billed), bounded
    by a timeout, at most once per ``provider_check_limit`` per provider; the outcome (latency,
    ok or the public error) is returned and written to the audit log. A failing provider is a
    200 with ``ok: false``; 429 ``check_too_soon`` when it was checked moments ago."""
    result = await checks.check(user, name)
    await checks.trail.db.commit()
    return result
