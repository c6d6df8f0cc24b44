"""The one gate in front of the model: `concurrency` answers at a time and `queue_size` waiting, for the page and
the API alike (so /metrics counts both); past that, Busy at once instead of a request that hangs.

The local engine runs one answer at a time on its decode thread whatever the gate lets through; a remote server
(vLLM, SGLang) batches, so there --gpu-concurrency above 1 lets it.
"""

from __future__ import annotations

import threading

from glyph_web.errors import Message


class Busy(Exception):
    """The queue is full; its one argument is the message for a person (a Message: say it in any language)."""


class Admission:
    """`concurrency` answers at a time, `queue_size` waiting; `waiting` and `running` for /metrics."""

    def __init__(self, concurrency: int, queue_size: int):
        self.concurrency = concurrency
        self.queue_size = queue_size
        self.running = 0
        self.waiting = 0
        self._arrivals: list[object] = []  # who waits, in the order they came (for `place`)
        self._cond = threading.Condition()

    def enter(self, stop: threading.Event | None = None) -> None:
        """Wait for a slot; Busy at once when the queue is full. Returns early (raising Busy) if stop is set."""
        with self._cond:
            if self.running >= self.concurrency and self.waiting >= self.queue_size:
                raise Busy(Message("backends.busy", running=self.running, waiting=self.waiting))
            self.waiting += 1
            token = stop if stop is not None else object()
            self._arrivals.append(token)
            try:
                while self.running >= self.concurrency:
                    self._cond.wait(0.5)
                    if stop is not None and stop.is_set():
                        raise Busy(Message("backends.cancelled_waiting"))
            finally:
                self.waiting -= 1
                self._arrivals.remove(token)
            self.running += 1

    def place(self, stop: threading.Event) -> int:
        """Read-only: the place (1 = next) among those waiting of the caller that waits in `enter` with this stop
        event, by arrival (the gate lets in whoever wakes first, so it is the usual order, not a promise); 0 when
        it does not wait."""
        with self._cond:
            return next((n for n, token in enumerate(self._arrivals, 1) if token is stop), 0)

    def leave(self) -> None:
        with self._cond:
            self.running -= 1
            self._cond.notify()
