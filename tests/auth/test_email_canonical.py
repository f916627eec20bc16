"""One canonical email everywhere: registration, sign-in, the sign-in limiter, lookups.

Issue 12: five wrong passwords for ``victim@example.com`` (429), then ``" victim@example.com"``
with the right password was let in, because the limiter keyed on ``email.lower()`` and sign-in
on ``email.strip().lower()``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from pathlib import Path
from typing import Any

import pytest

from lockgate.auth.emails import InvalidEmail, normalize_email
from lockgate.clock import FakeClock
from tests.fixtures.appkit import PASSWORD, ApiClient, api_client, make_config, running_app

VICTIM = "victim@example.com"


def fullwidth(text: str) -> str:
    """``text`` in fullwidth forms (U+FF01..U+FF5E), as an East Asian keyboard may type it."""
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in text)


SPELLINGS = [
    " victim@example.com",
    "victim@example.com\t",
    "VICTIM@Example.COM",
    "\u3000victim@example.com\u00a0",  # ideographic and no-break spaces
    fullwidth("victim@example.com"),
    "Victim@example.com",
]


@pytest.mark.parametrize(
    ("raw", "canonical"),
    [
        *[(spelling, VICTIM) for spelling in SPELLINGS],
        ("Straße@example.com", "strasse@example.com"),
        ("ﬁnn@example.com", "finn@example.com"),
        ("ΣΊΣΥΦΟΣ@example.gr", "σίσυφοσ@example.gr"),
        ("a@xn--bcher-kva.de", "a@bücher.de"),
        ("A@BÜCHER.de", "a@bücher.de"),
    ],
)
def test_every_spelling_has_one_canonical_form(raw: str, canonical: str) -> None:
    assert normalize_email(raw) == canonical
    assert normalize_email(canonical) == canonical


@pytest.mark.parametrize(
    "raw", ["", "   ", "vic\u200btim@example.com", "victim @example.com", "victim@exam\x00ple.com"]
)
def test_addresses_with_invisible_or_blank_characters_are_refused(raw: str) -> None:
    with pytest.raises(InvalidEmail):
        normalize_email(raw)


@pytest.fixture
async def clients(
    database_url: str, tmp_path: Path, clock: FakeClock
) -> AsyncIterator[tuple[ApiClient, ApiClient]]:
    """The victim's browser and an attacker's, on one app with the default sign-in limits."""
    config = make_config(database_url, tmp_path, login_limit_per_account="5/minute;30/hour")
    async with AsyncExitStack() as stack:
        app, _ = await stack.enter_async_context(running_app(config, clock))
        victim = await stack.enter_async_context(api_client(app))
        attacker = await stack.enter_async_context(api_client(app))
        await victim.register(VICTIM)
        yield victim, attacker


async def login(client: ApiClient, email: str, password: str = PASSWORD) -> Any:
    return await client.post("/api/v1/auth/login", json={"email": email, "password": password})


async def test_no_spelling_escapes_the_per_account_sign_in_limit(
    clients: tuple[ApiClient, ApiClient],
) -> None:
    _, attacker = clients
    wrong = [(await login(attacker, VICTIM, "wrong password!")).status_code for _ in range(5)]
    assert wrong == [401] * 5
    statuses = {spelling: (await login(attacker, spelling)).status_code for spelling in SPELLINGS}
    assert statuses == dict.fromkeys(SPELLINGS, 429)


async def test_any_spelling_signs_in_to_the_one_account(
    clients: tuple[ApiClient, ApiClient],
) -> None:
    victim, _ = clients
    for spelling in SPELLINGS:
        response = await login(victim, spelling)
        assert response.status_code == 200, (spelling, response.text)
        assert response.json()["user"]["email"] == VICTIM


async def test_an_invisible_character_is_a_422_not_a_new_bucket(
    clients: tuple[ApiClient, ApiClient],
) -> None:
    _, attacker = clients
    response = await login(attacker, "victim\u200b@example.com")
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "invalid_email"


async def test_registering_another_spelling_of_a_taken_email_is_409(
    clients: tuple[ApiClient, ApiClient],
) -> None:
    _, attacker = clients
    codes = []
    for spelling in [*SPELLINGS, "victim@EXAMPLE.com"]:
        response = await attacker.post(
            "/api/v1/auth/register", json={"email": spelling, "password": PASSWORD}
        )
        codes.append((response.status_code, response.json()["error"]["code"]))
    assert set(codes) == {(409, "email_taken")}


async def test_case_folding_makes_sharp_s_and_ss_one_account(
    clients: tuple[ApiClient, ApiClient],
) -> None:
    _, other = clients
    await other.register("strasse@example.com")
    response = await other.post(
        "/api/v1/auth/register", json={"email": "Straße@example.com", "password": PASSWORD}
    )
    assert response.status_code == 409
