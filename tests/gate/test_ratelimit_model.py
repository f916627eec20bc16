"""The HTTP rate limiter against a naive model: random hits and idle periods, several clients
(anonymous, cookie, Bearer) on two addresses, several limits sharing window lengths, the global,
per-IP and endpoint scopes. The model keeps every hit of every counter forever and counts those
inside the window; the limiter (memory and Redis) must admit, refuse and report exactly as it does,
and never raise anything else (the idle ``KeyError`` of issue 12 was such a case)."""

from __future__ import annotations

import asyncio
import math
import uuid
from dataclasses import dataclass, field
from typing import NamedTuple

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from starlette.requests import HTTPConnection

from lockgate.errors import RateLimited
from lockgate.gate.ratelimit import HttpRateLimiter, KeyBy

START = 1_900_000_000.0
ADDRESSES = ("198.51.100.1", "2001:db8::1")
# (kind, credential, address): two clients share each address, two share a cookie/token.
CLIENTS = (
    ("anonymous", "", ADDRESSES[0]),
    ("anonymous", "", ADDRESSES[1]),
    ("cookie", "s1", ADDRESSES[0]),
    ("cookie", "s1", ADDRESSES[1]),
    ("bearer", "k1", ADDRESSES[0]),
    ("bearer", "k2", ADDRESSES[0]),
)
# Few window lengths, so that limits of different scopes often share one.
Limit = tuple[int, int]  # (amount, window seconds)
limits_st = st.lists(
    st.tuples(st.integers(1, 4), st.sampled_from([1, 2, 5])), min_size=1, max_size=3
)


class Hit(NamedTuple):
    client: int
    scope: str
    by: KeyBy


class Idle(NamedTuple):
    seconds: float


Op = Hit | Idle
hit_st = st.builds(
    Hit,
    st.integers(0, len(CLIENTS) - 1),
    st.sampled_from(["global", "chat"]),
    st.sampled_from(["client", "ip"]),
).filter(lambda hit: hit.scope == "chat" or hit.by == "client")
idle_st = st.builds(Idle, st.sampled_from([0.0, 0.5, 1.0, 2.0, 5.0, 65.0]))
ops_st: st.SearchStrategy[list[Op]] = st.lists(st.one_of(hit_st, idle_st), min_size=1, max_size=40)


def text(limits: list[Limit]) -> str:
    return ";".join(f"{amount}/{seconds} seconds" for amount, seconds in limits)


def unique(limits: list[Limit]) -> list[Limit]:
    return sorted(dict.fromkeys(limits), key=lambda limit: limit[1])


def connection(client: int) -> HTTPConnection:
    kind, credential, address = CLIENTS[client]
    headers = []
    if kind == "cookie":
        headers.append((b"cookie", f"lockgate_session={credential}".encode()))
    elif kind == "bearer":
        headers.append((b"authorization", f"Bearer {credential}".encode()))
    scope = {"type": "http", "path": "/api/x", "headers": headers, "client": (address, 1)}
    return HTTPConnection({**scope, "state": {}})


def address_bucket(address: str) -> str:
    return "2001:db8::/64" if ":" in address else address


@dataclass
class Model:
    """Every hit of every counter, forever; a counter is (scope, identity, amount, window)."""

    rules: dict[str, list[Limit]]
    per_ip: list[Limit]
    hits: dict[tuple[str, str, int, int], list[float]] = field(default_factory=dict)

    def counters(self, client: int, scope: str, by: str) -> list[tuple[str, str, int, int]]:
        kind, credential, address = CLIENTS[client]
        ip = f"ip:{address_bucket(address)}"
        identity = ip if by == "ip" or kind == "anonymous" else f"{kind}:{credential}"
        counters = [(scope, identity, a, s) for a, s in unique(self.rules[scope])]
        if scope == "global" and identity != ip and self.per_ip:
            counters += [("per_ip", ip, a, s) for a, s in unique(self.per_ip)]
        return counters

    def hit(self, counters: list[tuple[str, str, int, int]], now: float) -> tuple[bool, int, int]:
        """Admitted?, then (limit, Retry-After) when refused or (limit, remaining) if admitted."""
        for counter in counters:
            window = self.window(counter, now)
            if len(window) >= counter[2]:
                return False, counter[2], max(1, math.ceil(window[0] + counter[3] - now))
        tightest: tuple[int, int, int] | None = None
        for counter in counters:
            self.hits.setdefault(counter, []).append(now)
            window = self.window(counter, now)
            left, reset = counter[2] - len(window), math.ceil(window[0] + counter[3] - now)
            if tightest is None or (left, -reset) < (tightest[1], -tightest[2]):
                tightest = (counter[2], left, reset)
        assert tightest is not None
        return True, tightest[0], tightest[1]

    def window(self, counter: tuple[str, str, int, int], now: float) -> list[float]:
        return [t for t in self.hits.get(counter, []) if t >= now - counter[3]]


async def run(
    storage_uri: str | None,
    rules: dict[str, list[Limit]],
    per_ip: list[Limit],
    ops: list[Op],
) -> None:
    now = [START]
    limiter = HttpRateLimiter(
        storage_uri,
        default=text(rules["global"]),
        endpoint_limits={"chat": text(rules["chat"])},
        per_ip=text(per_ip) if per_ip else None,
        key_prefix=f"model-{uuid.uuid4().hex}",
        clock=lambda: now[0],
    )
    model = Model(rules, per_ip)
    try:
        for step, op in enumerate(ops):
            if isinstance(op, Idle):
                now[0] += op.seconds
                continue
            expected = model.hit(model.counters(op.client, op.scope, op.by), now[0])
            try:
                headers = await limiter.check(connection(op.client), op.scope, by=op.by)
            except RateLimited as exc:
                got = (False, int(exc.headers["RateLimit-Limit"]), int(exc.headers["Retry-After"]))
            else:
                assert headers is not None
                got = (True, headers.limit, headers.remaining)
            assert got == expected, f"step {step}: {op}"
    finally:
        await limiter.aclose()


rules_st = st.fixed_dictionaries({"global": limits_st, "chat": limits_st})
per_ip_st: st.SearchStrategy[list[Limit]] = st.one_of(st.just([]), limits_st)


@settings(max_examples=300, deadline=None, database=None)
@given(rules=rules_st, per_ip=per_ip_st, ops=ops_st)
def test_memory_limiter_matches_the_model(
    rules: dict[str, list[Limit]], per_ip: list[Limit], ops: list[Op]
) -> None:
    asyncio.run(run(None, rules, per_ip, ops))


@pytest.mark.usefixtures("redis_server")
@settings(
    max_examples=60,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(rules=rules_st, per_ip=per_ip_st, ops=ops_st)
def test_redis_limiter_matches_the_model(
    redis_url: str,
    rules: dict[str, list[Limit]],
    per_ip: list[Limit],
    ops: list[Op],
) -> None:
    asyncio.run(run(redis_url, rules, per_ip, ops))
