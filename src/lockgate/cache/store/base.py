"""A cached answer and the store protocol every backend implements.

An entry is addressed by its id, ``<scope tag>:<model tag>:<exact key>`` (hex and colons only):
the exact layer builds it from the request, the semantic layer finds it in the vector index
(the index record has the same id). Expiry is checked against the injected clock on every read,
whatever the backend's own expiry does, so a test moves time and entries expire.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from decimal import Decimal
from typing import Any, Protocol

import orjson

from lockgate.cache.keys import tag


def entry_id(scope: str, model: str, exact_key: str) -> str:
    return f"{tag(scope)}:{tag(model)}:{exact_key}"


@dataclass(frozen=True, slots=True)
class Entry:
    """One answer: what a hit replays, and what it saved."""

    id: str
    scope: str
    model: str  # the name the client asked for
    prompt: str | None  # the last user message (what the semantic guard compares)
    text: str
    finish_reason: str
    input_tokens: int
    output_tokens: int
    provider: str  # who answered (a fallback, maybe)
    served_model: str
    cost_usd: Decimal  # what the answer cost: what each hit saves
    created_at: float  # epoch seconds, by the injected clock
    expires_at: float

    def dumps(self) -> bytes:
        values: dict[str, Any] = asdict(self)
        values["cost_usd"] = str(self.cost_usd)
        return orjson.dumps(values)

    @classmethod
    def loads(cls, raw: bytes | str) -> Entry:
        values = orjson.loads(raw)
        values["cost_usd"] = Decimal(values["cost_usd"])
        return cls(**values)


class EntryStore(Protocol):
    async def get(self, entry_id: str, now: float) -> Entry | None:
        """The entry, or None when absent or expired at ``now``."""
        ...

    async def put(self, entry: Entry) -> None:
        """Store (or replace) the entry until its ``expires_at``."""
        ...

    async def purge(self, *, scope: str | None = None, model: str | None = None) -> list[str]:
        """Remove every entry of ``scope`` and/or ``model`` (both None: all); the ids removed."""
        ...

    async def purge_scopes(self, scopes: Sequence[str]) -> list[str]:
        """Remove every entry of any of these scopes (a user's own: their user and keys)."""
        ...

    async def close(self) -> None: ...
