"""Prometheus metrics of one Lockgate process, or of all its workers in multiprocess mode.

One :class:`Metrics` per app, created by ``create_app`` and kept on the lifespan State; it owns its
``CollectorRegistry``, so tests build as many as they like and nothing is global. Callers use its
typed methods, never the prometheus_client objects::

    metrics = Metrics()
    metrics.observe_provider_call("openai", "gpt-4o-mini", "success", duration_s=1.8, ttft_s=0.4,
                                  input_tokens=812, output_tokens=240, cost_usd=Decimal("0.0003"))
    metrics.set_provider_gauges("openai", budget_ratio=0.42, breaker_state=0)
    body, content_type = metrics.render()

**Several workers** (``lockgate serve --workers N``). prometheus_client chooses its storage when it
is first imported: with ``PROMETHEUS_MULTIPROC_DIR`` set, every process writes its values to
memory-mapped files in that directory and :meth:`Metrics.render` merges the files of all workers,
so any worker answers a scrape with the whole truth. The directory must be emptied before the
workers start (:func:`prepare_multiprocess_dir`) and each worker calls :meth:`Metrics.close` when it
stops, which drops its ``live*`` gauges. How each gauge is merged across workers:

* provider gauges (budget ratio, rate-limit headroom, breaker state, queue depth, provider
  in-flight): ``livemostrecent`` — every worker reads the same shared state (Redis) and the
  freshest reading is the truth; summing them would multiply it by N;
* ``lockgate_http_requests_in_flight``: ``livesum`` — each worker counts its own requests.

**Cardinality.** Label values are bounded: routes are templates, scopes are kinds
(``provider``/``user``/``key``), never a user or key id. Literal-typed labels are checked.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal, TypeAlias

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    disable_created_metrics,
    generate_latest,
    multiprocess,
    values,
)

ScopeKind: TypeAlias = Literal["provider", "team", "user", "key"]
ReservationResult: TypeAlias = Literal["reserved", "rejected", "unavailable"]
BreakerStateName: TypeAlias = Literal["closed", "half_open", "open"]

SCOPE_KINDS: tuple[ScopeKind, ...] = ("provider", "team", "user", "key")
RESERVATION_RESULTS: tuple[ReservationResult, ...] = ("reserved", "rejected", "unavailable")
BREAKER_GAUGE: dict[str, int] = {"closed": 0, "half_open": 1, "open": 2}
SHED_REASONS = ("queue_full", "wait_timeout")
HTTP_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
UNMATCHED_ROUTE = "<unmatched>"

# Seconds. HTTP includes streamed replies (SSE), hence the long tail.
HTTP_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120)
PROVIDER_BUCKETS = (0.1, 0.25, 0.5, 1, 2, 5, 10, 20, 30, 60, 120, 300)
CACHE_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1)
CACHE_LAYERS = ("exact", "semantic", "none")
CACHE_RESULTS = ("hit", "miss", "bypass")
TTFT_BUCKETS = (0.05, 0.1, 0.25, 0.5, 0.75, 1, 1.5, 2, 3, 5, 10, 20)


def multiprocess_enabled() -> bool:
    """Whether prometheus_client was imported with ``PROMETHEUS_MULTIPROC_DIR`` set."""
    return values.ValueClass is not values.MutexValue


def prepare_multiprocess_dir(path: Path) -> None:
    """Create `path` or empty it of a previous run's files; call before the workers start.

    Stale files would add a dead run's counters to the new one. Only ``*.db`` files are removed.
    """
    path.mkdir(parents=True, exist_ok=True)
    for item in path.glob("*.db"):
        if item.is_dir():
            shutil.rmtree(item)
        else:
            item.unlink()


class Metrics:
    """Every Lockgate metric, on its own registry.

    ``multiprocess_dir``: where the workers' files are; ``None`` lets prometheus_client use its
    ``PROMETHEUS_MULTIPROC_DIR``. Passing a directory while prometheus_client is in single-process
    mode is refused, since the values would silently stay per-process.
    """

    def __init__(self, *, multiprocess_dir: Path | None = None) -> None:
        self.multiprocess = multiprocess_enabled()
        if multiprocess_dir is not None and not self.multiprocess:
            raise ValueError(
                "a multiprocess directory was given but prometheus_client is in single-process "
                "mode: PROMETHEUS_MULTIPROC_DIR must be in the environment before it is imported"
            )
        self._dir = multiprocess_dir
        # The ``*_created`` timestamp series double the exposition for no dashboard's use. The
        # switch is prometheus_client's own, process-wide and idempotent.
        disable_created_metrics()  # type: ignore[no-untyped-call]
        self.registry = CollectorRegistry(auto_describe=True)
        r = self.registry
        self._budget_ratio = Gauge(
            "external_api_budget_ratio",
            "Spent plus reserved over the limit of the provider's budget window (1 = exhausted).",
            ["provider"], registry=r, multiprocess_mode="livemostrecent",
        )  # fmt: skip
        self._rl_remaining = Gauge(
            "external_api_rate_limit_remaining",
            "Requests or tokens the provider still allows in its current rate-limit window.",
            ["provider", "kind"], registry=r, multiprocess_mode="livemostrecent",
        )  # fmt: skip
        self._rl_limit = Gauge(
            "external_api_rate_limit_limit",
            "The provider's rate limit for the window (requests or tokens), when known.",
            ["provider", "kind"], registry=r, multiprocess_mode="livemostrecent",
        )  # fmt: skip
        self._breaker = Gauge(
            "external_api_circuit_breaker_state",
            "Circuit breaker state: 0 closed, 1 half-open, 2 open.",
            ["provider"], registry=r, multiprocess_mode="livemostrecent",
        )  # fmt: skip
        self._http_requests = Counter(
            "lockgate_http_requests",
            "HTTP requests by method, route template and status.",
            ["method", "route", "status"], registry=r,
        )  # fmt: skip
        self._http_duration = Histogram(
            "lockgate_http_request_duration_seconds",
            "Time from request to the last byte of the response (streams included).",
            ["method", "route"], registry=r, buckets=HTTP_BUCKETS,
        )  # fmt: skip
        self._http_in_flight = Gauge(
            "lockgate_http_requests_in_flight",
            "HTTP requests being served.",
            registry=r, multiprocess_mode="livesum",
        )  # fmt: skip
        self._provider_duration = Histogram(
            "lockgate_provider_call_duration_seconds",
            "Duration of one provider call, until its last token or its failure.",
            ["provider", "model", "outcome"], registry=r, buckets=PROVIDER_BUCKETS,
        )  # fmt: skip
        self._ttft = Histogram(
            "lockgate_provider_time_to_first_token_seconds",
            "Time from the provider call to its first streamed token.",
            ["provider", "model"], registry=r, buckets=TTFT_BUCKETS,
        )  # fmt: skip
        self._tokens = Counter(
            "lockgate_provider_tokens",
            "Tokens exchanged with providers.",
            ["provider", "model", "direction"], registry=r,
        )  # fmt: skip
        self._cost = Counter(
            "lockgate_provider_cost_usd",
            "Money spent on provider calls, in USD.",
            ["provider", "model"], registry=r,
        )  # fmt: skip
        self._over_reservation = Counter(
            "lockgate_usage_over_reservation",
            "Provider calls whose reported usage exceeded what was reserved (cost above the "
            "reservation, or output above the max_tokens sent); settled as reported.",
            ["provider", "model"], registry=r,
        )  # fmt: skip
        self._reservations = Counter(
            "lockgate_budget_reservations",
            "Budget reservations by scope kind and result.",
            ["scope_kind", "result"], registry=r,
        )  # fmt: skip
        self._budget_spent = Counter(
            "lockgate_budget_spent_usd",
            "USD settled against budgets, by scope kind (a call counts once per kind it hits).",
            ["scope_kind"], registry=r,
        )  # fmt: skip
        self._rate_limited = Counter(
            "lockgate_rate_limit_rejections",
            "Requests refused by our own rate limits (429), by limit scope.",
            ["scope"], registry=r,
        )  # fmt: skip
        self._transitions = Counter(
            "lockgate_breaker_transitions",
            "Circuit breaker state changes.",
            ["provider", "from_state", "to_state"], registry=r,
        )  # fmt: skip
        self._queue_depth = Gauge(
            "lockgate_backpressure_queue_depth",
            "Calls waiting for a provider slot.",
            ["provider"], registry=r, multiprocess_mode="livemostrecent",
        )  # fmt: skip
        self._bp_in_flight = Gauge(
            "lockgate_backpressure_in_flight",
            "Provider calls holding a slot.",
            ["provider"], registry=r, multiprocess_mode="livemostrecent",
        )  # fmt: skip
        self._shed = Counter(
            "lockgate_shed_requests",
            "Calls refused with 503 by backpressure, by reason (queue_full, wait_timeout).",
            ["provider", "reason"], registry=r,
        )  # fmt: skip
        self._budget_warnings = Counter(
            "lockgate_budget_warnings",
            "Budget windows crossing a warning threshold (0.9, 1).",
            ["scope_kind", "threshold"], registry=r,
        )  # fmt: skip
        self._cache_requests = Counter(
            "lockgate_cache_requests",
            "Response cache lookups by layer (exact, semantic; none for a bypass) and result.",
            ["layer", "result"], registry=r,
        )  # fmt: skip
        self._cache_saved = Counter(
            "lockgate_cache_saved_usd",
            "What the answers served from the response cache had cost, in USD.",
            registry=r,
        )  # fmt: skip
        self._cache_lookup = Histogram(
            "lockgate_cache_lookup_seconds",
            "Time of one response cache lookup (both layers, the local embedding included).",
            registry=r, buckets=CACHE_BUCKETS,
        )  # fmt: skip
        self._chat_in_flight = Gauge(
            "lockgate_chat_sends_in_flight",
            "Chat sends and regenerates being set up (read, admitted, saved) before their reply "
            "starts; at the limit (LOCKGATE_CHAT_MAX_SENDS_IN_FLIGHT) the next one is shed.",
            registry=r, multiprocess_mode="livesum",
        )  # fmt: skip
        self._chat_shed = Counter(
            "lockgate_chat_sends_shed",
            "Chat sends and regenerates refused with 503 overloaded before anything was saved.",
            registry=r,
        )  # fmt: skip
        for layer, result in (
            ("exact", "hit"), ("exact", "miss"), ("semantic", "hit"), ("semantic", "miss"),
            ("none", "bypass"),
        ):  # fmt: skip
            self._cache_requests.labels(layer, result)
        for kind in SCOPE_KINDS:
            self._budget_spent.labels(kind)
            for result in RESERVATION_RESULTS:
                self._reservations.labels(kind, result)
        # Labelled children by (metric, label values): `labels()` takes a lock and checks its
        # arguments, several µs a call, and a /v1 request makes about ten of them.
        self._children: dict[tuple[int, tuple[str, ...]], Any] = {}

    def _child(self, metric: Any, *values: str) -> Any:
        key = (id(metric), values)
        child = self._children.get(key)
        if child is None:
            child = self._children[key] = metric.labels(*values)
        return child

    # --- HTTP ------------------------------------------------------------------------------

    @contextmanager
    def http_in_flight(self) -> Iterator[None]:
        """Counts one request in flight for the duration of the block."""
        self._http_in_flight.inc()
        try:
            yield
        finally:
            self._http_in_flight.dec()

    def observe_http_request(self, method: str, route: str, status: int, duration_s: float) -> None:
        method = method.upper() if method.upper() in HTTP_METHODS else "OTHER"
        self._child(self._http_requests, method, route, str(status)).inc()
        self._child(self._http_duration, method, route).observe(duration_s)

    # --- providers and money ---------------------------------------------------------------

    def observe_provider_call(
        self,
        provider: str,
        model: str,
        outcome: str,
        duration_s: float,
        ttft_s: float | None,
        input_tokens: int,
        output_tokens: int,
        cost_usd: Decimal,
    ) -> None:
        """One finished provider call. ``outcome``: success, error, timeout, rate_limited, ..."""
        self._child(self._provider_duration, provider, model, outcome).observe(duration_s)
        if ttft_s is not None:
            self._child(self._ttft, provider, model).observe(ttft_s)
        self._child(self._tokens, provider, model, "input").inc(max(0, input_tokens))
        self._child(self._tokens, provider, model, "output").inc(max(0, output_tokens))
        self._child(self._cost, provider, model).inc(float(max(cost_usd, Decimal(0))))

    def usage_over_reservation(self, provider: str, model: str) -> None:
        """An upstream reported more than the call reserved (see `lockgate.gate.overrun`).

        Labels are configured names (providers, models of lockgate.yaml): bounded."""
        self._child(self._over_reservation, provider, model).inc()

    def declare_model(self, provider: str, model: str) -> None:
        """Start the model's over-reservation counter at 0, so its alert's rate exists."""
        self._child(self._over_reservation, provider, model)

    def budget_reservation(self, scope_kind: ScopeKind, result: ReservationResult) -> None:
        _check(scope_kind, SCOPE_KINDS, "scope_kind")
        _check(result, RESERVATION_RESULTS, "result")
        self._child(self._reservations, scope_kind, result).inc()

    def budget_settled(self, scope_kind: ScopeKind, amount_usd: Decimal) -> None:
        """The actual cost settled against a budget of this kind."""
        _check(scope_kind, SCOPE_KINDS, "scope_kind")
        self._child(self._budget_spent, scope_kind).inc(float(max(amount_usd, Decimal(0))))

    def budget_warning(self, scope_kind: ScopeKind, threshold: float) -> None:
        """A budget window reached ``threshold`` (0.9 or 1.0) of its limit."""
        _check(scope_kind, SCOPE_KINDS, "scope_kind")
        self._budget_warnings.labels(scope_kind, f"{threshold:g}").inc()

    def rate_limited(self, scope: str) -> None:
        """A 429 from our own limits. ``scope``: a fixed name (global, endpoint, login_ip, key)."""
        self._rate_limited.labels(scope).inc()

    def breaker_transition(self, provider: str, old: str, new: str) -> None:
        """Counts the change and updates this process's breaker gauge at once.

        ``old``/``new``: ``closed``, ``half_open`` or ``open`` (a ``BreakerState`` works as is).
        """
        for state in (old, new):
            _check(state, tuple(BREAKER_GAUGE), "breaker state")
        self._transitions.labels(provider, old, new).inc()
        self._breaker.labels(provider).set(BREAKER_GAUGE[new])

    def shed(self, provider: str, reason: str) -> None:
        self._shed.labels(provider, reason).inc()

    def declare_provider(self, provider: str) -> None:
        """Start the provider's shed counters at 0, so rates exist before the first event."""
        for reason in SHED_REASONS:
            self._shed.labels(provider, reason)

    def set_provider_gauges(
        self,
        provider: str,
        *,
        budget_ratio: float | None = None,
        remaining_requests: int | None = None,
        remaining_tokens: int | None = None,
        breaker_state: int | None = None,
        queue_depth: int | None = None,
        in_flight: int | None = None,
        limit_requests: int | None = None,
        limit_tokens: int | None = None,
    ) -> None:
        """Refresh the provider gauges from shared state; ``None`` leaves a gauge unchanged."""
        if breaker_state is not None and breaker_state not in BREAKER_GAUGE.values():
            raise ValueError(f"breaker_state must be 0, 1 or 2, got {breaker_state}")
        updates: list[tuple[Gauge, tuple[str, ...], float | None]] = [
            (self._budget_ratio, (provider,), budget_ratio),
            (self._rl_remaining, (provider, "requests"), remaining_requests),
            (self._rl_remaining, (provider, "tokens"), remaining_tokens),
            (self._rl_limit, (provider, "requests"), limit_requests),
            (self._rl_limit, (provider, "tokens"), limit_tokens),
            (self._breaker, (provider,), breaker_state),
            (self._queue_depth, (provider,), queue_depth),
            (self._bp_in_flight, (provider,), in_flight),
        ]
        for gauge, labels, value in updates:
            if value is not None:
                gauge.labels(*labels).set(value)

    # --- response cache ---------------------------------------------------------------------

    def cache_request(self, layer: str, result: str) -> None:
        """One layer's verdict on a request (see `lockgate.cache.service`)."""
        _check(layer, CACHE_LAYERS, "cache layer")
        _check(result, CACHE_RESULTS, "cache result")
        self._child(self._cache_requests, layer, result).inc()

    def cache_saved(self, amount_usd: Decimal) -> None:
        """A hit: what its answer had cost (nothing was paid for it this time)."""
        self._cache_saved.inc(float(max(amount_usd, Decimal(0))))

    def cache_lookup(self, seconds: float) -> None:
        self._cache_lookup.observe(seconds)

    # --- chat admission ----------------------------------------------------------------------

    def chat_sends_in_flight(self, delta: int) -> None:
        """A send took (+1) or gave back (-1) its slot (see `lockgate.chat.admission`)."""
        self._chat_in_flight.inc(delta)

    def chat_send_shed(self) -> None:
        self._chat_shed.inc()

    # --- exposition ------------------------------------------------------------------------

    def render(self) -> tuple[bytes, str]:
        """The Prometheus text exposition and its content type (all workers when multiprocess)."""
        if not self.multiprocess:
            return generate_latest(self.registry), CONTENT_TYPE_LATEST
        merged = CollectorRegistry()
        path = str(self._dir) if self._dir else None
        multiprocess.MultiProcessCollector(merged, path=path)  # type: ignore[no-untyped-call]
        return generate_latest(merged), CONTENT_TYPE_LATEST

    def close(self) -> None:
        """At worker shutdown: drop this process's ``live*`` gauges from the merged view."""
        if self.multiprocess:
            path = str(self._dir) if self._dir else None
            multiprocess.mark_process_dead(os.getpid(), path)  # type: ignore[no-untyped-call]


def _check(value: str, allowed: tuple[str, ...], what: str) -> None:
    if value not in allowed:
        raise ValueError(f"{what} must be one of {', '.join(allowed)}; got {value!r}")
