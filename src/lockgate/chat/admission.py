"""Per-process admission of chat sends: past capacity, refuse at once instead of queueing.

Every send (and regenerate) checks the session, reads the conversation, asks the gate, and
writes its two rows. Past what the database can do, the extra sends wait for a pooled
connection and, on SQLite, for the one write lock (``busy_timeout``), every one of them slower,
until answers take seconds and fewer messages are answered per second than at lower load. So
at most ``limit`` sends are set up at once in a process; one more is refused with 503
``overloaded`` and a ``Retry-After`` *before* anything is read, saved or reserved, so retrying
it is safe and loses nothing (the browser keeps the text in the composer).

A slot is held from the request's arrival in the endpoint, *before* the sign-in check, until
its reply is started (or the send fails); the reply itself runs on without one (its partial
saves go through the one writer of ``saves.py``). Measured with ``bench/chat.py``: past capacity
the sends queued for a pooled database connection and SQLite's write lock (a thread waiting in
SQLite's busy handler), not in the event loop, whose lag stayed low while answers took seconds;
so the bound is on the sends in that queue, and a lag threshold would not have shed them.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from lockgate.errors import ServiceUnavailable
from lockgate.observability.metrics import Metrics

# A send is set up in milliseconds: a second later this server has room again.
OVERLOADED_RETRY_AFTER = 1


class ChatOverloaded(ServiceUnavailable):
    """503 ``overloaded`` (the gate's code for the same situation): the send was not taken."""

    code = "overloaded"
    message = "This server is busy; nothing was saved. Send the message again in a moment."

    def __init__(self, retry_after: int = OVERLOADED_RETRY_AFTER) -> None:
        super().__init__(headers={"Retry-After": str(max(1, retry_after))})


class SendAdmission:
    """At most ``limit`` sends being set up at once in this process (one event loop: no lock)."""

    def __init__(self, limit: int, *, metrics: Metrics | None = None) -> None:
        if limit < 1:
            raise ValueError("the send limit must be at least 1")
        self.limit = limit
        self.in_flight = 0
        self._metrics = metrics

    @contextmanager
    def slot(self) -> Iterator[None]:
        """Hold one slot for the block; raise :class:`ChatOverloaded` at once when none is free."""
        if self.in_flight >= self.limit:
            if self._metrics is not None:
                self._metrics.chat_send_shed()
            raise ChatOverloaded()
        self.in_flight += 1
        if self._metrics is not None:
            self._metrics.chat_sends_in_flight(1)
        try:
            yield
        finally:
            self.in_flight -= 1
            if self._metrics is not None:
                self._metrics.chat_sends_in_flight(-1)
