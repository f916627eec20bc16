"""Budgets shared by every replica through one Redis: each operation is one Lua script.

Per window ``<prefix>w:<scope>:<start>`` is a HASH with the integer fields ``spent`` and
``reserved``, one field ``r:<id>`` per live reservation (its units) and ``alert:<threshold>``
once a threshold fired; ``...:leases`` is a ZSET of reservation ids scored by expiry in ms. Every
script that reads a window first purges its expired leases, in the same atomic step. A window's
keys expire `WINDOW_GRACE` after the window ends (a fixed time, set when they are created).
``<prefix>done:<id>`` marks a settled or refunded reservation, so repeats are no-ops. The gate
runs `RESERVE` and `RELEASE` inside its own admit and settle scripts (`lockgate.gate.gate_redis`).

Lua numbers are doubles: amounts travel as decimal strings from Python to ``HINCRBY`` and back,
and are only turned into numbers to compare. Each value is below 2**53, so a sum is exact
whenever it is at most a limit, and any inexact sum is above every limit: the check is exact.

All keys of a call are passed in KEYS; on Redis Cluster they would need one hash slot (not
supported yet). Any Redis or socket error raises `BudgetUnavailable` -- including redis-py's
``MaxConnectionsError`` when a plain pool is exhausted, so give the client a
``BlockingConnectionPool`` that waits for a connection instead. A reserve whose reply was lost
may still hold its money: the lease frees it. A lost settle is safe to repeat::

    pool = BlockingConnectionPool.from_url(url, max_connections=50, timeout=2)
    backend = RedisBudgetBackend(Redis.from_pool(pool), system_clock)
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from redis.asyncio import Redis

from lockgate.clock import Clock
from lockgate.gate._lua import Layout, LuaFunction
from lockgate.gate._redis import blob, redis_errors, register, to_ms
from lockgate.gate.budget.base import BaseBudgetBackend
from lockgate.gate.budget.policy import (
    DEFAULT_THRESHOLDS,
    FALLBACK_TTL,
    SETTLED_MEMORY,
    BudgetUnavailable,
    Reservation,
    Tally,
    ThresholdHook,
    Window,
)
from lockgate.lru import BoundedLRU

REMEMBER_S = int(SETTLED_MEMORY.total_seconds())
_FALLBACK_MS = int(FALLBACK_TTL.total_seconds() * 1000)

_HEADER = ("now", "n", "labels...")
_WINDOWS = ("windows...", "done")
_PRELUDE = ("budget_prelude",)
RESERVE = LuaFunction(
    __package__,
    "budget_reserve",
    Layout(_WINDOWS, (*_HEADER, "expiry_ms", "units", "id", "window_blocks...")),
    preludes=_PRELUDE,
)
"""Reserve in every window or refuse (``budget_reserve.lua``)."""
RELEASE = LuaFunction(
    __package__,
    "budget_release",
    Layout(_WINDOWS, (*_HEADER, "id", "actual", "remember_s", "window_blocks...")),
    preludes=_PRELUDE,
)
"""Settle or refund a reservation, once (``budget_release.lua``)."""
REFUND = LuaFunction(
    __package__,
    "budget_refund",
    RESERVE.layout,
    constants=(("REMEMBER_S", str(REMEMBER_S)),),
)
"""Refund what `RESERVE` reserved, given its keys and arguments (needs `RELEASE` defined)."""
_RECORD = LuaFunction(
    __package__,
    "budget_record",
    Layout(("windows...",), (*_HEADER, "units", "window_blocks...")),
    preludes=_PRELUDE,
)
_STATUS = LuaFunction(
    __package__, "budget_status", Layout(("hash", "leases"), _HEADER), preludes=_PRELUDE
)


class RedisBudgetBackend(BaseBudgetBackend):
    """Budgets in one Redis shared by all replicas; see the module docstring for the layout.

    Besides the `BaseBudgetBackend` API, ``reserve_args``/``reserved`` and
    ``release_args``/``released`` let `lockgate.gate.gate_redis` run `RESERVE` and `RELEASE`
    inside the gate's single admit and settle scripts.
    """

    def __init__(
        self,
        redis: Redis,
        clock: Clock,
        prefix: str = "lockgate:budget:",
        *,
        on_threshold: ThresholdHook | None = None,
        thresholds: Sequence[float] = DEFAULT_THRESHOLDS,
    ) -> None:
        super().__init__(clock, on_threshold=on_threshold, thresholds=thresholds)
        self.redis = redis
        self._prefix = prefix
        self._scripts = {
            name: register(redis, function.script)
            for name, function in [
                ("reserve", RESERVE),
                ("release", RELEASE),
                ("record", _RECORD),
                ("status", _STATUS),
            ]
        }
        self._key_cache: BoundedLRU[str, tuple[str, str]] = BoundedLRU()
        self._unit_cache: BoundedLRU[int, tuple[int, ...]] = BoundedLRU()
        self._block_cache: BoundedLRU[tuple[str, int], tuple[str, str]] = BoundedLRU()
        self.labels = tuple(repr(t) for t in self.thresholds)
        """The thresholds as the scripts name them (``alert:0.9``)."""
        self._header_blob = blob([len(self.labels), *self.labels])

    def window_keys(self, scopes: Sequence[str]) -> list[str]:
        """The hash and leases keys of each window key in ``scopes``."""
        keys: list[str] = []
        cache = self._key_cache
        for scope in scopes:
            pair = cache.get(scope)
            if pair is None:
                hash_key = f"{self._prefix}w:{scope}"
                pair = cache.put(scope, (hash_key, f"{hash_key}:leases"))
            keys += pair
        return keys

    @property
    def prefix(self) -> str:
        """The first part of every key this backend writes (``lockgate:budget:``)."""
        return self._prefix

    def done_key(self, reservation: Reservation) -> str:
        return f"{self._prefix}done:{reservation.id}"

    def header(self, now_ms: int, *, thresholds: bool = True) -> list[str | int]:
        labels = self.labels if thresholds else ()
        return [now_ms, len(labels), *labels]

    def reserve_args(
        self, windows: Sequence[Window], units: int, reservation: Reservation, now_ms: int
    ) -> list[str | int]:
        """The arguments of `RESERVE` (keys: ``window_keys(reservation.scopes)``, then
        ``done_key(reservation)``, which `RESERVE` does not touch: its layout is `RELEASE`'s)."""
        args = self.header(now_ms)
        args += (to_ms(reservation.expires_at), units, reservation.id)
        for window in windows:
            args += (window.limit.limit_units, window.drop_ms, *self._units(window))
        return args

    def reserve_blob(
        self, windows: Sequence[Window], units: int, reservation: Reservation, now_ms: int
    ) -> str:
        """``blob(reserve_args(...))``, built faster (each window's part is cached as text)."""
        expiry = to_ms(reservation.expires_at)
        head = f"{now_ms}|{self._header_blob}{expiry}|{units}|{reservation.id}|"
        return head + "".join([self._blocks(window)[0] for window in windows])

    def reserved(self, windows: Sequence[Window], units: int, reply: list[Any]) -> list[Tally]:
        """The tallies `RESERVE` answered, or its `BudgetExceeded`."""
        if int(reply[0]) == 0:
            index, spent, reserved = int(reply[1]), int(reply[2]), int(reply[3])
            raise windows[index - 1].exceeded(spent, reserved, units)
        return self._tallies(windows, reply[1:])

    def release_args(
        self,
        reservation: Reservation,
        windows: Sequence[Window | None],
        actual: int | None,
        now_ms: int,
    ) -> list[str | int]:
        """The arguments of `RELEASE` (keys: ``window_keys(scopes)`` and ``done_key``)."""
        args = self.header(now_ms)
        args += (reservation.id, "" if actual is None else actual, REMEMBER_S)
        for window in windows:
            if window is None:
                args += (now_ms + _FALLBACK_MS, *[""] * len(self.thresholds))
            else:
                args += (window.drop_ms, *self._units(window))
        return args

    def release_blob(
        self,
        reservation: Reservation,
        windows: Sequence[Window | None],
        actual: int | None,
        now_ms: int,
    ) -> str:
        """``blob(release_args(...))``, built faster (each window's part is cached as text)."""
        known = [window for window in windows if window is not None]
        if len(known) != len(windows):
            return blob(self.release_args(reservation, windows, actual, now_ms))
        spend = "" if actual is None else actual
        head = f"{now_ms}|{self._header_blob}{reservation.id}|{spend}|{REMEMBER_S}|"
        return head + "".join([self._blocks(window)[1] for window in known])

    def released(
        self, windows: Sequence[Window | None], actual: int | None, reply: list[Any]
    ) -> list[Tally]:
        """The tallies to announce after `RELEASE`."""
        if int(reply[0]) == 0 or actual is None:  # already settled or refunded; or a refund
            return []
        return self._tallies(windows, reply[1:])

    async def _reserve(
        self, windows: list[Window], units: int, reservation: Reservation, now: datetime
    ) -> list[Tally]:
        args = self.reserve_args(windows, units, reservation, to_ms(now))
        keys = [*self.window_keys(reservation.scopes), self.done_key(reservation)]
        reply = await self._run("reserve", keys, args)
        return self.reserved(windows, units, reply)

    async def _release(
        self,
        reservation: Reservation,
        windows: list[Window | None],
        actual: int | None,
        now: datetime,
    ) -> list[Tally]:
        args = self.release_args(reservation, windows, actual, to_ms(now))
        keys = [*self.window_keys(reservation.scopes), self.done_key(reservation)]
        return self.released(windows, actual, await self._run("release", keys, args))

    async def _record(self, windows: list[Window], units: int, now: datetime) -> list[Tally]:
        args = self.header(to_ms(now))
        args.append(units)
        for window in windows:
            args += (window.drop_ms, *self._units(window))
        reply = await self._run("record", self.window_keys([w.key for w in windows]), args)
        return self._tallies(windows, reply)

    async def _tally(self, window: Window, now: datetime) -> tuple[int, int]:
        args = self.header(to_ms(now), thresholds=False)
        reply = await self._run("status", self.window_keys([window.key]), args)
        return int(reply[0]), int(reply[1])

    async def _run(self, script: str, keys: list[str], args: list[str | int]) -> Any:
        with redis_errors(BudgetUnavailable, "budget store"):
            return await self._scripts[script](keys=keys, args=args)

    def _blocks(self, window: Window) -> tuple[str, str]:
        """A window's part of the `RESERVE` and of the `RELEASE` arguments, as blob text."""
        key = (window.key, window.limit.limit_units)
        blocks = self._block_cache.get(key)
        if blocks is None:
            release = blob([window.drop_ms, *self._units(window)])
            blocks = self._block_cache.put(key, (f"{window.limit.limit_units}|{release}", release))
        return blocks

    def _units(self, window: Window) -> tuple[int, ...]:
        units = self._unit_cache.get(window.limit.limit_units)
        if units is None:
            units = window.threshold_units(self.thresholds)
            self._unit_cache.put(window.limit.limit_units, units)
        return units

    @staticmethod
    def _tallies(windows: Sequence[Window | None], rows: list[Any]) -> list[Tally]:
        """The windows that crossed thresholds (a row per window: ``None`` when none did)."""
        return [
            Tally(window, int(row[0]), int(row[1]), tuple(float(t) for t in row[2]))
            for window, row in zip(windows, rows, strict=True)
            if row
        ]
