"""The shutdown sequence fits inside itself in every deployment flavour, against the numbers of
src/lockgate/settings.py (read from the code, never copied here).

After a pod is deleted: the preStop sleep (PRESTOP_SECONDS) while Services drop the endpoint; then
SIGTERM: uvicorn stops accepting, the readiness probe turns red, live replies get the chat grace
(LOCKGATE_SHUTDOWN_GRACE_SECONDS) inside uvicorn's drain (`uvicorn_drain_seconds`), then the
lifespan's final saves (FINAL_SAVE_SECONDS); SIGKILL at terminationGracePeriodSeconds. So:

    readiness red (period x failures)  <=  grace  <  uvicorn drain
    preStop + uvicorn drain + final saves (shutdown_budget_seconds)  <  terminationGracePeriod
"""

from __future__ import annotations

from typing import Any

import pytest

from lockgate.settings import (
    FINAL_SAVE_SECONDS,
    PRESTOP_SECONDS,
    Settings,
    shutdown_budget_seconds,
    uvicorn_drain_seconds,
)
from tests.deploy.support import RELEASE, named, overlay_objects, parse, render_chart, values_file

Doc = dict[str, Any]


def timings(docs: tuple[Doc, ...], name: str, env: dict[str, str]) -> dict[str, float]:
    pod = named(docs, "Deployment", name)["spec"]["template"]["spec"]
    [c] = pod["containers"]
    grace = float(
        env.get("LOCKGATE_SHUTDOWN_GRACE_SECONDS", Settings(_env_file=None).shutdown_grace_seconds)
    )
    settings = Settings(_env_file=None, shutdown_grace_seconds=grace)
    sleep, seconds = c["lifecycle"]["preStop"]["exec"]["command"]
    assert sleep == "sleep"
    ready = c["readinessProbe"]
    return {
        "prestop": float(seconds),
        "grace": grace,
        "uvicorn": uvicorn_drain_seconds(settings),
        "readiness_red": ready["periodSeconds"] * ready.get("failureThreshold", 3),
        "kill": pod["terminationGracePeriodSeconds"],
    }


def chart_timings(values: Doc) -> dict[str, float]:
    docs = parse(render_chart(values))
    [c] = named(docs, "Deployment", RELEASE)["spec"]["template"]["spec"]["containers"]
    env = {e["name"]: e["value"] for e in c["env"] if "value" in e}
    return timings(docs, RELEASE, env)


def overlay_timings(overlay: str) -> dict[str, float]:
    docs = overlay_objects(overlay)
    [c] = named(docs, "Deployment", "lockgate")["spec"]["template"]["spec"]["containers"]
    names = [e["configMapRef"]["name"] for e in c["envFrom"] if "configMapRef" in e]
    env = {k: v for n in names for k, v in named(docs, "ConfigMap", n)["data"].items()}
    return timings(docs, "lockgate", env)


def fits(t: dict[str, float]) -> dict[str, bool]:
    return {
        "readiness turns red within the grace": t["readiness_red"] <= t["grace"],
        "uvicorn outlasts the grace": t["uvicorn"] > t["grace"],
        "SIGKILL comes after preStop, uvicorn's drain and the final saves": t["kill"]
        > t["prestop"] + t["uvicorn"] + FINAL_SAVE_SECONDS,
        "SIGKILL comes after the app's budget (with this preStop)": t["kill"]
        > shutdown_budget_seconds(t["grace"]) - PRESTOP_SECONDS + t["prestop"],
    }


CASES = {
    "chart:default": lambda: chart_timings({}),
    "chart:production": lambda: chart_timings(values_file("production")),
    "chart:long-grace": lambda: chart_timings(
        {"shutdown": {"preStopSeconds": 10, "graceSeconds": 120, "marginSeconds": 5}}
    ),
    "overlay:dev": lambda: overlay_timings("dev"),
    "overlay:prod": lambda: overlay_timings("prod"),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_the_shutdown_phases_fit_inside_each_other(case: str) -> None:
    verdict = fits(CASES[case]())
    assert [rule for rule, ok in verdict.items() if not ok] == []


@pytest.mark.parametrize("case", ["chart:default", "overlay:dev", "overlay:prod"])
def test_defaults_are_the_ones_settings_py_budgets_for(case: str) -> None:
    t = CASES[case]()
    default_grace = Settings(_env_file=None).shutdown_grace_seconds
    assert (t["prestop"], t["grace"]) == (PRESTOP_SECONDS, default_grace)


def test_the_chart_derives_the_kill_time_from_the_shutdown_values() -> None:
    """terminationGracePeriodSeconds = preStop + grace + 2 x FINAL_SAVE_SECONDS + margin."""
    t = chart_timings({"shutdown": {"preStopSeconds": 7, "graceSeconds": 45, "marginSeconds": 3}})
    assert (t["prestop"], t["grace"], t["kill"]) == (7, 45, 7 + 45 + 2 * FINAL_SAVE_SECONDS + 3)
