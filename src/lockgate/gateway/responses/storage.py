"""Stored responses: what a row keeps, how a chain is replayed as input, and the key's view of
them (``GET``/``DELETE /v1/responses/{id}``, ``GET …/input_items``).

Lockgate is the store of record: upstreams are always asked with ``store: false`` and never
see a ``previous_response_id``. A chain is resolved here, from the rows of the asking key,
into the input items sent upstream: each earlier response's input items, then its output
items. Replayed items lose their ``id`` (an upstream that stored nothing cannot resolve it), and
``reasoning`` items without ``encrypted_content`` are left out for the same reason (ask for
``include: ["reasoning.encrypted_content"]`` to keep a reasoning model's reasoning across turns).
Instructions are not carried over, as with OpenAI.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

import orjson
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from lockgate.errors import NotFound
from lockgate.gateway.params import InvalidRequest
from lockgate.gateway.responses.builder import new_id
from lockgate.gateway.responses.repository import ResponseRepository
from lockgate.models import StoredResponse
from lockgate.observability.logging import get_logger
from lockgate.settings import ResponsesConfig

log = get_logger("lockgate.gateway.responses")
ITEM_PREFIXES = {"message": "msg", "function_call": "fc", "function_call_output": "fco"}
KEYLESS = frozenset({"message", "function_call", "function_call_output"})


class ResponseNotFound(NotFound):
    code = "response_not_found"


def not_found(rid: str) -> ResponseNotFound:
    return ResponseNotFound(f"No response with id {rid!r} found.")


def with_ids(items: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """Input items as ``input_items`` lists them: each with an id (the client's, or a new one),
    a message's string content as one text part (``input_text``; ``output_text`` for the
    assistant's), as OpenAI lists them."""
    out = []
    for item in items:
        if "id" not in item:
            item = {"id": new_id(ITEM_PREFIXES.get(item["type"], "item")), **item}
        if item["type"] == "message" and isinstance(item.get("content"), str):
            kind = "output_text" if item.get("role") == "assistant" else "input_text"
            item = {**item, "content": [{"type": kind, "text": item["content"]}]}
        out.append(item)
    return out


def _replayable(item: Any) -> dict[str, Any] | None:
    if not isinstance(item, dict):
        return None
    kind = item.get("type")
    if kind == "reasoning" and not item.get("encrypted_content"):
        return None
    if kind in KEYLESS:
        return {k: v for k, v in item.items() if k != "id"}
    return item


def replay(rows: Sequence[StoredResponse]) -> list[dict[str, Any]]:
    """The conversation a chain of stored responses (oldest first) stands for."""
    items: list[dict[str, Any]] = []
    for row in rows:
        for item in [*row.input_items, *row.response.get("output", [])]:
            kept = _replayable(item)
            if kept is not None:
                items.append(kept)
    return items


class ResponseStore:
    """The asking key's stored responses (`sessionmaker` per operation: a streamed answer is
    stored after its request's own work is done)."""

    def __init__(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        config: ResponsesConfig,
        key_id: uuid.UUID,
    ) -> None:
        self.sessionmaker = sessionmaker
        self.config = config
        self.key_id = key_id

    async def history(self, rid: str, now: datetime) -> list[dict[str, Any]]:
        """The input items `rid` (a response of this key) and its ancestors stand for."""
        config = self.config
        async with self.sessionmaker() as db:
            repository = ResponseRepository(db)
            links = await repository.chain(rid, self.key_id, now, config.max_chain)
            if not links or links[-1].id != rid:
                raise not_found(rid)
            if len(links) > config.max_chain:
                raise InvalidRequest(
                    f"This conversation is longer than {config.max_chain} responses; start a "
                    "new one with the history as input.",
                    "previous_response_id",
                )
            if links[0].previous_response_id is not None:
                raise InvalidRequest(
                    "An earlier response of this conversation was deleted or has expired.",
                    "previous_response_id",
                )
            total = sum(link.size_bytes for link in links)
            if total > config.max_history_bytes:
                raise InvalidRequest(
                    f"This conversation is too large to continue ({total} bytes stored; at most "
                    f"{config.max_history_bytes}); start a new one.",
                    "previous_response_id",
                )
            rows = await repository.rows([link.id for link in links])
        if len(rows) != len(links):  # deleted meanwhile
            raise InvalidRequest(
                "An earlier response of this conversation was deleted or has expired.",
                "previous_response_id",
            )
        return replay(rows)

    def check_size(self, items: Sequence[dict[str, Any]]) -> None:
        """Refuse before the call an input that could never be stored."""
        size = len(orjson.dumps(list(items)))
        if size > self.config.max_stored_bytes:
            raise InvalidRequest(
                f"The input is too large to store ({size} bytes; at most "
                f"{self.config.max_stored_bytes}). Send store: false.",
                "store",
            )

    async def save(
        self, items: list[dict[str, Any]], response: dict[str, Any], now: datetime
    ) -> bool:
        """Store a finished response; False (and a log line) when it is over the size bound
        or the database refused it: the answer was paid for and is still the client's."""
        size = len(orjson.dumps(items)) + len(orjson.dumps(response))
        if size > self.config.max_stored_bytes:
            log.warning("response_not_stored", response_id=response["id"], size_bytes=size)
            return False
        row = StoredResponse(
            id=response["id"],
            api_key_id=self.key_id,
            previous_response_id=response.get("previous_response_id"),
            model=str(response.get("model")),
            status=str(response.get("status")),
            input_items=items,
            response=response,
            size_bytes=size,
            created_at=now,
            expires_at=now + timedelta(days=self.config.retention_days),
        )
        try:
            async with self.sessionmaker() as db:
                repository = ResponseRepository(db)
                await repository.purge(now)
                repository.add(row)
                await db.commit()
        except SQLAlchemyError as exc:  # the answer is paid for and delivered: keep it
            log.error("response_not_stored", response_id=response["id"], error=repr(exc))
            return False
        return True

    async def get(self, rid: str, now: datetime) -> StoredResponse:
        async with self.sessionmaker() as db:
            row = await ResponseRepository(db).get(rid, self.key_id, now)
        if row is None:
            raise not_found(rid)
        return row

    async def delete(self, rid: str, now: datetime) -> None:
        async with self.sessionmaker() as db:
            if not await ResponseRepository(db).delete(rid, self.key_id, now):
                raise not_found(rid)
            await db.commit()


def input_items_page(
    items: list[dict[str, Any]],
    *,
    after: str | None,
    before: str | None,
    limit: int,
    order: str,
) -> dict[str, Any]:
    """OpenAI's list page: ``data`` in `order` (desc: newest first), after/before an item id."""
    ordered = list(reversed(items)) if order == "desc" else list(items)
    ids = [item.get("id") for item in ordered]
    start, end = 0, len(ordered)
    if after is not None:
        if after not in ids:
            raise InvalidRequest(f"No input item with id {after!r} in this response.", "after")
        start = ids.index(after) + 1
    if before is not None:
        if before not in ids:
            raise InvalidRequest(f"No input item with id {before!r} in this response.", "before")
        end = ids.index(before)
    window = ordered[start:end]
    data = window[:limit]
    return {
        "object": "list",
        "data": data,
        "first_id": data[0]["id"] if data else None,
        "last_id": data[-1]["id"] if data else None,
        "has_more": len(window) > limit,
    }
