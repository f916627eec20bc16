"""The OpenAPI contract, checked by schemathesis against a real ``lockgate serve``.

Every operation of ``/api/openapi.json`` is called with generated requests — its documented
examples, the coverage phase's boundary and invalid values, then a fixed number of fuzzed ones —
as a signed-in user, as an admin (cookie + ``X-CSRF-Token``) and, for ``/v1``, with a virtual
key. Each response must be no server error, and must match the document: a documented status,
the declared content type, the declared schema. Seeded and derandomized, so a run is the same
run every time and a failure reproduces.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests
import schemathesis
from schemathesis.checks import not_a_server_error
from schemathesis.config import SchemathesisConfig
from schemathesis.generation.case import Case
from schemathesis.specs.openapi.checks import (
    allow_header_conformance,
    content_type_conformance,
    missing_required_header,
    negative_data_rejection,
    response_schema_conformance,
    status_code_conformance,
    unsupported_method,
)

from lockgate.app import create_app
from tests.fixtures.appkit import make_config
from tests.fixtures.serve import LockgateServer

pytestmark = pytest.mark.slow  # a real `lockgate serve`; still part of `make test`
PASSWORD = "correct horse battery staple"
EXAMPLES_PER_OPERATION = 40
# Not positive_data_acceptance: what a valid request is depends on state and configuration that
# JSON Schema cannot say (a configured model name, an expiry in the future, a cursor the server
# issued, a password the policy accepts, a range of at most 366 days); those answer a
# documented 4xx with a stable code.
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    negative_data_rejection,
    unsupported_method,
    allow_header_conformance,
    missing_required_header,
]
UNLIMITED = "100000/minute"
CONFIG: dict[str, Any] = {
    "providers": {
        "simulated": {"type": "simulated", "first_token_latency": 0, "tokens_per_second": 100000}
    },
    "models": {
        "sim-small": {"provider": "simulated", "context_window": 8192, "max_output_tokens": 64},
        "sim-embed": {"provider": "simulated", "kind": "embedding"},
        "sim-image": {"provider": "simulated", "kind": "image", "image_sizes": ["256x256"]},
    },
    "gate": {
        "rate_limits": {
            name: UNLIMITED
            for name in (
                "default",
                "chat",
                "images",
                "conversations",
                "gateway",
                "auth",
                "shares",
                "per_ip",
            )
        }
    },
}
ENV = {
    "LOCKGATE_LOGIN_LIMIT_PER_ACCOUNT": UNLIMITED,
    "LOCKGATE_LOGIN_LIMIT_PER_IP": UNLIMITED,
}
# Operations that would end the identity the run signs in with.
SKIPPED = {"logout", "changePassword", "revokeSession"}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LockgateServer]:
    with LockgateServer(tmp_path_factory.mktemp("contract"), config=CONFIG, env=ENV) as running:
        yield running


@dataclass(frozen=True)
class Identity:
    """Who a request is sent as: fixed cookies and headers, never a cookie jar (a generated
    register or login case answers with another account's cookies, which would then replace
    this identity's and fail every CSRF check after it)."""

    headers: dict[str, str]
    cookies: dict[str, str]


def signed_in(server: LockgateServer, email: str) -> Identity:
    """A browser: the session cookie, and the CSRF cookie sent back as the header."""
    body = {"email": email, "password": PASSWORD}
    response = requests.post(f"{server.url}/api/v1/auth/register", json=body, timeout=10)
    assert response.status_code == 201, response.text
    cookies = {cookie.name: cookie.value or "" for cookie in response.cookies}
    return Identity(headers={"X-CSRF-Token": cookies["lockgate_csrf"]}, cookies=cookies)


@pytest.fixture(scope="module")
def identities(server: LockgateServer) -> dict[str, Identity]:
    admin = signed_in(server, "admin@example.com")  # the first account is the admin
    user = signed_in(server, "user@example.com")
    response = requests.post(
        f"{server.url}/api/v1/keys",
        json={"name": "contract"},
        headers=user.headers,
        cookies=user.cookies,
        timeout=10,
    )
    assert response.status_code == 201, response.text
    key = Identity(headers={"Authorization": f"Bearer {response.json()['key']}"}, cookies={})
    return {"admin": admin, "user": user, "key": key}


@pytest.fixture(scope="module")
def http() -> Iterator[requests.Session]:
    """One connection pool for the run; its cookie jar is emptied before every call."""
    with requests.Session() as session:
        yield session


def contract() -> Any:
    """The app's own OpenAPI document (built in-process, so the operations are known when
    pytest collects; the requests go to the served process)."""
    app = create_app(make_config("sqlite+aiosqlite:///unused.db", Path("unused")))
    config = SchemathesisConfig.from_dict(
        {
            "seed": 20261206,
            "generation": {
                "max-examples": EXAMPLES_PER_OPERATION,
                "deterministic": True,
                "database": "none",
            },
            "phases": {"stateful": {"enabled": False}},
        }
    )
    return schemathesis.openapi.from_dict(app.openapi(), config=config).exclude(
        operation_id=list(SKIPPED)
    )


schema = contract()


def call_and_check(
    case: Case[Any], server: LockgateServer, http: requests.Session, who: Identity
) -> None:
    http.cookies.clear()
    response = case.call(
        base_url=server.url,
        session=http,
        headers=dict(who.headers),
        cookies=dict(who.cookies),
        timeout=30,
    )
    case.validate_response(response, checks=CHECKS)


@schema.parametrize()  # type: ignore[untyped-decorator]
def test_as_a_user_and_with_a_key(
    case: Case[Any],
    server: LockgateServer,
    http: requests.Session,
    identities: dict[str, Identity],
) -> None:
    """Every operation: /api as a signed-in user, /v1 with the user's virtual key."""
    who = "key" if case.path.startswith("/v1/") else "user"
    call_and_check(case, server, http, identities[who])


@schema.exclude(path_regex="^/v1/").parametrize()  # type: ignore[untyped-decorator]
def test_as_an_admin(
    case: Case[Any],
    server: LockgateServer,
    http: requests.Session,
    identities: dict[str, Identity],
) -> None:
    """/api as an admin: the admin-only answers (``scope=all``, every key) too."""
    call_and_check(case, server, http, identities["admin"])
