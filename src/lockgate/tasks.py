"""Background loops and cancellation.

A loop that catches ``Exception`` to survive outages must still stop when cancelled. A library
below it can swallow the ``CancelledError`` (redis-py's timeouts can, on Python 3.11); the task
then stays *cancelling* and the loop would sleep one more interval, stalling shutdown. Loops check
:func:`cancel_requested` before sleeping again.
"""

from __future__ import annotations

import asyncio


def cancel_requested() -> bool:
    """True when the current task was cancelled, whether or not the error reached us."""
    task = asyncio.current_task()
    return task is not None and task.cancelling() > 0
