"""What a finished call taught us about its provider, kept for every later call.

The provider's last error (shown on ``/health/providers``; ours to read, its detail for admins),
and its rate-limit headers and Retry-After (the gate's headroom paces the next calls by them).
A failure a simulated directive injected for one request says nothing about the provider, so it
is not kept. Streamed and one-shot calls report here alike.
"""

from __future__ import annotations

from lockgate.calls.candidates import Candidate
from lockgate.gate import Gate
from lockgate.providers.errors import ProviderError, ProviderRateLimited


async def observe(gate: Gate, candidate: Candidate, error: ProviderError | None = None) -> None:
    if error is not None and error.injected:
        return
    if error is not None:
        await gate.note_error(candidate.provider_name, error)
    retry_after = error.retry_after if isinstance(error, ProviderRateLimited) else None
    await gate.observe_upstream(
        candidate.provider_name, candidate.provider.last_rate_limit, retry_after=retry_after
    )
