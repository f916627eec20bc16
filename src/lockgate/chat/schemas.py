"""Chat request bodies and the model list."""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from lockgate.inputs import StrictInt, StrictNumber


class EditMessageIn(BaseModel):
    """A new version of a user message: a sibling of it, answered on a branch of its own."""

    model_config = ConfigDict(extra="forbid")

    content: str = Field(
        max_length=100_000,
        description="The text; may be empty only when images are attached (422 empty_message).",
    )
    model: str | None = Field(default=None, max_length=200)
    max_tokens: StrictInt | None = Field(default=None, ge=1, le=10_000_000)
    temperature: StrictNumber | None = Field(default=None, ge=0, le=2)
    attachment_ids: list[uuid.UUID] = Field(
        default_factory=list,
        max_length=1000,
        description=(
            "Images uploaded with POST /api/v1/attachments, in order. The model must see images "
            "(422 model_cannot_see_images); at most LOCKGATE_MAX_IMAGES_PER_REQUEST "
            "(422 too_many_attachments); another user's is a 404."
        ),
    )


class SendMessageIn(EditMessageIn):
    parent_id: uuid.UUID | None = Field(
        default=None,
        description=(
            "The message this one follows: the last message of the branch the sender sees. "
            "Omitted: the conversation's current branch. Another branch than the current one "
            "is refused (409 reply_in_progress) while an answer is being written."
        ),
    )


class RegenerateIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    model: str | None = Field(default=None, max_length=200)
    max_tokens: StrictInt | None = Field(default=None, ge=1, le=10_000_000)
    temperature: StrictNumber | None = Field(default=None, ge=0, le=2)


class PriceOut(BaseModel):
    input_per_mtok: Decimal
    output_per_mtok: Decimal
    per_image: Decimal


class ModelOut(BaseModel):
    id: str
    label: str
    kind: Literal["chat", "image", "embedding"]
    provider: str
    provider_type: str
    simulated: bool
    context_window: int
    max_output_tokens: int
    vision: bool = Field(description="Takes images in messages (attachments)")
    image_sizes: list[str]
    price: PriceOut
    default: bool


class ModelList(BaseModel):
    items: list[ModelOut]
