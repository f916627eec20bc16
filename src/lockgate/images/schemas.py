"""Image request and response bodies."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, computed_field

from lockgate.inputs import StrictInt

# The same limits on /api/v1/images and /v1/images/generations (gateway/wire.py).
MAX_PROMPT_CHARS = 4000
MAX_IMAGES = 4
Prompt = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=MAX_PROMPT_CHARS)
]


class ImageGenerate(BaseModel):
    """``model`` defaults to the first configured image model, ``size`` to its first size."""

    model_config = ConfigDict(extra="forbid")

    prompt: Prompt
    size: Annotated[str, StringConstraints(max_length=32)] | None = Field(
        default=None, examples=["1024x1024"]
    )
    n: StrictInt = Field(default=1, ge=1, le=MAX_IMAGES)
    model: Annotated[str, StringConstraints(max_length=200)] | None = None


class ImageOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    prompt: str
    model: str
    provider: str
    size: str
    mime_type: str
    cost_usd: Decimal
    created_at: datetime

    @computed_field  # type: ignore[prop-decorator]
    @property
    def url(self) -> str:
        """Where the image file is served (to its owner only)."""
        return f"/api/v1/images/{self.id}"


class ImageBatch(BaseModel):
    """The images of one generation call, in the order the provider returned them."""

    items: list[ImageOut]


class ImagePage(BaseModel):
    items: list[ImageOut]
    next_cursor: str | None = Field(description="Pass as ?cursor= for the next (older) page")
