"""The Redis vector index: a dedicated cache Redis with the query engine, shared by replicas.

Lockgate creates the index itself (``ensure_ready``, idempotent): hashes under a prefix, one HNSW
vector field (float32, cosine), one TAG field and one NUMERIC expiry. Its name is versioned —
namespace, schema version, embedder and dimension — so another model or dimension gets a new,
empty index and never mixes vectors; ``ensure_ready`` then drops the indexes of other versions
with their keys (``FT.DROPINDEX … DD``): their vectors can never be compared with the new ones.

Tags are pre-filters. Each ``key=value`` pair is stored as one token of the TAG field, the hex of
its hash: any tag name works without a schema change, and no value can break the query syntax
(nothing to escape, nothing a tenant can inject). A search is::

    FT.SEARCH idx "(@tags:{<h(scope=…)>} @tags:{<h(ctx=…)>} @expires:[(now +inf])
                   =>[KNN 5 @vec $B AS distance]" PARAMS 2 B <blob> SORTBY distance DIALECT 2

Expired records are never returned (the NUMERIC filter, exact to the caller's ``now``); the key
also carries a Redis expiry a minute past it, so Redis removes them by itself. A record that never
expires (``NO_EXPIRY``: search and document vectors) gets no Redis expiry, so the cache Redis,
run with ``--maxmemory-policy volatile-lru``, evicts only cached answers under memory pressure
and never an index that nothing would tell us was incomplete.

No silent fallback: a server without the query engine fails ``ensure_ready`` with a message that
says what to run.
"""

from __future__ import annotations

import hashlib
import math
import re
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
import orjson
from redis.asyncio import Redis
from redis.exceptions import RedisError, ResponseError
from redis.typing import EncodableT

from lockgate.observability.logging import get_logger

from .base import NO_EXPIRY, Match, Record, Vector
from .errors import VectorStoreUnavailable

log = get_logger("lockgate.vectors")
SCHEMA_VERSION = 1
KEY_GRACE_SECONDS = 60
_DELETE_PAGE = 500
_NO_ENGINE = (
    "The cache Redis at {where} has no query engine (FT.CREATE/FT.SEARCH are unknown), which the "
    "Redis cache store needs. Run Redis 8 (the official redis:8 image has it built in) or load "
    "the RediSearch module (redis-server --loadmodule /path/to/redisearch.so); see the README, "
    "'Response cache'. Or set cache.store: embedded for a single process."
)


def index_name(namespace: str, embedder: str, dimension: int) -> str:
    """``lockgate:cache:v1:all-minilm-l6-v2-onnx-int8-8199be6f-5c1e0a2b:384``.

    The embedder's name is slugged for reading and hashed for uniqueness (two names that slug
    alike still get two indexes).
    """
    slug = re.sub(r"[^a-z0-9]+", "-", embedder.lower()).strip("-")[:48]
    digest = hashlib.blake2b(embedder.encode(), digest_size=4).hexdigest()
    return f"lockgate:{namespace}:v{SCHEMA_VERSION}:{slug}-{digest}:{dimension}"


def tag_token(key: str, value: str) -> str:
    """One ``key=value`` pair as a TAG token: 32 hex digits, safe in any query."""
    pair = orjson.dumps([key, value])
    return hashlib.blake2b(pair, digest_size=16).hexdigest()


