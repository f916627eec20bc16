"""The model catalogue and the provider health check, as the console reads them."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, Field

PriceSource = Literal["config", "builtin", "unknown"]


class CatalogPrice(BaseModel):
    """USD, exact: per million input and output tokens, and per generated image."""

    input_per_mtok: Decimal
    output_per_mtok: Decimal
    per_image: Decimal


class CatalogModel(BaseModel):
    name: str
    label: str
    kind: Literal["chat", "image", "embedding"]
    provider: str
    provider_type: str
    upstream: str
    context_window: int
    max_output_tokens: int
    price: CatalogPrice
    price_source: PriceSource = Field(
        description="config: lockgate.yaml's `price:`; builtin: Lockgate's list-price table "
        "for the upstream name; unknown: neither, so calls are counted as free"
    )
    streaming: bool
    vision: bool
    image_sizes: list[str]
    fallbacks: list[str] = Field(description="Models tried in order when this one cannot answer")
    own_breaker: bool = Field(description="The model has a circuit breaker of its own")
    default: bool


class ModelCatalog(BaseModel):
    models: list[CatalogModel]


class ProviderCheck(BaseModel):
    """One health check: what was asked of the provider, how long it took, and the outcome.

    ``message`` is ours (the provider's own error text is never shown: it can name internal
    hosts or accounts); ``code`` is the stable error code."""

    provider: str
    provider_type: str
    ok: bool
    latency_ms: int
    checked: str = Field(description="The request made, e.g. `GET /models`")
    code: str | None = None
    message: str | None = None
    at: datetime
