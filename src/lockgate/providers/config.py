"""The `providers:` and `models:` sections of lockgate.yaml, as pydantic models.

Every model forbids unknown keys, so a typo such as `api_key_evn:` fails at startup with the
exact path instead of being silently ignored. Example::

    providers:
      openai: {type: openai, api_key_env: OPENAI_API_KEY}
      claude: {type: anthropic}
      sim:    {type: simulated, tokens_per_second: 200}
    models:
      gpt-4o-mini: {provider: openai, context_window: 128000}
      fast:        {provider: sim, upstream: sim-small}

Secrets never live in this file: a provider names the environment variable that holds its key,
and `resolve_api_key` (called by the settings layer with `os.environ`) reads it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from decimal import Decimal
from typing import Annotated, Literal, Self
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

_SIZE = re.compile(r"^[1-9][0-9]*x[1-9][0-9]*$")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Price(_Strict):
    """List price in USD: per million input/output tokens, and per generated image.

    Decimal, because budgets are compared to the cent across millions of calls. YAML floats
    are accepted and converted through their shortest repr (0.15 -> Decimal("0.15")).
    """

    input_per_mtok: Decimal = Field(default=Decimal(0), ge=0)
    output_per_mtok: Decimal = Field(default=Decimal(0), ge=0)
    per_image: Decimal = Field(default=Decimal(0), ge=0)


class Timeouts(_Strict):
    """The four timeouts of an upstream call, in seconds, and how they map onto aiohttp's.

    * `connect` -> `sock_connect`: opening one TCP (and TLS) connection.
    * `read` -> `sock_read`: the longest silence while waiting for the response: before its
      headers, and between two chunks of its body (so between two stream events).
    * `pool` -> `connect` = `pool + connect`: aiohttp's `connect` bounds getting a connection
      as a whole, waiting for a free one in the pool (at `max_connections`) plus opening it.
    * `write` has no aiohttp counterpart: aiohttp has no send timeout, and starts `sock_read`
      only once the body is sent, so an upstream that stops taking our bytes would hang the
      call. The provider therefore bounds everything up to the response headers by the sum
      `pool + connect + write + read`: getting a connection and waiting for the headers keep
      their own limits, so in effect the whole upload gets `write` seconds (plus what the
      other steps left unused), where httpx's `write` bounded each socket write.

    There is no overall (`total`) deadline: a long stream is fine as long as it keeps talking.
    """

    connect: float = Field(default=5, gt=0)
    read: float = Field(default=60, gt=0)
    write: float = Field(default=10, gt=0)
    pool: float = Field(default=5, gt=0)


class OpenAIProviderConfig(_Strict):
    """OpenAI, Azure OpenAI, or any OpenAI-compatible server (Ollama, vLLM, LM Studio, Groq).

    Setting `azure_api_version` switches to Azure's URL layout
    (`{base_url}/openai/deployments/{model}/...?api-version=...`) and `api-key` header.
    `max_tokens_param` exists because OpenAI's reasoning models (o1, o3, gpt-5) reject
    `max_tokens` and require `max_completion_tokens`; the cap is always sent, under one name.
    """

    type: Literal["openai"]
    base_url: str = "https://api.openai.com/v1"
    api_key_env: str | None = None
    extra_headers: dict[str, str] = Field(default_factory=dict)
    timeouts: Timeouts = Field(default_factory=Timeouts)
    azure_api_version: str | None = None
    max_connections: int = Field(default=100, ge=1)
    max_tokens_param: Literal["max_tokens", "max_completion_tokens"] = "max_tokens"
    responses_api: bool | None = None
    """Whether the upstream serves OpenAI's Responses API (``POST {base_url}/responses``), so
    ``/v1/responses`` is passed through to it; otherwise it is translated to chat completions.
    Unset: true for api.openai.com only; Ollama, vLLM, LM Studio, Groq and Azure deployments
    (whose Responses API has another URL layout) are translated. Set it to true for a
    compatible server that serves ``/responses`` under its ``base_url``."""

    @property
    def serves_responses(self) -> bool:
        if self.responses_api is not None:
            return self.responses_api
        host = urlsplit(self.base_url).hostname or ""
        return host == "api.openai.com" and self.azure_api_version is None

    @model_validator(mode="after")
    def _azure_needs_its_own_url(self) -> Self:
        if self.azure_api_version and self.base_url == "https://api.openai.com/v1":
            raise ValueError(
                "azure_api_version is set but base_url is OpenAI's; "
                "set base_url to https://<resource>.openai.azure.com"
            )
        if self.azure_api_version and self.responses_api:
            raise ValueError(
                "responses_api cannot be used with azure_api_version: /v1/responses is "
                "translated to chat completions for Azure deployments"
            )
        return self


class AnthropicProviderConfig(_Strict):
    type: Literal["anthropic"]
    base_url: str = "https://api.anthropic.com"
    api_key_env: str | None = "ANTHROPIC_API_KEY"
    anthropic_version: str = "2023-06-01"
    extra_headers: dict[str, str] = Field(default_factory=dict)
    timeouts: Timeouts = Field(default_factory=Timeouts)
    max_connections: int = Field(default=100, ge=1)


class SimulatedProviderConfig(_Strict):
    """The offline provider used in development, demos and integration/load tests.

    `failure` makes every call fail the given way; a `[[fail:...]]` directive in the last user
    message does the same for one call (see `simulated.py`). `directives` switches those
    per-message directives on or off; unset, they are on in development and off in production,
    so outside development a user cannot inject failures or steer the reply's size or speed.
    """

    type: Literal["simulated"]
    seed: int = 0
    first_token_latency: float = Field(default=0.2, ge=0)
    tokens_per_second: float = Field(default=40, gt=0)
    failure: Literal["none", "500", "429", "timeout", "cut", "malformed"] = "none"
    retry_after: float = Field(default=5, ge=0)
    cut_after_tokens: int = Field(default=5, ge=0)
    directives: bool | None = None


ProviderConfig = Annotated[
    OpenAIProviderConfig | AnthropicProviderConfig | SimulatedProviderConfig,
    Field(discriminator="type"),
]


class ModelConfig(_Strict):
    """One public model name: which provider serves it, under which upstream name, at what price.

    `price=None` means "look it up in `pricing.BUILTIN_PRICES`, else free" (see `price_for`).
    """

    provider: str
    upstream: str | None = None
    context_window: int = Field(default=8192, ge=1)
    max_output_tokens: int = Field(default=4096, ge=1)
    price: Price | None = None
    kind: Literal["chat", "image", "embedding"] = "chat"
    image_sizes: list[str] = Field(default_factory=lambda: ["256x256", "512x512", "1024x1024"])
    label: str | None = None
    fallbacks: list[str] = Field(default_factory=list)
    """Other models (by public name) tried in order when this one cannot take a call."""
    breaker_per_model: bool = False
    """Give this model its own circuit breaker (``<provider>:<model>``) instead of sharing the
    provider's — for upstreams where one model can fail while the others are healthy."""
    vision: bool = False
    """The model takes images in messages; without it a request with an image is refused (400
    ``images_not_supported``) before anything is sent."""
    max_image_tokens: int | None = Field(default=None, ge=1)
    """The most prompt tokens one image can cost on this model (the budget's bound); unset,
    the provider's published figure for the upstream model (providers/image_tokens.py)."""

    @field_validator("image_sizes")
    @classmethod
    def _sizes_are_wxh(cls, sizes: list[str]) -> list[str]:
        bad = [size for size in sizes if not _SIZE.match(size)]
        if bad:
            raise ValueError(f"image sizes must look like 1024x1024, got {bad}")
        return sizes

    def upstream_name(self, public_name: str) -> str:
        """The name sent upstream: `upstream` when set, else the public name itself."""
        return self.upstream or public_name


def resolve_api_key(
    cfg: OpenAIProviderConfig | AnthropicProviderConfig | SimulatedProviderConfig,
    environ: Mapping[str, str],
) -> str | None:
    """The API key for `cfg`, read from the variable it names; None when unset or empty.

    A missing key is not an error here: local OpenAI-compatible servers need none, and a hosted
    provider answers 401, which surfaces as `ProviderAuthError` with a clear message.
    """
    if isinstance(cfg, SimulatedProviderConfig) or cfg.api_key_env is None:
        return None
    return environ.get(cfg.api_key_env) or None
