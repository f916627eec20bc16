"""The Prometheus config and alert rules, checked by promtool; every alert tested both ways."""

from __future__ import annotations

from typing import Any

import yaml

from tests.observability.support import DEPLOY, run_promtool

PROM = DEPLOY / "prometheus"


def _load(name: str) -> Any:
    return yaml.safe_load((PROM / name).read_text(encoding="utf-8"))


def _alerts() -> set[str]:
    return {rule["alert"] for group in _load("alerts.yml")["groups"] for rule in group["rules"]}


def test_promtool_check_rules() -> None:
    result = run_promtool("check", "rules", "alerts.yml", cwd=PROM)
    assert result.returncode == 0, result.stdout + result.stderr


def test_promtool_test_rules() -> None:
    result = run_promtool("test", "rules", "alerts_test.yml", cwd=PROM)
    assert result.returncode == 0, result.stdout + result.stderr


def test_promtool_check_config() -> None:
    result = run_promtool("check", "config", "prometheus.yml", cwd=PROM)
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_alerts_the_issue_asks_for_exist() -> None:
    assert {
        "LockgateBudgetNearlyExhausted",
        "LockgateBudgetExhausted",
        "LockgateCircuitBreakerOpen",
        "LockgateHighErrorRate",
        "LockgateHighLatency",
        "LockgateRateLimitHeadroomLow",
        "LockgateSheddingLoad",
    } <= _alerts()


def test_every_alert_has_a_firing_and_a_quiet_unit_test() -> None:
    firing: set[str] = set()
    quiet: set[str] = set()
    for test in _load("alerts_test.yml")["tests"]:
        for case in test["alert_rule_test"]:
            (firing if case["exp_alerts"] else quiet).add(case["alertname"])
    assert (_alerts() - firing, _alerts() - quiet) == (set(), set())


def test_every_alert_has_a_severity_and_a_summary() -> None:
    rules = [rule for group in _load("alerts.yml")["groups"] for rule in group["rules"]]
    assert [
        rule["alert"]
        for rule in rules
        if rule["labels"].get("severity") not in ("warning", "critical")
        or not rule["annotations"].get("summary")
    ] == []
