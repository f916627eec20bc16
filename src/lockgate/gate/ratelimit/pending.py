"""A request's global HTTP limit, counted later: in the gate's admit, or before anything else.

On the Redis gate a ``/v1`` chat completion used to take one round trip for the HTTP rate limit
(the middleware), then one to admit the call. When both live in the same Redis, the middleware
hands the request a `PendingHit` instead of counting it, and the gate's admit script counts it
*first*, in the same step (`lockgate.gate.gate_redis`: ``ratelimit_hit`` then the admit, stopping
at a refusal): one round trip. The semantics are the middleware's own, because nothing else the
request does touches Redis or a provider before the hit is counted:

* the first of the request's steps that talks to Redis counts it (`count`) unless that step is
  the gate's admit, which counts it in its script (`command` / `answered`);
* a request that ends before any such step (a 400, a 401, an unknown model) has it counted when
  its response starts (`lockgate.http.ratelimit.RateLimitMiddleware`), and a refusal replaces
  that response with the 429 the middleware would have sent first;
* the same 429 (``rate_limited``, ``Retry-After``, ``RateLimit-*``), the same headers on an
  admitted request, the same outage policy (open: no headers; closed: 503), the same metrics.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from lockgate.gate.ratelimit.policy import RateLimitHeaders, Target

if TYPE_CHECKING:
    from lockgate.gate.ratelimit.limiter import HttpRateLimiter


class PendingHit:
    """One request's global limit, not counted yet (see the module docstring). Counted once:
    after `count`, `command` or `answered`, it is ``done``."""

    def __init__(self, limiter: HttpRateLimiter, targets: list[Target]) -> None:
        self.limiter = limiter
        self.targets = targets
        self.done = False
        self.headers: RateLimitHeaders | None = None
        """The headers of the counted hit (``None``: not counted, or Redis down, policy open)."""
        self.on_counted: Callable[[RateLimitHeaders | None], None] | None = None
        """Called with the headers once counted (the middleware adds them to the response)."""
        self._now = 0.0

    async def count(self) -> None:
        """Count it now, on its own (raises `RateLimited` / `RateLimitUnavailable`)."""
        if self.done:
            return
        self.done = True
        self._counted(await self.limiter.enforce(self.targets))

    def command(self) -> tuple[list[str], str]:
        """Its keys and arguments, for the script that counts it (then `answered` or
        `unavailable`)."""
        self.done = True
        keys, blob, self._now = self.limiter.hit_command(self.targets)
        return keys, blob

    def answered(self, raw: bytes) -> None:
        """The script's verdict on it: the headers, or `RateLimited`."""
        self._counted(self.limiter.hit_answered(self.targets, raw, self._now))

    def unavailable(self, exc: Exception) -> None:
        """The script could not run: the limiter's outage policy (closed: raises)."""
        self.limiter.hit_unavailable(exc)

    def _counted(self, headers: RateLimitHeaders | None) -> None:
        self.headers = headers
        if self.on_counted is not None:
            self.on_counted(headers)
