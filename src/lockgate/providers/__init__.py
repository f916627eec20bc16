"""The provider layer: one interface over OpenAI(-compatible), Anthropic and a simulator.

Callers import from here; the submodules are an implementation detail except for `config`
(the yaml schema) and `errors` (the exception tree).
"""

from lockgate.providers.anthropic import AnthropicProvider
from lockgate.providers.base import (
    ChatMessage,
    ChatRequest,
    EmbeddingResult,
    Finish,
    GeneratedImage,
    ImageRequest,
    Provider,
    RateLimitInfo,
    StreamEvent,
    TextDelta,
    Usage,
    UsageReport,
)
from lockgate.providers.config import (
    AnthropicProviderConfig,
    ModelConfig,
    OpenAIProviderConfig,
    Price,
    ProviderConfig,
    SimulatedProviderConfig,
    Timeouts,
    resolve_api_key,
)
from lockgate.providers.errors import (
    ProviderAuthError,
    ProviderBadRequest,
    ProviderBadResponse,
    ProviderError,
    ProviderRateLimited,
    ProviderTimeout,
    ProviderUnavailable,
)
from lockgate.providers.openai import OpenAIProvider
from lockgate.providers.pricing import (
    BUILTIN_PRICES,
    cost,
    image_cost,
    price_for,
    upper_bound_cost,
)
from lockgate.providers.registry import ProviderRegistry, UnknownProvider, build_provider
from lockgate.providers.simulated import SimulatedProvider
from lockgate.providers.tokenizer import estimate_tokens, prompt_tokens_upper_bound

__all__ = [
    "BUILTIN_PRICES",
    "AnthropicProvider",
    "AnthropicProviderConfig",
    "ChatMessage",
    "ChatRequest",
    "EmbeddingResult",
    "Finish",
    "GeneratedImage",
    "ImageRequest",
    "ModelConfig",
    "OpenAIProvider",
    "OpenAIProviderConfig",
    "Price",
    "Provider",
    "ProviderAuthError",
    "ProviderBadRequest",
    "ProviderBadResponse",
    "ProviderConfig",
    "ProviderError",
    "ProviderRateLimited",
    "ProviderRegistry",
    "ProviderTimeout",
    "ProviderUnavailable",
    "RateLimitInfo",
    "SimulatedProvider",
    "SimulatedProviderConfig",
    "StreamEvent",
    "TextDelta",
    "Timeouts",
    "UnknownProvider",
    "Usage",
    "UsageReport",
    "build_provider",
    "cost",
    "estimate_tokens",
    "image_cost",
    "price_for",
    "prompt_tokens_upper_bound",
    "resolve_api_key",
    "upper_bound_cost",
]
