"""Image logic: pick the model and size, call the provider, store the files, record usage.

The provider call is a paid call like any other: it goes through `lockgate.calls.once` (the
gate reserves the upper bound ``price * n`` against the user's and the provider's budgets,
respects the breaker and backpressure, then settles the exact cost of the images returned).
One generation call leaves, for the endpoint to commit in one transaction, one usage row and one
image row per stored file::

    images = await service.generate(user.id, ImageGenerate(prompt="a red fox", n=2))

Failures, by what went wrong::

    unknown model / not an image model   422 unknown_model          nothing written
    size not offered by the model        422 unsupported_size       nothing written
    ProviderRateLimited                  429 provider_rate_limited  usage row (error), Retry-After
    ProviderBadRequest                   422 provider_bad_request   usage row (error); usually the
                                                                    upstream refused the prompt
    any other ProviderError              502 with its code          usage row (error)
    bytes not PNG/JPEG/WebP as declared  502 provider_bad_response  usage row (error, billed)
    a file cannot be written             503 storage_unavailable    usage row (ok), files removed

Invariant: when ``generate`` raises an ``AppError``, the usage row is the only pending change in
the session, so the endpoint commits it and the ledger sees every provider call.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncSession

from lockgate.calls.candidates import as_candidate
from lockgate.calls.once import Bound, Owner, Spend, call_once
from lockgate.calls.usage import SessionUsage
from lockgate.clock import Clock
from lockgate.conversations.pagination import decode_cursor, encode_cursor
from lockgate.errors import (
    AppError,
    NotFound,
    ProviderFailed,
    RateLimited,
    ServiceUnavailable,
    UnknownModel,
    Unprocessable,
)
from lockgate.gate import Gate
from lockgate.images.repository import ImageRepository
from lockgate.images.schemas import ImageGenerate, ImageOut, ImagePage
from lockgate.images.storage import EXTENSIONS, ImageStorage, sniff_mime
from lockgate.inputs import Instant
from lockgate.models import Image, UsageKind
from lockgate.observability.logging import get_logger
from lockgate.providers.base import GeneratedImage, ImageRequest, Provider
from lockgate.providers.config import ModelConfig
from lockgate.providers.errors import (
    ProviderBadRequest,
    ProviderBadResponse,
    ProviderError,
    ProviderRateLimited,
)
from lockgate.providers.pricing import image_cost
from lockgate.providers.registry import ProviderRegistry

log = get_logger("lockgate.images")

DEFAULT_RETRY_AFTER_S = 5.0


class ImageNotFound(NotFound):
    message = "Image not found."


class UnsupportedSize(Unprocessable):
    code = "unsupported_size"
    message = "This image size is not offered by the model."


class ProviderRefused(Unprocessable):
    code = "provider_bad_request"
    message = "The image provider refused the request."


class StorageFailed(ServiceUnavailable):
    code = "storage_unavailable"
    message = "The images could not be saved; try again later."


@dataclass(frozen=True, slots=True)
class Target:
    """What a request resolved to: public model name, its config, upstream name and size."""

    model: str
    config: ModelConfig
    upstream: str
    size: str


def resolve_target(
    models: Mapping[str, ModelConfig], model: str | None, size: str | None
) -> Target:
    """The model (default: the first image model) and size (default: its first size)."""
    image_models = [name for name, cfg in models.items() if cfg.kind == "image"]
    name = model if model is not None else next(iter(image_models), None)
    if name is None:
        raise UnknownModel("No image model is configured on this server.")
    config = models.get(name)
    if config is None or config.kind != "image":
        available = ", ".join(image_models) or "none"
        raise UnknownModel(f"{name!r} is not an image model (available: {available}).")
    chosen = size if size is not None else next(iter(config.image_sizes), None)
    if chosen is None or chosen not in config.image_sizes:
        allowed = ", ".join(config.image_sizes) or "none"
        raise UnsupportedSize(f"{name} does not offer size {chosen!r}; allowed sizes: {allowed}.")
    return Target(name, config, config.upstream_name(name), chosen)


def verify(generated: Sequence[GeneratedImage], n: int, *, provider: str) -> None:
    """Refuse a response we would not dare serve: wrong count, type, or bytes not of that type."""
    if not 1 <= len(generated) <= n:
        message = f"asked for {n} images, got {len(generated)}"
        raise ProviderBadResponse(message, provider=provider)
    for item in generated:
        if item.mime_type not in EXTENSIONS:
            message = f"unsupported image type {item.mime_type[:64]!r}"
            raise ProviderBadResponse(message, provider=provider)
        if sniff_mime(item.data) != item.mime_type:
            message = f"the bytes are not {item.mime_type}"
            raise ProviderBadResponse(message, provider=provider)


def client_error(exc: ProviderError) -> AppError:
    """The error the client sees for a provider failure (see the module docstring)."""
    if isinstance(exc, ProviderRateLimited):
        return RateLimited(
            "The image provider is rate limiting us; try again later.",
            retry_after=exc.retry_after or DEFAULT_RETRY_AFTER_S,
            code=exc.code,
        )
    if isinstance(exc, ProviderBadRequest):  # the detail (upstream text) is in the log only
        return ProviderRefused("The image provider refused the request.")
    return ProviderFailed("The image provider failed; try again later.", code=exc.code)


class ImageService:
    def __init__(
        self,
        db: AsyncSession,
        *,
        clock: Clock,
        gate: Gate,
        models: Mapping[str, ModelConfig],
        providers: ProviderRegistry,
        storage: ImageStorage,
    ) -> None:
        self.db = db
        self.clock = clock
        self.gate = gate
        self.models = models
        self.providers = providers
        self.storage = storage
        self.images = ImageRepository(db)

    async def generate(self, user_id: uuid.UUID, body: ImageGenerate) -> list[Image]:
        """Call the provider once for ``body.n`` images and store them (nothing is committed)."""
        target = resolve_target(self.models, body.model, body.size)
        chosen = as_candidate(target.model, target.config, self.providers)
        request = ImageRequest(target.upstream, body.prompt, target.size, body.n)

        async def invoke(provider: Provider) -> list[GeneratedImage]:
            return await provider.generate_images(request)

        def measure(generated: list[GeneratedImage] | None) -> Spend:
            """Images the provider returned are billed, even if refused."""
            count = len(generated or ())
            return Spend(image_cost(chosen.price, count), images=count)

        try:
            generated = await call_once(
                self.gate,
                chosen,
                Owner(user_id),
                Bound(image_cost(chosen.price, body.n)),
                invoke,
                measure,
                kind=UsageKind.IMAGE,
                usage=SessionUsage(self.db),
                clock=self.clock,
                check=lambda images: verify(images, body.n, provider=chosen.provider.name),
            )
        except ProviderError as exc:
            log.warning(
                "image_provider_failed", provider=exc.provider, code=exc.code, error=exc.message
            )
            raise client_error(exc) from exc
        return await self._store(
            user_id, target, body.prompt, generated, image_cost(chosen.price, 1)
        )

    async def _store(
        self,
        user_id: uuid.UUID,
        target: Target,
        prompt: str,
        generated: Sequence[GeneratedImage],
        cost_each: Decimal,
    ) -> list[Image]:
        """Write every file, then add the rows; on any failure remove what was written."""
        now = self.clock()
        images: list[Image] = []
        try:
            for item in generated:
                image_id = uuid.uuid4()
                file_name = await self.storage.write(image_id, item.mime_type, item.data)
                images.append(
                    Image(
                        id=image_id,
                        user_id=user_id,
                        prompt=prompt,
                        model=target.model,
                        provider=target.config.provider,
                        size=target.size,
                        mime_type=item.mime_type,
                        file_name=file_name,
                        byte_size=len(item.data),
                        cost_usd=cost_each,
                        created_at=now,
                    )
                )
            await self.images.add_all(images)
        except BaseException as exc:
            await self.storage.remove([image.file_name for image in images])
            if isinstance(exc, OSError):
                log.error("image_write_failed", error=str(exc), root=str(self.storage.root))
                raise StorageFailed() from exc
            raise
        return images

    async def discard_files(self, images: Iterable[Image]) -> None:
        """Remove the files of images whose rows were never committed."""
        await self.storage.remove([image.file_name for image in images])

    async def get(self, image_id: uuid.UUID, user_id: uuid.UUID) -> Image:
        image = await self.images.get_owned(image_id, user_id)
        if image is None:
            raise ImageNotFound()
        return image

    async def file(
        self, image_id: uuid.UUID, user_id: uuid.UUID
    ) -> tuple[Image, Path, os.stat_result]:
        """An own image with its file's path and stat; a row without its file is a 404."""
        image = await self.get(image_id, user_id)
        stat = await self.storage.stat(image.file_name)
        if stat is None:
            log.error("image_file_missing", image_id=str(image.id), file_name=image.file_name)
            raise ImageNotFound()
        return image, self.storage.path(image.file_name), stat

    async def list(self, user_id: uuid.UUID, *, limit: int, cursor: str | None) -> ImagePage:
        after = None
        if cursor:
            data = decode_cursor(cursor, c=Instant, i=uuid.UUID)
            after = (data["c"], data["i"])
        rows = await self.images.list_owned(user_id, limit=limit + 1, after=after)
        items, more = rows[:limit], len(rows) > limit
        next_cursor = (
            encode_cursor(c=items[-1].created_at.isoformat(), i=str(items[-1].id)) if more else None
        )
        return ImagePage(items=[ImageOut.model_validate(i) for i in items], next_cursor=next_cursor)

    async def delete(self, image_id: uuid.UUID, user_id: uuid.UUID) -> Image:
        """Delete the row; the caller removes the file once the deletion is committed."""
        image = await self.get(image_id, user_id)
        await self.images.delete(image)
        return image
