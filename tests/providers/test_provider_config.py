from decimal import Decimal

import pytest
from pydantic import TypeAdapter, ValidationError

from lockgate.providers import (
    AnthropicProviderConfig,
    ModelConfig,
    OpenAIProviderConfig,
    Price,
    ProviderConfig,
    SimulatedProviderConfig,
    resolve_api_key,
)

PROVIDER = TypeAdapter(ProviderConfig)


def test_type_selects_the_config_class() -> None:
    anthropic = PROVIDER.validate_python({"type": "anthropic"})
    simulated = PROVIDER.validate_python({"type": "simulated"})
    assert (
        isinstance(anthropic, AnthropicProviderConfig),
        isinstance(simulated, SimulatedProviderConfig),
    ) == (True, True)


def test_unknown_key_is_rejected_with_its_name() -> None:
    with pytest.raises(ValidationError, match="api_key_evn"):
        PROVIDER.validate_python({"type": "openai", "api_key_evn": "X"})


def test_unknown_type_is_rejected() -> None:
    with pytest.raises(ValidationError, match="gemini"):
        PROVIDER.validate_python({"type": "gemini"})


def test_azure_requires_its_own_base_url() -> None:
    with pytest.raises(ValidationError, match="base_url"):
        OpenAIProviderConfig(type="openai", azure_api_version="2024-10-21")


def test_timeouts_default_to_documented_values() -> None:
    t = OpenAIProviderConfig(type="openai").timeouts
    assert (t.connect, t.read, t.write, t.pool) == (5, 60, 10, 5)


def test_yaml_float_price_becomes_exact_decimal() -> None:
    price = Price.model_validate({"input_per_mtok": 0.15, "output_per_mtok": 0.6})
    assert (price.input_per_mtok, price.output_per_mtok) == (Decimal("0.15"), Decimal("0.6"))


def test_negative_price_is_rejected() -> None:
    with pytest.raises(ValidationError):
        Price(input_per_mtok=Decimal(-1))


def test_model_defaults_upstream_to_its_own_name() -> None:
    assert ModelConfig(provider="openai").upstream_name("gpt-4o") == "gpt-4o"


def test_model_image_sizes_must_be_wxh() -> None:
    with pytest.raises(ValidationError, match="1024x1024"):
        ModelConfig(provider="sim", kind="image", image_sizes=["large"])


def test_api_key_is_read_from_the_named_variable() -> None:
    cfg = OpenAIProviderConfig(type="openai", api_key_env="MY_KEY")
    assert resolve_api_key(cfg, {"MY_KEY": "sk-1"}) == "sk-1"


@pytest.mark.parametrize("environ", [{}, {"ANTHROPIC_API_KEY": ""}])
def test_missing_or_empty_api_key_is_none(environ: dict[str, str]) -> None:
    assert resolve_api_key(AnthropicProviderConfig(type="anthropic"), environ) is None


def test_openai_without_key_variable_needs_no_key() -> None:
    cfg = OpenAIProviderConfig(type="openai", base_url="http://localhost:11434/v1")
    assert resolve_api_key(cfg, {"OPENAI_API_KEY": "sk-unused"}) is None


def test_simulated_has_no_key() -> None:
    assert resolve_api_key(SimulatedProviderConfig(type="simulated"), {"X": "y"}) is None
