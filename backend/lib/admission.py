"""Admission control for the sync endpoint: at most GIAMSAT_MAX_BATCHES_IN_FLIGHT command batches are applied at
once in this process; beyond that the server answers 503 at once, with a Retry-After that spreads the devices'
returns over the time the server needs to drain them (docs/security.md, "Many devices at once";
bench/README.md, "Stampede after an outage").

Why: after an outage every device replays its queue at once. Without a bound, each batch waits in its branch's
group commit for as long as everything that arrived before it takes; a thousand batches of 100 are a minute of
work, so most devices time out (20 s) while the server still applies their batch, send it again, and get
`duplicate` for work whose answer was lost; meanwhile every other request that touches the database waits in
the same queues. Refused early, a device loses nothing (its queue keeps its order, nothing of the batch was
done) and the server only ever holds the work it can answer in time.

Why not a waiting queue in the server: it would hold the connections and bodies of a thousand devices, and each
still times out if it waits too long. Why not uvicorn's `limit_concurrency`: it counts every request (pages,
the trivial GETs this protects), not the expensive ones.

Per process, like the quotas (lib/quotas.py): with N workers N times the limit may be in flight, a bound all
the same; a refusal is a counter comparison, never a database query.
"""

from __future__ import annotations

import math
import random
import time
from contextlib import contextmanager
from typing import Any, Callable, Iterator

from litestar.openapi import ResponseSpec

from backend.lib.errors import N_, DomainError
from backend.lib.structs import ErrorBody

MAX_RETRY_AFTER = 30  # seconds: the longest a device is told to wait (its own backoff cap, queue-client.js)
FIRST_GUESS = 0.5  # seconds a batch takes in the server, until one has been measured
FORGET_AFTER = 30  # seconds after its Retry-After a device that did not come back stops counting as waiting


class ServerBusy(DomainError):
    """503: the process already applies as many batches as it may; nothing of this one was done."""

    status_code = 503

    def __init__(self, retry_after: int) -> None:
        super().__init__("server_busy", MESSAGE, seconds=retry_after)
        self.detail = {"retry_after": retry_after}
        self.headers = {"Retry-After": str(retry_after)}


MESSAGE = N_("The server is busy with other devices' work. Wait %(seconds)s seconds and send again.")

# The answer's description in the API schema (the app declares the other errors on every operation).
RESPONSES = {
    503: ResponseSpec(
        data_container=ErrorBody,
        description="The server is busy (too many batches in flight, GIAMSAT_MAX_BATCHES_IN_FLIGHT); nothing was "
        "done: send the same batch again after Retry-After seconds",
        generate_examples=False,
    )
}


class Admission:
    """Batches in flight in this process (an asyncio app: `check` and `admitted` never await, so they are atomic).

    Retry-After is full jitter over the time the server needs for everyone waiting: a refused device is told a
    random wait between 1 s and (devices waiting) x (time between two batches finishing when full: the measured
    time of a batch over the limit, Little's law). So a thousand refused devices come back spread over the
    minute their batches need, at about the rate the server finishes batches, instead of all together a
    second later (the next stampede, and a thousand refusals' worth of work each time); and as the line shortens
    the waits shorten with it. A device refused again does not count twice: the waiting are counted by key (the
    officer), each forgotten when admitted or once its wait is long past.
    """

    def __init__(
        self, limit: int, clock: Callable[[], float] = time.monotonic, jitter: Callable[[], float] = random.random
    ) -> None:
        self.limit = limit
        self.clock = clock
        self.jitter = jitter
        self.in_flight = 0
        self.batch_seconds = FIRST_GUESS  # moving average of an admitted batch's time in the server
        self._waiting: dict[Any, float] = {}  # key -> when to forget it (its wait, and then some)
        self._swept = 0.0

    def check(self, key: Any) -> None:
        """Raise ServerBusy (with its Retry-After) when the process holds as many batches as it may."""
        if self.in_flight < self.limit:
            self._waiting.pop(key, None)
            return
        now = self.clock()
        if now - self._swept > 1.0:
            self._swept = now
            self._waiting = {k: until for k, until in self._waiting.items() if until > now}
        between = max(self.batch_seconds, 0.001) / self.limit
        window = (len(self._waiting) + (key not in self._waiting)) * between
        wait = max(1, min(MAX_RETRY_AFTER, math.ceil(self.jitter() * window)))
        self._waiting[key] = now + wait + FORGET_AFTER
        raise ServerBusy(wait)

    @contextmanager
    def admitted(self) -> Iterator[None]:
        """Count a batch in flight while it is applied, and learn how long batches take."""
        self.in_flight += 1
        started = self.clock()
        try:
            yield
        finally:
            self.in_flight -= 1
            self.batch_seconds += 0.1 * (self.clock() - started - self.batch_seconds)


def of(state: Any) -> Admission:
    """The app's admission control, made from its settings on first use."""
    admission = state.get("admission")
    if admission is None:
        admission = state["admission"] = Admission(state.settings.quotas.max_batches_in_flight)
    return admission
