"""Who may come in and how often: credentials, a per-client rate limit, and a bounded queue for answers.

No torch, no gradio. `Credentials` reads --auth (user:password, or a file of such lines) and --api-key;
the API accepts `Authorization: Bearer <api key>` or HTTP Basic with an --auth pair, the page its login form.
Comparisons are constant-time. `RateLimiter` is a token bucket per client; `Admission` lets `concurrency`
answers run and `queue_size` wait, and turns the next one away at once instead of letting it hang.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import math
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from glyph_web.errors import ConfigError


@dataclass(frozen=True)
class Credentials:
    users: tuple[tuple[str, str], ...] = ()
    api_key: str | None = None

    @classmethod
    def from_settings(cls, auth: str | None, api_key: str | None) -> Credentials:
        return cls(users=parse_auth(auth) if auth else (), api_key=api_key or None)

    @property
    def enabled(self) -> bool:
        return bool(self.users or self.api_key)

    def check_user(self, user: str, password: str) -> bool:
        ok = False
        for known_user, known_password in self.users:  # no early exit: the time says nothing about the users
            ok |= hmac.compare_digest(user.encode(), known_user.encode()) & hmac.compare_digest(
                password.encode(), known_password.encode())
        return ok

    def check_header(self, authorization: str | None) -> bool:
        """An API request's Authorization header: a Bearer API key, or Basic with an --auth pair."""
        if not self.enabled:
            return True
        scheme, _, value = (authorization or "").partition(" ")
        value = value.strip()
        if scheme.lower() == "bearer" and self.api_key:
            return hmac.compare_digest(value.encode(), self.api_key.encode())
        if scheme.lower() == "basic" and self.users:
            try:
                user, sep, password = base64.b64decode(value, validate=True).decode().partition(":")
            except (binascii.Error, UnicodeDecodeError):
                return False
            return bool(sep) and self.check_user(user, password)
        return False


def parse_auth(value: str) -> tuple[tuple[str, str], ...]:
    """'user:password', or the path of a file with one such line each (blank lines and # comments skipped)."""
    path = Path(value)
    if path.is_file():
        try:
            lines = [line.strip() for line in path.read_text(encoding="utf-8").splitlines()]
        except (OSError, UnicodeDecodeError) as exc:
            raise ConfigError(f"Cannot read the --auth file {path}: {exc}.") from None
        pairs = [line for line in lines if line and not line.startswith("#")]
        where = f"in {path}"
    elif ":" in value:
        pairs, where = [value], "in --auth (GLYPH_AUTH)"
    else:
        raise ConfigError("--auth (GLYPH_AUTH) must be user:password or the path of a file of such lines; "
                          "it is neither (no ':' and no such file).")
    users = []
    for pair in pairs:
        user, sep, password = pair.partition(":")
        if not sep or not user or not password:
            raise ConfigError(f"Each entry {where} must be user:password with both parts non-empty.")
        users.append((user, password))
    if not users:
        raise ConfigError(f"No user:password entries {where}.")
    return tuple(users)


@dataclass
class RateLimiter:
    """A token bucket per client: `per_minute` requests a minute, bursts up to that many; 0 turns it off."""

    per_minute: float
    _buckets: dict[str, tuple[float, float]] = field(default_factory=dict)  # client -> (tokens, last time)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def allow(self, client: str, now: float | None = None) -> float:
        """0 when the request may go ahead, else the seconds until it may."""
        if self.per_minute <= 0:
            return 0.0
        now = time.monotonic() if now is None else now
        rate = self.per_minute / 60.0
        with self._lock:
            tokens, last = self._buckets.get(client, (self.per_minute, now))
            tokens = min(self.per_minute, tokens + (now - last) * rate)
            if tokens >= 1:
                self._buckets[client] = (tokens - 1, now)
                if len(self._buckets) > 10_000:  # forget the oldest clients rather than grow without end
                    for key in list(self._buckets)[:1000]:
                        del self._buckets[key]
                return 0.0
            self._buckets[client] = (tokens, now)
            return max(0.001, (1 - tokens) / rate)


class Busy(Exception):
    """The queue is full; the message is for a person."""


class Admission:
    """`concurrency` answers at a time, `queue_size` waiting; `waiting` and `running` for /metrics."""

    def __init__(self, concurrency: int, queue_size: int):
        self.concurrency = concurrency
        self.queue_size = queue_size
        self.running = 0
        self.waiting = 0
        self._cond = threading.Condition()

    def enter(self, stop: threading.Event | None = None) -> None:
        """Wait for a slot; Busy at once when the queue is full. Returns early (raising Busy) if stop is set."""
        with self._cond:
            if self.running >= self.concurrency and self.waiting >= self.queue_size:
                raise Busy(f"The server is busy: {self.running} answers are being written and {self.waiting} "
                           f"requests are waiting. Try again in a moment.")
            self.waiting += 1
            try:
                while self.running >= self.concurrency:
                    self._cond.wait(0.5)
                    if stop is not None and stop.is_set():
                        raise Busy("The request was cancelled while it waited.")
            finally:
                self.waiting -= 1
            self.running += 1

    def leave(self) -> None:
        with self._cond:
            self.running -= 1
            self._cond.notify()


def retry_after(seconds: float) -> str:
    return str(max(1, math.ceil(seconds)))
