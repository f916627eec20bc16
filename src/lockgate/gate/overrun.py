"""An upstream that reports more usage than was reserved: the spend stands, and it is flagged.

A call reserves an upper bound (the prompt's bound plus the ``max_tokens`` Lockgate sent) and
settles what the upstream *reports*. An honest upstream never reports more: its output stops at
``max_tokens``. One that does (a bug, a misconfigured proxy, a compromised endpoint) has still
been paid, so the settle records the reported cost as it is (never clamped to the reservation):
the budget is then over its limit and refuses the next call at once. But it must not pass
silently, so every such settle is an `Overrun`: a warning log with the provider, model, reserved
and reported amounts, and one count of ``lockgate_usage_over_reservation_total{provider,model}``
(alert ``LockgateUsageOverReservation``)::

    overrun = Overrun.of("openai", "gpt-4o-mini", reserved=Decimal("0.0001"),
                         cost=Decimal("3"), max_tokens=50, output_tokens=1_000_000)
    if overrun is not None:
        overrun.flag(metrics)
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from lockgate.observability.logging import get_logger
from lockgate.observability.metrics import Metrics

log = get_logger("lockgate.gate")


@dataclass(frozen=True, slots=True)
class Overrun:
    provider: str
    model: str
    reserved_usd: Decimal
    reported_usd: Decimal
    max_tokens: int | None
    output_tokens: int | None

    @classmethod
    def of(
        cls,
        provider: str,
        model: str,
        *,
        reserved: Decimal,
        cost: Decimal,
        max_tokens: int | None,
        output_tokens: int | None,
    ) -> Overrun | None:
        """The overrun of a settle, or None when the report stays within the reservation (the
        cost at most the amount reserved, the output at most ``max_tokens``)."""
        over_output = (
            max_tokens is not None and output_tokens is not None and output_tokens > max_tokens
        )
        if cost <= reserved and not over_output:
            return None
        return cls(provider, model, reserved, cost, max_tokens, output_tokens)

    def flag(self, metrics: Metrics | None) -> None:
        """Log it (warning) and count it; the settle goes on with the reported cost."""
        log.warning(
            "usage_over_reservation",
            provider=self.provider,
            model=self.model,
            reserved_usd=str(self.reserved_usd),
            reported_usd=str(self.reported_usd),
            max_tokens=self.max_tokens,
            reported_output_tokens=self.output_tokens,
        )
        if metrics is not None:
            metrics.usage_over_reservation(self.provider, self.model or "unknown")
