"""Forked processes that draw and write pages (for writer.py), started before the heavy imports.

A worker reads jobs from a pipe (length-prefixed pickles of (index, path, job, config)), draws, crops and
writes each page, and answers one line per page written, "index width height", or one error line: "message
HEX" (a GlyphError's key and parameters, pickled, so the parent can say it in any language) or "error TEXT".
`PagePool.start()` forks right away, while the process is small, so the workers import the drawing code
(numpy, FreeType, the compiled blit) while the parent is still reading the document and laying it out.
Only this module's own imports (the standard library) run before the fork.
"""

from __future__ import annotations

import os
import pickle
import select
import signal
import threading


class PoolError(Exception):
    """A worker failed; the message is for a person."""

    @property
    def reason(self):
        """What went wrong: a Message (said in any language) or a line of text."""
        return self.args[0] if self.args else ""


class _Worker:
    def __init__(self, close_in_child: list[int]):
        job_read, self.job_fd = os.pipe()
        ack_read, ack_write = os.pipe()
        self.pid = os.fork()
        if self.pid == 0:
            for fd in (self.job_fd, ack_read, *close_in_child):
                os.close(fd)
            _worker_main(job_read, ack_write)  # never returns
        os.close(job_read)
        os.close(ack_write)
        self.ack_fd = ack_read
        os.set_blocking(ack_read, False)
        self.sent: set[int] = set()  # pages sent and not yet reported
        self.buffer = b""
        self.done = False  # its end of the pipe is closed: it has exited

    def send(self, message) -> None:
        data = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
        view = memoryview(len(data).to_bytes(8, "little") + data)
        while view:
            view = view[os.write(self.job_fd, view):]

    def read(self, sizes: dict) -> None:
        """Take in what the worker has reported so far, without waiting."""
        while not self.done:
            try:
                chunk = os.read(self.ack_fd, 65536)
            except BlockingIOError:
                break
            if not chunk:
                self.done = True
                break
            self.buffer += chunk
        *lines, self.buffer = self.buffer.split(b"\n")
        for line in lines:
            if line.startswith(b"message "):
                from glyph_web.errors import Message

                key, params = pickle.loads(bytes.fromhex(line[8:].decode()))
                raise PoolError(Message(key, **params))
            if line.startswith(b"error "):
                raise PoolError(line[6:].decode(errors="replace"))
            index, width, height = (int(v) for v in line.split())
            sizes[index] = (width, height)
            self.sent.discard(index)

    def close(self, kill: bool = False) -> None:
        if kill:
            try:
                os.kill(self.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        else:
            try:
                self.send(None)
            except OSError:  # it has gone already
                pass
        for fd in (self.job_fd, self.ack_fd):
            try:
                os.close(fd)
            except OSError:
                pass
        try:
            os.waitpid(self.pid, 0)
        except ChildProcessError:
            pass


def _worker_main(job_fd: int, ack_fd: int) -> None:
    status = 0
    try:
        import importlib

        for name in ("fast", "fast_raster", "crop", "png"):  # load the drawing code while the parent works
            importlib.import_module(f"glyph_web.render.{name}")
        from glyph_web.render import native
        from glyph_web.render.draw import draw_page

        native.blit()
        with os.fdopen(job_fd, "rb") as jobs:
            while True:
                header = jobs.read(8)
                if len(header) < 8:
                    break
                message = pickle.loads(jobs.read(int.from_bytes(header, "little")))
                if message is None:
                    break
                index, path, job, config = message
                width, height = draw_page(job, path, config)
                os.write(ack_fd, f"{index} {width} {height}\n".encode())
    except BaseException as exc:  # noqa: BLE001 - reported to the parent, which raises it for the user
        from glyph_web.errors import GlyphError

        line = "error " + (str(exc) if isinstance(exc, GlyphError) else f"{type(exc).__name__}: {exc}")
        if isinstance(exc, GlyphError):
            try:
                line = "message " + pickle.dumps((exc.key, exc.params), protocol=pickle.HIGHEST_PROTOCOL).hex()
            except Exception:  # noqa: BLE001 - a parameter that does not pickle: its English text then
                pass
        try:
            os.write(ack_fd, (line.replace("\n", " ") + "\n").encode())
        except OSError:
            pass
        status = 1
    finally:
        os._exit(status)  # no atexit handlers, no flushing of buffers the parent owns


class PagePool:
    """Up to `count` drawing processes; none where fork is missing or unsafe (then the caller draws).

    Use as a context manager: leaving it normally lets the workers finish, leaving by an exception kills them.
    """

    def __init__(self, workers: list[_Worker]):
        self.workers = workers

    @classmethod
    def start(cls, count: int | None = None) -> PagePool:
        """`count` workers beside this process (default: one per further CPU, at most 3)."""
        count = min(3, (os.cpu_count() or 1) - 1) if count is None else count
        # fork only where it is safe: a process with other threads running could fork one of them mid-lock
        if count < 1 or not hasattr(os, "fork") or threading.active_count() > 1:
            return cls([])
        workers: list[_Worker] = []
        for _ in range(count):
            workers.append(_Worker([fd for w in workers for fd in (w.job_fd, w.ack_fd)]))
        return cls(workers)

    def __enter__(self) -> PagePool:
        return self

    def __exit__(self, kind, value, tb) -> None:
        self.close(kill=kind is not None)

    def poll(self, sizes: dict) -> None:
        for worker in self.workers:
            worker.read(sizes)

    def idlest(self, sizes: dict, backlog: int) -> _Worker | None:
        """The live worker with the fewest pages waiting, if it has fewer than `backlog`."""
        self.poll(sizes)
        live = [w for w in self.workers if not w.done]
        if not live:
            return None
        worker = min(live, key=lambda w: len(w.sent))
        return worker if len(worker.sent) < backlog else None

    def submit(self, worker: _Worker, index: int, path, job: tuple, config) -> None:
        worker.sent.add(index)
        worker.send((index, path, job, config))

    def wait(self, sizes: dict, timeout: float = 1.0) -> None:
        """Block until some worker with pages waiting reports (or exits), then take in the reports."""
        busy = [w.ack_fd for w in self.workers if w.sent and not w.done]
        if busy:
            select.select(busy, [], [], timeout)
        self.poll(sizes)

    def drain(self, sizes: dict) -> None:
        """Wait until every page sent has been reported; PoolError when a worker died with pages."""
        while any(w.sent and not w.done for w in self.workers):
            self.wait(sizes)
        if any(w.sent for w in self.workers):
            from glyph_web.errors import Message

            raise PoolError(Message("render.worker_stopped"))

    def close(self, kill: bool = False) -> None:
        for worker in self.workers:
            worker.close(kill)
        self.workers = []
