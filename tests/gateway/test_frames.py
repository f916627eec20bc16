"""`Frames`: what waits goes out as one write, in order; nothing waits for more; the end is seen."""

from __future__ import annotations

import asyncio

from lockgate.gateway.frames import Frames


async def test_frames_waiting_are_joined_in_order() -> None:
    frames = Frames()
    for frame in (b"data: 1\n\n", b"data: 2\n\n", b"data: 3\n\n"):
        frames.put(frame)
    assert await frames.get() == b"data: 1\n\ndata: 2\n\ndata: 3\n\n"


async def test_a_lone_frame_is_not_held_back() -> None:
    frames = Frames()
    reader = asyncio.create_task(frames.get())
    await asyncio.sleep(0)  # one loop turn: the reader is waiting
    assert not reader.done()
    frames.put(b"data: first\n\n")
    assert await reader == b"data: first\n\n"


async def test_close_drains_what_is_left_then_ends() -> None:
    frames = Frames()
    frames.put(b"data: last\n\n")
    frames.close()
    assert await frames.get() == b"data: last\n\n"
    assert await frames.get() is None
    assert await frames.get() is None


async def test_close_wakes_a_waiting_reader() -> None:
    frames = Frames()
    reader = asyncio.create_task(frames.get())
    await asyncio.sleep(0)
    frames.close()
    assert await reader is None


async def test_a_cancelled_reader_leaves_the_frames_for_the_next() -> None:
    frames = Frames()
    reader = asyncio.create_task(frames.get())
    await asyncio.sleep(0)
    reader.cancel()
    await asyncio.gather(reader, return_exceptions=True)
    frames.put(b"data: kept\n\n")
    assert await frames.get() == b"data: kept\n\n"