class RedisIndex:
    """The `VectorIndex` for ``store: redis``. Call `ensure_ready` at start-up."""

    def __init__(
        self,
        client: Redis,
        *,
        embedder: str,
        dimension: int,
        namespace: str = "cache",
        clock: Callable[[], float] = time.time,
        owns_client: bool = True,
    ) -> None:
        if dimension < 1:
            raise ValueError(f"dimension must be >= 1, got {dimension}")
        self._redis = client
        self._dimension = dimension
        self._namespace = namespace
        self._clock = clock
        self._owns_client = owns_client
        self.name = index_name(namespace, embedder, dimension)
        self.prefix = f"{self.name}:r:"

    async def ensure_ready(self, *, drop_stale: bool = True) -> list[str]:
        """Create the index unless it exists; drop other versions' indexes (and their keys).

        Returns the names of the indexes dropped. Raises `VectorStoreUnavailable` when the server
        is unreachable or lacks the query engine.
        """
        existing = await self._list_indexes()
        if self.name not in existing:
            await self._create()
        dropped = []
        if drop_stale:
            ours = f"lockgate:{self._namespace}:"
            for name in existing:
                if name.startswith(ours) and name != self.name:
                    await self._command("FT.DROPINDEX", name, "DD")
                    dropped.append(name)
        return dropped

    async def add(self, records: Sequence[Record]) -> None:
        now = self._clock()
        async with self._redis.pipeline(transaction=False) as pipe:
            for record in records:
                vector = np.ascontiguousarray(record.vector, dtype=np.float32)
                if vector.shape != (self._dimension,):
                    raise ValueError(
                        f"record {record.id!r}: vector of shape {vector.shape}, "
                        f"the index holds {self._dimension} dimensions"
                    )
                key = self.prefix + record.id
                pipe.delete(key)  # replacing a record must not keep its old fields
                if record.expires_at <= now:
                    continue
                pipe.hset(key, mapping=_fields(record, vector))
                if record.expires_at < NO_EXPIRY:  # else no expiry: `volatile-lru` keeps it
                    pipe.expire(key, math.ceil(record.expires_at - now) + KEY_GRACE_SECONDS)
            await self._run(pipe.execute())

    async def search(
        self,
        vector: Vector,
        *,
        tags: Mapping[str, str],
        k: int,
        now: float,
        min_similarity: float = -1.0,
    ) -> list[Match]:
        if k < 1:
            return []
        query = np.ascontiguousarray(vector, dtype=np.float32)
        if query.shape != (self._dimension,):
            raise ValueError(f"query of shape {query.shape}, the index holds {self._dimension}")
        after = repr(float(now))  # a plain number, whatever float type the caller passed
        expression = f"({_tag_filter(tags)} @expires:[({after} +inf])=>[KNN {k} @vec $B AS d]"
        reply = await self._command(
            "FT.SEARCH", self.name, expression, "PARAMS", 2, "B", query.tobytes(),
            "SORTBY", "d", "ASC", "RETURN", 2, "id", "d", "LIMIT", 0, k, "DIALECT", 2,
        )  # fmt: skip
        matches = []
        for _key, fields in _documents(reply):
            similarity = 1.0 - float(fields[b"d"])
            if similarity >= min_similarity:
                matches.append(Match(fields[b"id"].decode(), similarity))
        return matches

    async def delete(self, ids: Sequence[str]) -> None:
        if ids:
            await self._run(self._redis.delete(*(self.prefix + i for i in ids)))

    async def delete_where(self, tags: Mapping[str, str]) -> int:
        """Pages through the matching keys, deleting each page (the index drops them at once,
        so the next page starts again at offset 0). A page of keys that were already gone (expired
        between the search and the delete) ends it rather than looping on them."""
        removed = 0
        query = _tag_filter(tags) or "*"
        while True:
            reply = await self._command(
                "FT.SEARCH", self.name, query, "NOCONTENT", "LIMIT", 0, _DELETE_PAGE, "DIALECT", 2
            )
            keys = [key for key, _fields in _documents(reply)]
            if not keys:
                return removed
            deleted = int(await self._run(self._redis.delete(*keys)))
            if deleted == 0:
                return removed
            removed += deleted

    async def close(self) -> None:
        if self._owns_client:
            await self._redis.aclose()

    async def _list_indexes(self) -> list[str]:
        try:
            names = await self._execute("FT._LIST")
        except ResponseError as exc:
            if "unknown command" in str(exc).lower():
                raise VectorStoreUnavailable(_NO_ENGINE.format(where=self._where())) from None
            raise VectorStoreUnavailable(f"The cache Redis refused FT._LIST: {exc}") from exc
        except RedisError as exc:
            raise VectorStoreUnavailable(
                f"The cache Redis at {self._where()} cannot be reached: {exc}"
            ) from exc
        return [n.decode() if isinstance(n, bytes) else str(n) for n in names]

    async def _create(self) -> None:
        try:
            await self._execute(
                "FT.CREATE", self.name, "ON", "HASH", "PREFIX", 1, self.prefix,
                "SCHEMA",
                "tags", "TAG", "SEPARATOR", ",",
                "expires", "NUMERIC",
                "vec", "VECTOR", "HNSW", 6,
                "TYPE", "FLOAT32", "DIM", self._dimension, "DISTANCE_METRIC", "COSINE",
            )  # fmt: skip
        except ResponseError as exc:
            if "already exists" not in str(exc).lower():  # another replica was first: fine
                raise VectorStoreUnavailable(f"FT.CREATE {self.name} failed: {exc}") from exc
        except RedisError as exc:
            raise VectorStoreUnavailable(f"FT.CREATE {self.name} failed: {exc}") from exc

    async def _command(self, *args: Any) -> Any:
        """An FT command on our index. An index gone from the server (the cache Redis restarted
        without persistence, or was flushed) is created again at once and the command retried:
        the keys still there are indexed again by the server, and the owners' markers tell them
        to rebuild the rest (`search.indexer`, `documents.indexer`)."""
        try:
            return await self._execute(*args)
        except ResponseError as exc:
            if not _index_missing(exc):
                raise _failure(exc) from exc
        except RedisError as exc:
            raise _failure(exc) from exc
        log.warning("vector_index_recreated", index=self.name)
        await self._create()
        return await self._run(self._execute(*args))

    async def _execute(self, *args: Any) -> Any:
        """The one raw command call (redis-py leaves `execute_command` untyped)."""
        return await self._redis.execute_command(*args)  # type: ignore[no-untyped-call]

    async def _run(self, awaitable: Any) -> Any:
        try:
            return await awaitable
        except RedisError as exc:
            raise _failure(exc) from exc

    def _where(self) -> str:
        kwargs = self._redis.connection_pool.connection_kwargs
        if "path" in kwargs:
            return str(kwargs["path"])
        return f"{kwargs.get('host', '?')}:{kwargs.get('port', '?')}"


