"""The decode thread: every forward pass of a runtime runs on one thread of its own.

Front doors consume an answer as a generator, and Gradio (like any thread pool server) resumes a generator on
whichever worker thread is free. torch's grad mode and inference mode are thread-local, so a `with
torch.inference_mode()` around a generator holds only while the first thread runs it: resumed elsewhere, the
cached tensors get an autograd graph and can no longer be copied. Here the work never moves: one long-lived
thread, in inference mode for its whole life, runs one answer at a time and hands the events over a queue to
whatever thread asks for the next one. Closing the consumer early stops the answer within one decoding step.
"""

from __future__ import annotations

import logging
import queue
import threading
from typing import Callable, Iterator

from glyph_web.errors import EngineError

logger = logging.getLogger(__name__)

_END = object()


class Cancelled:
    """A stop request that is set by the user (their stop event) or by the consumer going away."""

    def __init__(self, stop: threading.Event):
        self._stop = stop
        self._gone = threading.Event()

    def is_set(self) -> bool:
        return self._stop.is_set() or self._gone.is_set()

    def set(self) -> None:
        self._gone.set()


class _Failed:
    def __init__(self, exc: BaseException):
        self.exc = exc


class DecodeThread:
    """One thread that runs jobs in order, with torch's inference mode set once for all of them."""

    def __init__(self, name: str = "glyph-decode"):
        self._jobs: queue.SimpleQueue = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._closed = False
        self._thread = threading.Thread(target=self._loop, name=name, daemon=True)
        self._thread.start()

    def _loop(self) -> None:
        import torch

        torch.set_grad_enabled(False)
        with torch.inference_mode():
            while True:
                job = self._jobs.get()
                if job is None:
                    return
                job()

    def stream(self, events: Callable[[Cancelled], Iterator], stop: threading.Event) -> Iterator:
        """Run `events(cancelled)` on the decode thread and yield what it yields, on the caller's thread."""
        out: queue.SimpleQueue = queue.SimpleQueue()
        cancelled = Cancelled(stop)

        def job() -> None:
            try:
                for event in events(cancelled):
                    out.put(event)
            except BaseException as exc:  # handed to the consumer, raised there
                out.put(_Failed(exc))
            finally:
                out.put(_END)

        with self._lock:
            if self._closed:
                raise EngineError("engine.unloaded")
            self._jobs.put(job)
        try:
            while True:
                item = out.get()
                if item is _END:
                    return
                if isinstance(item, _Failed):
                    raise item.exc
                yield item
        finally:
            cancelled.set()  # the consumer stopped early (closed, or collected): end the answer within a step

    def close(self, wait: bool = True) -> None:
        """Refuse new jobs, finish the queued ones, and end the thread."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            self._jobs.put(None)
        if wait and threading.current_thread() is not self._thread:
            self._thread.join()
