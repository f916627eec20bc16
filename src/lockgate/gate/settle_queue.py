"""Settles off the request path: queued, sent in batches, never silently lost.

Settling a call (its reservation becomes the actual cost, the breaker hears its verdict, the lane
slot is freed: `lockgate.gate.gate_redis.RedisGate.settle_command`) need not hold up the reply
to the client: the reservation, made *before* the call, already keeps every budget from being
overspent, and until the settle lands the budget counts the call at its upper bound (more, never
less). So on the Redis store a settle is handed to this queue and the request goes on:

* **Batched.** One task sends whatever is pending as one pipeline of ``EVALSHA`` (one round trip,
  however many settles), as soon as it is free: under load the settles that piled up during one
  round trip ride in the next; alone, a settle is sent on the loop's next turn.
* **Idempotent.** Each settle carries the ticket's id; ``gate_settle.lua`` remembers it, so a batch
  sent again (its reply was lost to a timeout) applies each settle once.
* **Retried, bounded.** Redis unreachable: the batch is sent again with backoff (``retry_delays``),
  for up to ``give_up_after`` seconds; then each settle is logged as failed
  (``budget_settle_failed``): its reservation's lease frees what it held, and the usage ledger has
  the cost either way, exactly as when a settle on the request path fails today.
* **Flushed at shutdown.** :meth:`aclose` sends everything pending (for up to ``close_timeout``)
  before the lifespan closes Redis; a crash loses only what was pending, and the reservation's
  lease then reclaims it (`lockgate.gate.budget`: the reservation expires by itself).
* **Read your own settles.** :meth:`caught_up` waits until every settle queued *before* it has
  landed (not the ones queued after: no starvation under load): the Redis store's admit calls it
  when settles are outstanding, so an admit sees every settle its own process made before it (an
  upstream that reported more than was reserved refuses the next call at once, as before), and
  the spend reads call :meth:`drain`. The wait is latency, not CPU, and usually none: a client's
  next request rarely arrives within one Redis round trip of the previous reply. While Redis is
  failing nothing waits (the admit meets the outage itself). Across replicas an admit may, for
  that one round trip, not see another replica's settle: the reservation still counts the call at
  its upper bound, so only a call whose upstream reported *more* than was reserved can go
  unseen for that long.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import deque
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from redis.asyncio import Redis
from redis.commands.core import AsyncScript
from redis.exceptions import NoScriptError, RedisError

from lockgate.gate.gate_redis import SettleCommand
from lockgate.observability.logging import get_logger

log = get_logger("lockgate.gate.settle_queue")

Done = Callable[[Any], Awaitable[None]]
"""Called with a settle's raw reply once it has landed."""
Failed = Callable[[Exception], None]
"""Called when a settle could not be sent within ``give_up_after`` (or at shutdown)."""


@dataclass(slots=True)
class SettleJob:
    """One queued settle: its script call and what to do with the outcome."""

    command: SettleCommand
    done: Done
    failed: Failed
    queued_at: float = field(default=0.0)
    seq: int = 0


