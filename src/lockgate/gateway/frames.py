"""The frames of one streamed answer on their way from the call's task to the response.

The runner's task produces SSE frames (`put`); the response drains them (`get`). A provider's
stream often arrives several events to a TCP read (an OpenAI-compatible upstream writes its role
chunk and first tokens together; a fast one, the whole answer), and each frame sent on its own
costs a trip through every middleware's ``send`` wrapper and a write system call. So `get`
returns *everything already waiting*, joined, as one write: nothing is held back to wait for
more (a frame that is alone goes out at once), so time to first token can only get shorter,
and what the client reads is byte for byte the same stream.

    frames = Frames()
    frames.put(b"data: 1\\n\\n"); frames.put(b"data: 2\\n\\n"); frames.close()
    await frames.get()  # b"data: 1\\n\\ndata: 2\\n\\n"
    await frames.get()  # None: over

One consumer only (the response); `put` and `close` never block.
"""

from __future__ import annotations

import asyncio


class Frames:
    __slots__ = ("_closed", "_pending", "_waiter")

    def __init__(self) -> None:
        self._pending: list[bytes] = []
        self._closed = False
        self._waiter: asyncio.Future[None] | None = None

    def put(self, frame: bytes) -> None:
        self._pending.append(frame)
        self._wake()

    def close(self) -> None:
        """No more frames: `get` returns what is left, then None."""
        self._closed = True
        self._wake()

    async def get(self) -> bytes | None:
        """Every frame waiting, as one bytes (waits for one if none is); None once closed and
        drained."""
        while not self._pending:
            if self._closed:
                return None
            self._waiter = asyncio.get_running_loop().create_future()
            try:
                await self._waiter
            finally:
                self._waiter = None
        pending, self._pending = self._pending, []
        return pending[0] if len(pending) == 1 else b"".join(pending)

    def _wake(self) -> None:
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)
