"""Unique ids for the gate's permits, reservations, leases and tickets, at a fraction of uuid4's
cost (the gate makes four of them per call).

An id is hex: 64 random bits drawn once per process (and drawn again in a forked child), as 16
characters, then a counter. Ids never repeat within a process, and two processes share ids only
if their random halves collide (1 in 2**64 per pair), so ids stay unique across the replicas that
share a Redis. They are never shown to clients.
"""

from __future__ import annotations

import itertools
import os

_prefix = ""
_counter = itertools.count()


def _reseed() -> None:
    global _prefix, _counter
    _prefix = os.urandom(8).hex()
    _counter = itertools.count()


_reseed()
os.register_at_fork(after_in_child=_reseed)


def new_id() -> str:
    """A fresh id (see the module docstring)."""
    return f"{_prefix}{next(_counter):x}"
