"""The configured models as the console shows them: each price with its source.

A price comes from one of three places, in this order (`lockgate.providers.pricing.price_for`):
the model's ``price:`` in lockgate.yaml (``config``), Lockgate's list-price table for the
upstream name (``builtin``), or nowhere (``unknown``: calls are counted as free, right for a
local model and a mistake for a hosted one — the console says which).
"""

from __future__ import annotations

from lockgate.catalog.schemas import CatalogModel, CatalogPrice, ModelCatalog, PriceSource
from lockgate.providers.config import ModelConfig, Price
from lockgate.providers.pricing import builtin_price
from lockgate.settings import FileConfig


def priced(upstream: str, model: ModelConfig) -> tuple[Price, PriceSource]:
    """The price charged for ``model`` and where it comes from."""
    if model.price is not None:
        return model.price, "config"
    table = builtin_price(upstream)
    if table is not None:
        return table, "builtin"
    return Price(), "unknown"


def catalog(file: FileConfig) -> ModelCatalog:
    """Every configured model, in the file's order."""
    default = file.effective_default_model
    models = []
    for name, model in file.models.items():
        provider = file.providers[model.provider]
        upstream = model.upstream_name(name)
        price, source = priced(upstream, model)
        models.append(
            CatalogModel(
                name=name,
                label=model.label or name,
                kind=model.kind,
                provider=model.provider,
                provider_type=provider.type,
                upstream=upstream,
                context_window=model.context_window,
                max_output_tokens=model.max_output_tokens,
                price=CatalogPrice(
                    input_per_mtok=price.input_per_mtok,
                    output_per_mtok=price.output_per_mtok,
                    per_image=price.per_image,
                ),
                price_source=source,
                streaming=model.kind == "chat",
                vision=model.vision,
                image_sizes=model.image_sizes if model.kind == "image" else [],
                fallbacks=list(model.fallbacks),
                own_breaker=model.breaker_per_model,
                default=name == default,
            )
        )
    return ModelCatalog(models=models)
