"""Metrics: values and labels after each call, the exposition, and multiprocess mode."""

from __future__ import annotations

import inspect
import os
import subprocess
import sys
import textwrap
from decimal import Decimal
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from lockgate.observability.metrics import Metrics, prepare_multiprocess_dir
from tests.observability.traffic import exercise

REQUIRED_NAMES = {
    "external_api_budget_ratio",
    "external_api_rate_limit_remaining",
    "external_api_circuit_breaker_state",
    "lockgate_http_requests_total",
    "lockgate_http_request_duration_seconds_bucket",
    "lockgate_http_requests_in_flight",
    "lockgate_provider_call_duration_seconds_bucket",
    "lockgate_provider_time_to_first_token_seconds_bucket",
    "lockgate_provider_tokens_total",
    "lockgate_provider_cost_usd_total",
    "lockgate_budget_reservations_total",
    "lockgate_budget_spent_usd_total",
    "lockgate_rate_limit_rejections_total",
    "lockgate_breaker_transitions_total",
    "lockgate_backpressure_queue_depth",
    "lockgate_backpressure_in_flight",
    "lockgate_shed_requests_total",
    "lockgate_budget_warnings_total",
}


@pytest.fixture
def metrics() -> Metrics:
    return Metrics()


def value(metrics: Metrics, name: str, **labels: str) -> float | None:
    return metrics.registry.get_sample_value(name, labels)


def test_provider_call_counts_tokens_and_cost(metrics: Metrics) -> None:
    metrics.observe_provider_call(
        "openai", "gpt-4o-mini", "success", 1.5, 0.3, 812, 240, Decimal("0.000302")
    )
    assert (
        value(metrics, "lockgate_provider_tokens_total", provider="openai", model="gpt-4o-mini",
              direction="input"),
        value(metrics, "lockgate_provider_tokens_total", provider="openai", model="gpt-4o-mini",
              direction="output"),
        value(metrics, "lockgate_provider_cost_usd_total", provider="openai", model="gpt-4o-mini"),
    ) == (812.0, 240.0, 0.000302)  # fmt: skip


def test_provider_call_observes_duration_and_first_token(metrics: Metrics) -> None:
    metrics.observe_provider_call("openai", "m", "timeout", 30.0, None, 10, 0, Decimal(0))
    metrics.observe_provider_call("openai", "m", "success", 2.0, 0.4, 10, 5, Decimal(0))
    labels = {"provider": "openai", "model": "m"}
    assert (
        value(metrics, "lockgate_provider_call_duration_seconds_sum", **labels, outcome="timeout"),
        value(
            metrics, "lockgate_provider_call_duration_seconds_count", **labels, outcome="success"
        ),
        value(metrics, "lockgate_provider_time_to_first_token_seconds_count", **labels),
        value(metrics, "lockgate_provider_time_to_first_token_seconds_bucket", **labels, le="0.5"),
    ) == (30.0, 1.0, 1.0, 1.0)


def test_budget_reservations_start_at_zero_for_every_kind_and_result(metrics: Metrics) -> None:
    samples = [
        value(metrics, "lockgate_budget_reservations_total", scope_kind=kind, result=result)
        for kind in ("provider", "user", "key")
        for result in ("reserved", "rejected", "unavailable")
    ]
    assert samples == [0.0] * 9


def test_budget_reservation_counts_by_kind_and_result(metrics: Metrics) -> None:
    metrics.budget_reservation("user", "rejected")
    metrics.budget_reservation("user", "rejected")
    metrics.budget_reservation("provider", "reserved")
    assert (
        value(metrics, "lockgate_budget_reservations_total", scope_kind="user", result="rejected"),
        value(metrics, "lockgate_budget_reservations_total", scope_kind="provider",
              result="reserved"),
    ) == (2.0, 1.0)  # fmt: skip


def test_per_user_scopes_are_refused_as_label_values(metrics: Metrics) -> None:
    with pytest.raises(ValueError, match="scope_kind must be one of"):
        metrics.budget_reservation("user:42", "reserved")  # type: ignore[arg-type]


def test_budget_settled_and_warnings(metrics: Metrics) -> None:
    metrics.budget_settled("key", Decimal("0.25"))
    metrics.budget_settled("key", Decimal("0.5"))
    metrics.budget_warning("provider", 0.9)
    metrics.budget_warning("provider", 1.0)
    assert (
        value(metrics, "lockgate_budget_spent_usd_total", scope_kind="key"),
        value(metrics, "lockgate_budget_warnings_total", scope_kind="provider", threshold="0.9"),
        value(metrics, "lockgate_budget_warnings_total", scope_kind="provider", threshold="1"),
    ) == (0.75, 1.0, 1.0)


