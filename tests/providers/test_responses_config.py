"""Which OpenAI-format upstreams get ``/v1/responses`` passed through (`serves_responses`)."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from lockgate.providers.config import OpenAIProviderConfig
from lockgate.providers.openai import OpenAIProvider
from lockgate.providers.responses_wire import responses_wire


@pytest.mark.parametrize(
    ("settings", "serves"),
    [
        ({}, True),  # api.openai.com
        ({"base_url": "http://127.0.0.1:11434/v1"}, False),  # Ollama and the like
        ({"base_url": "http://127.0.0.1:8000/v1", "responses_api": True}, True),
        ({"responses_api": False}, False),
        ({"base_url": "https://x.openai.azure.com", "azure_api_version": "2024-10-21"}, False),
    ],
)
def test_serves_responses(settings: dict[str, object], serves: bool) -> None:
    config = OpenAIProviderConfig.model_validate({"type": "openai", **settings})
    assert config.serves_responses is serves
    provider = OpenAIProvider("p", config, None)
    assert (responses_wire(provider) is not None) is serves


def test_azure_cannot_claim_the_responses_api() -> None:
    with pytest.raises(ValidationError, match="responses_api"):
        OpenAIProviderConfig.model_validate(
            {
                "type": "openai",
                "base_url": "https://x.openai.azure.com",
                "azure_api_version": "2024-10-21",
                "responses_api": True,
            }
        )
