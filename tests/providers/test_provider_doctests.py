"""The examples in the providers' docstrings are executed, so they cannot rot."""

import doctest
from types import ModuleType

import pytest

from lockgate.providers import (
    errors,
    image_parts,
    image_tokens,
    limits_headers,
    pricing,
    simulated_content,
    tokenizer,
)
from lockgate.vision import inputs


@pytest.mark.parametrize(
    "module",
    [
        errors,
        pricing,
        limits_headers,
        simulated_content,
        tokenizer,
        image_tokens,
        image_parts,
        inputs,
    ],
    ids=lambda m: m.__name__,
)
def test_docstring_examples_hold(module: ModuleType) -> None:
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert (result.failed, result.attempted > 0) == (0, True)
