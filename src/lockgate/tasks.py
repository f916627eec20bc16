"""Background loops and cancellation.

A loop that catches ``Exception`` to survive outages must still stop when cancelled. A library
below it can swallow the ``CancelledError`` (redis-py's timeouts can, on Python 3.11); the task
then stays *cancelling* and the loop would sleep one more interval, stalling shutdown. Loops check
:func:`cancel_requested` before sleeping again.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import TypeVar

T = TypeVar("T")


def cancel_requested() -> bool:
    """True when the current task was cancelled, whether or not the error reached us."""
    task = asyncio.current_task()
    return task is not None and task.cancelling() > 0


async def complete_despite_cancel(work: Awaitable[T]) -> T:
    """Await ``work`` to its end even if the caller is cancelled meanwhile (any number of times),
    then re-raise the cancellation. For what must not be cut half-way once decided: a reply's
    final save and its final event (a shutdown's cut lands whenever the grace ends, and used to
    withdraw the save or skip the event, leaving the row to the janitor with older text)."""
    task = asyncio.ensure_future(work)
    cancelled = False
    while True:
        try:
            result = await asyncio.shield(task)
        except asyncio.CancelledError:
            if task.done():  # the work itself was cancelled
                raise
            cancelled = True
            continue
        break
    if cancelled:
        raise asyncio.CancelledError
    return result