def test_breaker_transition_counts_and_moves_the_gauge(metrics: Metrics) -> None:
    metrics.breaker_transition("openai", "closed", "open")
    open_state = value(metrics, "external_api_circuit_breaker_state", provider="openai")
    metrics.breaker_transition("openai", "open", "half_open")
    assert (
        open_state,
        value(metrics, "external_api_circuit_breaker_state", provider="openai"),
        value(metrics, "lockgate_breaker_transitions_total", provider="openai",
              from_state="closed", to_state="open"),
    ) == (2.0, 1.0, 1.0)  # fmt: skip


def test_breaker_transition_refuses_unknown_states(metrics: Metrics) -> None:
    with pytest.raises(ValueError, match="breaker state"):
        metrics.breaker_transition("openai", "closed", "broken")


def test_set_provider_gauges_sets_given_values_and_keeps_the_rest(metrics: Metrics) -> None:
    metrics.set_provider_gauges(
        "openai", budget_ratio=0.42, remaining_requests=499, remaining_tokens=150_000,
        breaker_state=0, queue_depth=3, in_flight=7, limit_requests=500, limit_tokens=200_000,
    )  # fmt: skip
    metrics.set_provider_gauges("openai", budget_ratio=0.5)
    got = {
        "ratio": value(metrics, "external_api_budget_ratio", provider="openai"),
        "requests": value(
            metrics, "external_api_rate_limit_remaining", provider="openai", kind="requests"
        ),
        "tokens": value(
            metrics, "external_api_rate_limit_remaining", provider="openai", kind="tokens"
        ),
        "limit": value(metrics, "external_api_rate_limit_limit", provider="openai", kind="tokens"),
        "breaker": value(metrics, "external_api_circuit_breaker_state", provider="openai"),
        "queue": value(metrics, "lockgate_backpressure_queue_depth", provider="openai"),
        "in_flight": value(metrics, "lockgate_backpressure_in_flight", provider="openai"),
    }
    assert got == {
        "ratio": 0.5,
        "requests": 499,
        "tokens": 150_000,
        "limit": 200_000,
        "breaker": 0,
        "queue": 3,
        "in_flight": 7,
    }


def test_set_provider_gauges_refuses_an_unknown_breaker_value(metrics: Metrics) -> None:
    with pytest.raises(ValueError, match="breaker_state"):
        metrics.set_provider_gauges("openai", breaker_state=3)


def test_rate_limited_and_shed_count_by_label(metrics: Metrics) -> None:
    metrics.rate_limited("global")
    metrics.shed("openai", "queue_full")
    metrics.shed("openai", "queue_full")
    assert (
        value(metrics, "lockgate_rate_limit_rejections_total", scope="global"),
        value(metrics, "lockgate_shed_requests_total", provider="openai", reason="queue_full"),
    ) == (1.0, 2.0)


def test_cache_lookups_start_at_zero_and_count_by_layer_and_result(metrics: Metrics) -> None:
    series = [("exact", "hit"), ("exact", "miss"), ("semantic", "hit"), ("semantic", "miss"),
              ("none", "bypass")]  # fmt: skip
    assert [
        value(metrics, "lockgate_cache_requests_total", layer=layer, result=result)
        for layer, result in series
    ] == [0.0] * 5
    metrics.cache_request("semantic", "hit")
    metrics.cache_saved(Decimal("0.25"))
    metrics.cache_lookup(0.002)
    assert (
        value(metrics, "lockgate_cache_requests_total", layer="semantic", result="hit"),
        value(metrics, "lockgate_cache_saved_usd_total"),
        value(metrics, "lockgate_cache_lookup_seconds_count"),
    ) == (1.0, 0.25, 1.0)


def test_cache_labels_are_checked(metrics: Metrics) -> None:
    with pytest.raises(ValueError, match="cache layer"):
        metrics.cache_request("key:42", "hit")
    with pytest.raises(ValueError, match="cache result"):
        metrics.cache_request("exact", "maybe")


def test_declare_provider_starts_shed_counters_at_zero(metrics: Metrics) -> None:
    metrics.declare_provider("anthropic")
    assert [
        value(metrics, "lockgate_shed_requests_total", provider="anthropic", reason=reason)
        for reason in ("queue_full", "wait_timeout")
    ] == [0.0, 0.0]


def test_http_requests_by_method_route_and_status(metrics: Metrics) -> None:
    metrics.observe_http_request("get", "/api/v1/items/{item_id}", 200, 0.02)
    metrics.observe_http_request("BREW", "<unmatched>", 405, 0.001)
    assert (
        value(metrics, "lockgate_http_requests_total", method="GET",
              route="/api/v1/items/{item_id}", status="200"),
        value(metrics, "lockgate_http_requests_total", method="OTHER", route="<unmatched>",
              status="405"),
    ) == (1.0, 1.0)  # fmt: skip


