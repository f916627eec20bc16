"""Exact rate limits per client: the rules (`policy`), the counters in memory (`memory`) or in
Redis (`redis`), and the limiter that counts one request (`limiter`). The HTTP middleware and
dependency are `lockgate.http.ratelimit`'s."""

from lockgate.gate.ratelimit.limiter import HttpRateLimiter
from lockgate.gate.ratelimit.policy import (
    GLOBAL,
    PER_IP,
    KeyBy,
    RateLimitHeaders,
    RateLimitRule,
    RateLimitUnavailable,
    RedisFailure,
)
from lockgate.gate.ratelimit.redis import open_storage

__all__ = [
    "GLOBAL",
    "PER_IP",
    "HttpRateLimiter",
    "KeyBy",
    "RateLimitHeaders",
    "RateLimitRule",
    "RateLimitUnavailable",
    "RedisFailure",
    "open_storage",
]
