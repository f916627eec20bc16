"""The garbage collector's settings for a serving worker.

CPython's cyclic collector walks every container object it tracks; a worker that has imported
FastAPI, SQLAlchemy, pydantic, OpenTelemetry and built its app holds a few hundred thousand of
them, and every full collection walked them all again. Measured with ``python -m bench.gateway
--quick --no-soak --variants 1w-memory`` in alternating runs on the 2-core machine, that was about
a fifth of a ``/v1`` request's CPU (0.61 to 0.70 → 0.52 to 0.53 ms) and most of its p99 at
c=32 (92 to 180 → 24 to 53 ms); the larger young threshold took another ~10 % (0.56 to 0.58 →
0.49 ms).

So once the app has started, everything alive is frozen (`gc.freeze`: moved to a permanent
generation the collector never walks again) and the youngest generation is collected less often
(reference counting frees almost everything a request allocates; the collector is only needed
for cycles, which a larger first threshold still catches, in bounded memory).

Only serving workers do this (`lockgate.app.app_factory`): a test process builds hundreds of apps,
and freezing each one's live objects would keep them forever.
"""

from __future__ import annotations

import gc
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Thresholds:
    young: int = 20_000
    middle: int = 50
    old: int = 100


def settle(thresholds: Thresholds | None = None) -> None:
    """Collect what start-up left as garbage, freeze the rest, and set the thresholds."""
    chosen = thresholds or Thresholds()
    gc.collect()
    gc.freeze()
    gc.set_threshold(chosen.young, chosen.middle, chosen.old)
