"""The two seams of the vector layer, stated once.

Vectors are ``float32`` arrays of the embedder's dimension, normalised to unit length, so cosine
similarity is a dot product and every index agrees on what a similarity of 0.95 means.

numpy is imported only for type checking here (and, lazily, when something asks for `Vector` at
run time): the response cache's modules import these protocols even when the cache is off, and a
serving worker that never embeds anything should not carry numpy (~14 MB of RSS per worker).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol, TypeAlias

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

    Vector: TypeAlias = npt.NDArray[np.float32]


def __getattr__(name: str) -> object:
    """``Vector`` at run time (PEP 562), importing numpy only then."""
    if name == "Vector":
        import numpy as np
        import numpy.typing as npt

        return npt.NDArray[np.float32]
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


class Embedder(Protocol):
    """Text in, unit vectors out; the same text always gives the same vector."""

    @property
    def name(self) -> str:
        """Identifies the model (and its version): an index built with another name is stale."""
        ...

    @property
    def dimension(self) -> int: ...

    async def embed(self, texts: Sequence[str]) -> list[Vector]:
        """One unit vector per text, in order. Never blocks the event loop."""
        ...


# A record that never expires (search and document vectors leave when they are deleted). The
# Redis index gives such keys no Redis expiry, so a cache Redis run with `volatile-lru` evicts
# cached answers (which all expire) under memory pressure and never these.
NO_EXPIRY = 32_503_680_000.0  # 3000-01-01, epoch seconds: the NUMERIC filter still needs a value


@dataclass(frozen=True, slots=True)
class Record:
    """One vector in an index: an id the owner resolves, exact-match tags, and an expiry."""

    id: str
    vector: Vector
    tags: Mapping[str, str]
    expires_at: float  # epoch seconds; a record past it is never returned (NO_EXPIRY: never)


@dataclass(frozen=True, slots=True)
class Match:
    id: str
    similarity: float  # cosine similarity, -1..1


class VectorIndex(Protocol):
    """Nearest neighbours under exact tag filters. Tags are pre-filters: a record whose tags do
    not all equal the query's is never a candidate, whatever its similarity."""

    async def add(self, records: Sequence[Record]) -> None: ...

    async def search(
        self,
        vector: Vector,
        *,
        tags: Mapping[str, str],
        k: int,
        now: float,
        min_similarity: float = -1.0,
    ) -> list[Match]:
        """Up to ``k`` unexpired matches with every tag equal, best first."""
        ...

    async def delete(self, ids: Sequence[str]) -> None: ...

    async def delete_where(self, tags: Mapping[str, str]) -> int:
        """Remove every record whose tags include these; the number removed."""
        ...

    async def close(self) -> None: ...
