"""A counting embedder for tests of what stands on the `Embedder` protocol (not of a model)."""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Sequence

import numpy as np

from lockgate.vectors.base import Vector


def text_vector(text: str, dimension: int) -> Vector:
    """A deterministic unit vector for ``text`` (seeded by its hash)."""
    seed = int.from_bytes(hashlib.sha256(text.encode()).digest()[:8], "big")
    vector = np.random.default_rng(seed).standard_normal(dimension).astype(np.float32)
    return vector / np.linalg.norm(vector)


class CountingEmbedder:
    """Records every call; ``gate`` (when set) holds calls until the test opens it."""

    def __init__(self, dimension: int = 8, *, name: str = "counting") -> None:
        self.name = name
        self.dimension = dimension
        self.calls: list[list[str]] = []
        self.gate: asyncio.Event | None = None
        self.fail_with: BaseException | None = None

    @property
    def texts_embedded(self) -> list[str]:
        return [text for call in self.calls for text in call]

    async def embed(self, texts: Sequence[str]) -> list[Vector]:
        self.calls.append(list(texts))
        if self.gate is not None:
            await self.gate.wait()
        if self.fail_with is not None:
            raise self.fail_with
        return [text_vector(text, self.dimension) for text in texts]
