"""Dependencies shared by every domain, as ``Annotated`` aliases."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession

from lockgate.gate.client_id import client_ip as gate_client_ip
from lockgate.state import AppState, state_of


async def get_state(request: Request) -> AppState:
    return state_of(request.scope)


StateDep = Annotated[AppState, Depends(get_state)]


async def get_session(state: StateDep) -> AsyncIterator[AsyncSession]:
    """One session per request. Endpoints commit explicitly; anything uncommitted rolls back.

    ``scope="function"`` closes it when the endpoint returns, before a streamed body is sent:
    an SSE stream must not hold a connection (or SQLite's write lock) for its whole length.
    """
    async with state.sessionmaker() as session:
        yield session


SessionDep = Annotated[AsyncSession, Depends(get_session, scope="function")]


def client_ip(request: Request) -> str:
    """The client's address; ``X-Forwarded-For`` counts only from configured trusted proxies."""
    return gate_client_ip(request, state_of(request.scope).trusted_proxies)
