"""Sentry: the scrubber on its own, and one real event sent to a local DSN endpoint."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from typing import Any

import pytest

from lockgate.observability.sentry import FILTERED, guarded, init_sentry, scrub_event, scrub_text
from tests.observability import sentry_app
from tests.observability.support import REPO, Collector

SECRETS = (
    sentry_app.API_KEY,
    sentry_app.VIRTUAL_KEY,
    sentry_app.SESSION,
    sentry_app.CSRF,
)


def raw_event() -> dict[str, Any]:
    return {
        "message": f"call failed with {sentry_app.API_KEY}",
        "request": {
            "url": "http://app/api/v1/conversations/7/messages",
            "headers": {
                "Authorization": f"Bearer {sentry_app.VIRTUAL_KEY}",
                "Cookie": f"lockgate_session={sentry_app.SESSION}",
                "X-CSRF-Token": sentry_app.CSRF,
                "Content-Type": "application/json",
            },
            "cookies": {"lockgate_session": sentry_app.SESSION},
            "data": {"content": sentry_app.CONTENT, "model": "gpt-4o-mini"},
        },
        "exception": {
            "values": [
                {
                    "type": "RuntimeError",
                    "stacktrace": {"frames": [{"function": "send", "vars": {"content": "x"}}]},
                }
            ]
        },
        "breadcrumbs": {"values": [{"message": f"POST with key {sentry_app.VIRTUAL_KEY}"}]},
    }


def test_credentials_are_filtered_wherever_they_are() -> None:
    scrubbed = json.dumps(scrub_event(raw_event(), scrub_content=False))
    assert [secret for secret in SECRETS if secret in scrubbed] == []


def test_credential_headers_become_filtered_and_others_stay() -> None:
    headers = scrub_event(raw_event(), scrub_content=False)["request"]["headers"]
    assert headers == {
        "Authorization": FILTERED,
        "Cookie": FILTERED,
        "X-CSRF-Token": FILTERED,
        "Content-Type": "application/json",
    }


def test_content_is_kept_when_not_scrubbed() -> None:
    scrubbed = scrub_event(raw_event(), scrub_content=False)
    assert scrubbed["request"]["data"]["content"] == sentry_app.CONTENT


def test_content_bodies_and_frame_variables_go_when_scrubbed() -> None:
    scrubbed = scrub_event(raw_event(), scrub_content=True)
    frame = scrubbed["exception"]["values"][0]["stacktrace"]["frames"][0]
    assert (scrubbed["request"]["data"], "vars" in frame) == (FILTERED, False)


def test_the_original_event_is_not_modified() -> None:
    event = raw_event()
    scrub_event(event, scrub_content=True)
    assert event == raw_event()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("key sk-ant-api03-abcdefgh", f"key {FILTERED}"),
        ("virtual lg-abcdef123456 used", f"virtual {FILTERED} used"),
        ("Authorization: Bearer abc.def-ghi", f"Authorization: {FILTERED}"),
        ("/v1/models?api_key=abc123&x=1", f"/v1/models?{FILTERED}&x=1"),
        ("task-list sk- lg-", "task-list sk- lg-"),
    ],
)
def test_scrub_text(text: str, expected: str) -> None:
    assert scrub_text(text) == expected


def test_a_failing_hook_drops_the_event_instead_of_raising() -> None:
    def broken(_event: Any, _hint: Any) -> Any:
        raise KeyError("bug in the scrubber")

    assert guarded(broken)({"message": "x"}, {}) is None


def test_no_dsn_means_no_sentry() -> None:
    assert init_sentry(None, "test", scrub_content=True) is False


def _events(bodies: list[bytes]) -> list[dict[str, Any]]:
    """Sentry envelopes: a header line, then (item header, item payload) line pairs."""
    events = []
    for body in bodies:
        lines = body.split(b"\n")
        for header, payload in zip(lines[1::2], lines[2::2], strict=False):
            if json.loads(header).get("type") == "event":
                events.append(json.loads(payload))
    return events


@pytest.fixture(scope="module")
def delivered() -> tuple[list[dict[str, Any]], bytes]:
    with Collector() as collector:
        dsn = f"http://public@127.0.0.1:{collector.port}/1"
        env = {k: v for k, v in os.environ.items() if not k.startswith("SENTRY_")}
        result = subprocess.run(
            [sys.executable, "-W", "error", "-m", "tests.observability.sentry_app", dsn],
            cwd=REPO, env=env, capture_output=True, text=True, timeout=90, check=False,
        )  # fmt: skip
        assert result.returncode == 0, result.stderr
        bodies = collector.wait_for("/api/1/envelope/")
    return _events(bodies), b"\n".join(bodies)


def test_the_event_reaches_the_dsn_endpoint(delivered: tuple[list[dict[str, Any]], bytes]) -> None:
    events, _ = delivered
    assert [e["exception"]["values"][-1]["type"] for e in events] == ["RuntimeError"]


def test_the_delivered_event_holds_no_secret_and_no_content(
    delivered: tuple[list[dict[str, Any]], bytes],
) -> None:
    _, raw = delivered
    leaked = [s for s in (*SECRETS, sentry_app.CONTENT) if s.encode() in raw]
    assert leaked == []


def test_the_delivered_event_keeps_what_helps_debugging(
    delivered: tuple[list[dict[str, Any]], bytes],
) -> None:
    [event] = delivered[0]
    assert (event["environment"], event["request"]["method"], event["level"]) == (
        "test",
        "POST",
        "error",
    )