def test_http_in_flight_is_back_to_zero_after_the_block(metrics: Metrics) -> None:
    with metrics.http_in_flight():
        inside = value(metrics, "lockgate_http_requests_in_flight")
    assert (inside, value(metrics, "lockgate_http_requests_in_flight")) == (1.0, 0.0)


def test_instances_do_not_share_values() -> None:
    first, second = Metrics(), Metrics()
    first.rate_limited("global")
    assert value(second, "lockgate_rate_limit_rejections_total", scope="global") is None


def test_render_holds_every_required_metric(metrics: Metrics) -> None:
    exercise(metrics, 1)
    body, content_type = metrics.render()
    names = {
        sample.name
        for family in text_string_to_metric_families(body.decode())
        for sample in family.samples
    }
    assert (REQUIRED_NAMES - names, content_type.split(";")[0]) == (set(), "text/plain")


def test_exercise_calls_every_public_method(
    metrics: Metrics, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The scrape test gets data for every series only if its traffic calls every method."""
    public = {
        name
        for name, member in inspect.getmembers(Metrics, inspect.isfunction)
        if not name.startswith("_") and name not in {"render", "close"}
    }
    called: set[str] = set()
    for name in public:
        original = getattr(metrics, name)

        def spy(
            *args: object, _name: str = name, _original: object = original, **kw: object
        ) -> object:
            called.add(_name)
            return _original(*args, **kw)  # type: ignore[operator]

        monkeypatch.setattr(metrics, name, spy)
    exercise(metrics, 0)
    assert public - called == set()


def test_multiprocess_dir_without_multiprocess_mode_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="PROMETHEUS_MULTIPROC_DIR"):
        Metrics(multiprocess_dir=tmp_path)


def test_prepare_multiprocess_dir_removes_a_previous_run(tmp_path: Path) -> None:
    (tmp_path / "counter_123.db").write_bytes(b"old")
    (tmp_path / "keep.txt").write_text("not ours")
    prepare_multiprocess_dir(tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["keep.txt"]


WORKER = textwrap.dedent(
    """
    import os, sys
    from decimal import Decimal
    from lockgate.observability.metrics import Metrics

    role = sys.argv[1]
    metrics = Metrics()
    metrics.observe_http_request("GET", "/api/v1/items/{item_id}", 200, 0.01)
    metrics.observe_provider_call("openai", "m", "success", 1.0, 0.2, 10, 5, Decimal("0.5"))
    in_flight = metrics.http_in_flight()
    in_flight.__enter__()                       # still in flight when the process ends
    if role == "crashed":
        metrics.set_provider_gauges("openai", budget_ratio=0.7, queue_depth=4)
    else:                                       # later, then stops cleanly
        metrics.set_provider_gauges("openai", budget_ratio=0.3, queue_depth=1)
        metrics.close()
    sys.stdout.flush()
    os._exit(0)                                 # no finalizers: the request never finished
    """
)
SCRAPE = "from lockgate.observability.metrics import Metrics; print(Metrics().render()[0].decode())"


def test_multiprocess_mode_merges_the_workers(tmp_path: Path) -> None:
    """Counters add up; live gauges count only workers that did not stop (close())."""
    directory = tmp_path / "prom"
    prepare_multiprocess_dir(directory)
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(directory)}

    def run(*args: str) -> str:
        result = subprocess.run(
            [sys.executable, "-W", "error", "-c", *args],
            env=env, capture_output=True, text=True, timeout=60, check=False,
        )  # fmt: skip
        assert result.returncode == 0, result.stderr
        return result.stdout

    run(WORKER, "crashed")
    run(WORKER, "stopped")
    samples = {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(run(SCRAPE))
        for sample in family.samples
    }
    assert {
        "requests": samples[
            (
                "lockgate_http_requests_total",
                (("method", "GET"), ("route", "/api/v1/items/{item_id}"), ("status", "200")),
            )
        ],
        "cost": samples[
            ("lockgate_provider_cost_usd_total", (("model", "m"), ("provider", "openai")))
        ],
        "in_flight": samples[("lockgate_http_requests_in_flight", ())],
        "ratio": samples[("external_api_budget_ratio", (("provider", "openai"),))],
        "queue": samples[("lockgate_backpressure_queue_depth", (("provider", "openai"),))],
    } == {"requests": 2.0, "cost": 1.0, "in_flight": 1.0, "ratio": 0.7, "queue": 4.0}
