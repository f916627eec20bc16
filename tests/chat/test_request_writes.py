"""No write on the request path that is not needed: a signed-in request writes the session's
last-seen time at most once a minute, and a GET writes nothing else (both databases)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import event

from lockgate.clock import FakeClock
from lockgate.state import AppState
from tests.chat.test_chat_api import new_conversation
from tests.fixtures.appkit import ApiClient

WRITES = ("INSERT", "UPDATE", "DELETE")


class Writes:
    """Every statement that writes, on an engine."""

    def __init__(self, state: AppState) -> None:
        self.statements: list[str] = []
        event.listen(state.engine.sync_engine, "before_cursor_execute", self._statement)

    def _statement(self, _conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        words = statement.lstrip().upper()
        if words.startswith(WRITES):
            self.statements.append(words)

    def take(self) -> list[str]:
        taken, self.statements = self.statements, []
        return taken


async def test_a_session_is_touched_at_most_once_a_minute(
    user_client: ApiClient, app_state: tuple[object, AppState], clock: FakeClock
) -> None:
    _, state = app_state
    conversation = await new_conversation(user_client)
    writes = Writes(state)
    for _ in range(3):
        clock.advance(seconds=19)
        assert (await user_client.get("/api/v1/auth/me")).status_code == 200
        assert (await user_client.get(f"/api/v1/conversations/{conversation}")).status_code == 200
    assert writes.take() == []  # 57 s: nothing written at all
    clock.advance(seconds=4)
    assert (await user_client.get("/api/v1/auth/me")).status_code == 200
    assert (await user_client.get("/api/v1/conversations")).status_code == 200
    touched = writes.take()
    assert len(touched) == 1
    assert touched[0].startswith("UPDATE SESSIONS")
