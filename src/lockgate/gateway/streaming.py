"""A streamed ``/v1`` call: the runner works in a task beside the response it feeds.

Shared by chat completions, Responses and Messages. Admission and every failure before the first
event stay plain HTTP errors (the caller awaits the first item before answering); once the client
goes away, the generation is cancelled so nobody pays for tokens nobody reads, and the usage rows
are recorded once whatever happened.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TypeVar

from lockgate.calls.runner import Attempt, CallRunner

Item = TypeVar("Item")


async def start(
    runner: CallRunner,
    get: Callable[[], Awaitable[Item | None]],
    close: Callable[[], None],
    abandon: Callable[[asyncio.Task[Attempt]], Awaitable[None]],
) -> tuple[asyncio.Task[Attempt], Item | None]:
    """Run ``runner`` in a task (``close`` tells the reader it ended) and wait for the first item
    (None: it ended before sending anything)."""

    async def drive() -> Attempt:
        try:
            return await runner.run()
        finally:
            close()

    task = asyncio.create_task(drive())
    try:
        first = await get()
    except BaseException:
        await abandon(task)
        raise
    return task, first


async def abandon(
    task: asyncio.Task[Attempt], stop: Callable[[], None], record: Callable[[], None]
) -> None:
    """The response is over (ended, or the client went away): stop a generation still running
    (``stop`` marks it stopped, so it settles as cancelled), then record its usage rows."""
    if not task.done():
        stop()
        task.cancel()
        await asyncio.wait({task})
    record()
