"""The ``/v1`` service for a request: the caller's key and the pieces of the State it uses."""

from __future__ import annotations

from starlette.requests import Request

from lockgate.gateway.auth import get_key_context
from lockgate.gateway.service import GatewayService
from lockgate.http.ratelimit import PENDING_STATE
from lockgate.state import state_of
from lockgate.vision.inputs import ImageLimits


async def gateway_service(request: Request) -> GatewayService:
    """Called directly rather than as a dependency: FastAPI's dependency solving costs more than
    the rest of a proxied request."""
    state = state_of(request.scope)
    return GatewayService(
        await get_key_context(request, state),
        file=state.config.file,
        providers=state.providers,
        gate=state.gate,
        clock=state.clock,
        metrics=state.metrics,
        usage=state.usage_writer,
        limiter=state.http_limiter,
        sleep=state.chat.retry_sleep,
        image_limits=ImageLimits(
            max_images=state.config.settings.max_images_per_request,
            max_bytes=state.config.settings.max_image_bytes,
        ),
        cache=state.cache,
        hit=request.scope.get("state", {}).get(PENDING_STATE),
    )
