"""Simulated-provider directives as a user meets them in chat: bounded, scoped, off in production.

`[[fail:429]]` once blocked the provider for every user (its Retry-After fed the provider-wide
headroom), and `[[tokens:99999999999999999999999]]` built a reply the size of the machine.
"""

from __future__ import annotations

import secrets
from pathlib import Path

from lockgate.clock import FakeClock
from lockgate.state import AppState
from tests.chat.test_chat_api import new_conversation, send
from tests.fixtures.appkit import ApiClient, api_client, make_config, running_app


async def test_one_users_injected_429_does_not_block_another_user(
    user_client: ApiClient, other_client: ApiClient, state: AppState
) -> None:
    events = await send(user_client, await new_conversation(user_client), "x [[fail:429]]")
    assert events[-1][1]["code"] == "provider_rate_limited"
    await other_client.register("bob@example.com")
    other = await send(other_client, await new_conversation(other_client), "hello")
    assert (other[-1][0], other[-1][1]["status"]) == ("done", "complete")
    assert await state.gate.last_error("simulated") is None


async def test_an_out_of_range_directive_is_a_clear_error(user_client: ApiClient) -> None:
    cid = await new_conversation(user_client)
    events = await send(user_client, cid, "x [[tokens:99999999999999999999999]]")
    name, data = events[-1]
    assert (name, data["code"], data["status"]) == ("error", "provider_bad_request", "error")
    assert "tokens: 0..1000000" in data["message"]


async def test_directives_are_plain_text_in_production(
    database_url: str, tmp_path: Path, clock: FakeClock
) -> None:
    config = make_config(
        database_url, tmp_path, env="production", secret_key=secrets.token_urlsafe(48)
    )
    async with running_app(config, clock) as (app, _), api_client(app) as client:
        await client.register("prod@example.com")
        events = await send(client, await new_conversation(client), "x [[fail:500]]")
    assert (events[-1][0], events[-1][1]["status"]) == ("done", "complete")
    assert "[[fail:500]]" in events[-1][1]["final"]["content"]
