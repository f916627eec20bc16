"""The cheapest honest request that shows a provider answers us: for a health check.

* OpenAI and OpenAI-compatible servers: ``GET /models`` (Azure: ``GET /openai/models``). It is
  free, it needs the API key (a wrong key answers 401), and every compatible server (Ollama,
  vLLM, LM Studio, Groq) serves it.
* Anthropic: ``GET /v1/models?limit=1``: free, authenticated, one small page.
* The simulated provider: one embedding of two words, which costs nothing and fails the way the
  provider is configured to fail (``failure:``), as its real calls would.

No tokens are generated and nothing is billed. A failure is raised as the `ProviderError` a real
call would raise, so its public message and code are the ones users already see.

Example::

    await probe(registry.get("openai"))      # GET /models; raises ProviderError on failure
"""

from __future__ import annotations

from lockgate.providers.anthropic import AnthropicProvider
from lockgate.providers.base import Provider
from lockgate.providers.openai import OpenAIProvider
from lockgate.providers.simulated import SimulatedProvider


def probe_request(provider: Provider) -> str:
    """What `probe` asks of ``provider``, for the report."""
    if isinstance(provider, AnthropicProvider):
        return "GET /v1/models?limit=1"
    if isinstance(provider, OpenAIProvider):
        return "GET /models"
    if isinstance(provider, SimulatedProvider):
        return "one embedding (simulated, free)"
    return "list models"


async def probe(provider: Provider) -> None:
    """Make the check's one request; a failure raises the `ProviderError` a call would."""
    if isinstance(provider, AnthropicProvider):
        await provider.probe_models()
    elif isinstance(provider, SimulatedProvider):
        await provider.embed("sim-embed", ["health check"])
    else:  # OpenAI and compatible servers, and any other Provider: its model listing
        await provider.list_models()