class SettleQueue:
    """Settles sent in batches by one background task (see the module docstring)."""

    def __init__(
        self,
        redis: Redis,
        script: AsyncScript,
        *,
        max_batch: int = 256,
        retry_delays: Sequence[float] = (0.05, 0.1, 0.25, 0.5, 1.0, 2.0),
        give_up_after: float = 60.0,
        close_timeout: float = 5.0,
        catch_up_timeout: float = 2.0,
        monotonic: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self._redis = redis
        self._script = script
        self._max_batch = max_batch
        self._retry_delays = tuple(retry_delays)
        self._give_up_after = give_up_after
        self._close_timeout = close_timeout
        self._catch_up_timeout = catch_up_timeout
        self._monotonic = monotonic
        self._sleep = sleep
        self._pending: deque[SettleJob] = deque()
        self._in_flight = 0
        self._wake = asyncio.Event()
        self._idle = asyncio.Event()
        self._idle.set()
        self._task: asyncio.Task[None] | None = None
        self._closed = False
        self._queued = 0  # sequence number of the last job queued
        self._landed = 0  # every job up to this number has landed (or been given up)
        self._progress = asyncio.Condition()
        self._failing = False

    @property
    def pending(self) -> int:
        """Settles queued or being sent."""
        return len(self._pending) + self._in_flight

    def submit(self, job: SettleJob) -> None:
        """Queue ``job`` (no await: the request goes on). After :meth:`aclose`, refused."""
        if self._closed:
            raise RuntimeError("the settle queue is closed")
        job.queued_at = self._monotonic()
        self._queued += 1
        job.seq = self._queued
        self._pending.append(job)
        self._idle.clear()
        self._wake.set()
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._run(), name="settles")

    @property
    def behind(self) -> bool:
        """Whether some settle queued so far has not landed yet."""
        return self._landed < self._queued

    async def caught_up(self) -> None:
        """Wait until every settle queued before this call has landed (at most
        ``catch_up_timeout``: `TimeoutError`; not at all while Redis is failing)."""
        target = self._queued
        if self._landed >= target or self._failing:
            return
        async with asyncio.timeout(self._catch_up_timeout), self._progress:
            await self._progress.wait_for(lambda: self._landed >= target or self._failing)

    async def drain(self) -> None:
        """Wait until every settle queued so far has landed (or been given up)."""
        await self._idle.wait()

    async def aclose(self) -> None:
        """Send everything pending (for up to ``close_timeout``), then stop; what could not be
        sent is logged as failed (the reservations' leases free it)."""
        self._closed = True
        if self._task is None:
            return
        try:
            await asyncio.wait_for(self.drain(), self._close_timeout)
        except TimeoutError:
            log.error("settle_flush_timed_out", pending=self.pending)
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task
        self._task = None
        left, self._pending = list(self._pending), deque()
        for job in left:
            job.failed(TimeoutError("shutdown before the settle could be sent"))
        self._idle.set()
        await self._advance()

    async def _run(self) -> None:
        attempt = 0
        while True:
            if not self._pending:
                self._idle.set()
                self._wake.clear()
                await self._wake.wait()
                continue
            batch = [
                self._pending.popleft() for _ in range(min(self._max_batch, len(self._pending)))
            ]
            self._in_flight = len(batch)
            try:
                retry = await self._send(batch)
            finally:
                self._in_flight = 0
            kept = self._still_worth_trying(retry) if retry else []
            self._pending.extendleft(reversed(kept))
            self._failing = bool(kept)
            await self._advance()
            if not retry:
                attempt = 0
                continue
            if kept:
                delay = self._retry_delays[min(attempt, len(self._retry_delays) - 1)]
                attempt += 1
                await self._sleep(delay)

    async def _advance(self) -> None:
        """Move the landed mark up to the oldest job still queued, and wake who waits on it."""
        self._landed = self._pending[0].seq - 1 if self._pending else self._queued
        async with self._progress:
            self._progress.notify_all()

    async def _send(self, batch: list[SettleJob]) -> list[SettleJob]:
        """Send ``batch`` in one round trip; hand each reply to its job. Returns the jobs to
        send again (Redis unreachable)."""
        try:
            replies = await self._execute([job.command for job in batch])
        except (RedisError, OSError) as exc:
            log.warning("settle_batch_failed", settles=len(batch), error=repr(exc))
            return batch
        reload: list[SettleJob] = []
        for job, reply in zip(batch, replies, strict=True):
            if isinstance(reply, NoScriptError):  # Redis restarted: load the script, resend
                reload.append(job)
            elif isinstance(reply, Exception):
                job.failed(reply)
            else:
                await self._finish(job, reply)
        if reload:
            try:
                await self._redis.script_load(self._script.script)
            except (RedisError, OSError) as exc:
                log.warning("settle_script_load_failed", error=repr(exc))
        return reload

    async def _execute(self, commands: list[SettleCommand]) -> list[Any]:
        sha = self._script.sha
        if len(commands) == 1:
            command = commands[0]
            try:
                return [await self._script(keys=command.keys, args=command.args)]
            except NoScriptError as exc:  # the script object reloads by itself; belt and braces
                return [exc]
        pipe = self._redis.pipeline(transaction=False)
        for command in commands:
            pipe.execute_command("EVALSHA", sha, len(command.keys), *command.keys, *command.args)
        return list(await pipe.execute(raise_on_error=False))

    def _still_worth_trying(self, jobs: list[SettleJob]) -> list[SettleJob]:
        now = self._monotonic()
        kept = []
        for job in jobs:
            if now - job.queued_at > self._give_up_after:
                job.failed(TimeoutError(f"not sent within {self._give_up_after:g} s"))
            else:
                kept.append(job)
        return kept

    @staticmethod
    async def _finish(job: SettleJob, reply: Any) -> None:
        try:
            await job.done(reply)
        except Exception as exc:  # a listener's failure must not stop the queue
            log.exception("settle_followup_failed", error=repr(exc))