def _fields(record: Record, vector: Vector) -> dict[EncodableT, EncodableT]:
    tokens = ",".join(tag_token(k, v) for k, v in sorted(record.tags.items()))
    return {
        "id": record.id,
        "vec": vector.tobytes(),
        "tags": tokens,
        "expires": record.expires_at,
        "tag_values": orjson.dumps(dict(record.tags)),  # for people reading the hash
    }


def _tag_filter(tags: Mapping[str, str]) -> str:
    return " ".join(f"@tags:{{{tag_token(k, v)}}}" for k, v in sorted(tags.items()))


def _documents(reply: Any) -> list[tuple[bytes, dict[bytes, bytes]]]:
    """The (key, fields) of an FT.SEARCH reply, in either protocol.

    RESP2: ``[total, key, [field, value, …], …]`` (with NOCONTENT: ``[total, key, …]``);
    RESP3: ``{"total_results": n, "results": [{"id": key, "extra_attributes": {…}}, …]}``.
    """
    if isinstance(reply, dict):
        results = reply.get(b"results", reply.get("results")) or []
        out = []
        for result in results:
            key = result.get(b"id", result.get("id", b""))
            fields = result.get(b"extra_attributes", result.get("extra_attributes", {}))
            out.append((key, dict(fields)))
        return out
    if not isinstance(reply, list) or len(reply) < 2:
        return []
    rest = reply[1:]
    if len(rest) > 1 and isinstance(rest[1], list):
        return [
            (key, dict(zip(fields[::2], fields[1::2], strict=True)))
            for key, fields in zip(rest[::2], rest[1::2], strict=True)
        ]
    return [(key, {}) for key in rest]


def _index_missing(exc: ResponseError) -> bool:
    text = str(exc).lower()
    return "unknown index name" in text or "no such index" in text


def _failure(exc: RedisError) -> VectorStoreUnavailable:
    if isinstance(exc, ResponseError):
        if _index_missing(exc):
            return VectorStoreUnavailable(
                "The vector index is gone from the cache Redis and could not be recreated."
            )
        return VectorStoreUnavailable(f"The cache Redis refused a command: {exc}")
    return VectorStoreUnavailable(f"The cache Redis failed: {exc}")
