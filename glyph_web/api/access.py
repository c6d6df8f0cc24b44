"""Who may come in and how often: credentials, a per-client rate limit, and a bounded queue for answers.

No torch, no gradio. `Credentials` reads --auth (user:password, or a file of such lines) and --api-key;
the API accepts `Authorization: Bearer <api key>` or HTTP Basic with an --auth pair, the page its login form.
Comparisons are constant-time. A request is known by the principal its credential names (`user:ann`, `api-key`),
whatever the header's spelling, so the rate limit cannot be escaped by rewriting it; without credentials, by its
address. `RateLimiter` is a token bucket per principal; `FailureThrottle` slows down guessing (wrong keys and
logins) per client address; `client_address` trusts X-Forwarded-For only from --trusted-proxies. `Admission`
lets `concurrency` answers run and `queue_size` wait, and turns the next one away at once instead of letting
it hang.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import ipaddress
import math
import secrets
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from glyph_web.backends.gate import Admission, Busy  # noqa: F401 - the API's names for the one gate
from glyph_web.errors import ConfigError
from glyph_web.settings import parse_proxies  # noqa: F401 - the access layer's name for it


@dataclass(frozen=True)
class Credentials:
    users: tuple[tuple[str, str], ...] = ()
    api_key: str | None = None

    @classmethod
    def from_settings(cls, auth: str | None, api_key: str | None) -> Credentials:
        open_access = auth is not None and auth.strip().lower() == OPEN
        return cls(users=parse_auth(auth) if auth and not open_access else (), api_key=api_key or None)

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
        return not self.enabled or self.principal(authorization) is not None

    def principal(self, authorization: str | None) -> str | None:
        """Who the header proves the caller is: 'user:NAME' (Basic), 'api-key' (Bearer), or None. The scheme's
        case and the white space around its parts do not matter, so rewriting them names the same principal."""
        parts = (authorization or "").split(None, 1)
        scheme, value = (parts[0].lower(), parts[1].strip()) if len(parts) == 2 else ("", "")
        if scheme == "bearer" and self.api_key:
            return "api-key" if hmac.compare_digest(value.encode(), self.api_key.encode()) else None
        if scheme == "basic" and self.users:
            try:
                user, sep, password = base64.b64decode(value, validate=True).decode().partition(":")
            except (binascii.Error, UnicodeDecodeError):
                return None
            return f"user:{user}" if sep and self.check_user(user, password) else None
        return None


OPEN = "off"  # GLYPH_AUTH=off: no login, even beyond loopback (said loudly at start)


def generated_login(user: str = "glyph") -> str:
    """A random user:password for a server that listens beyond loopback and was given no login."""
    return f"{user}:{secrets.token_urlsafe(12)}"


def parse_auth(value: str) -> tuple[tuple[str, str], ...]:
    """'user:password', or the path of a file with one such line each (blank lines and # comments skipped)."""
    path = Path(value)
    if path.is_file():
        try:
            lines = [line.strip() for line in path.read_text(encoding="utf-8").splitlines()]
        except (OSError, UnicodeDecodeError) as exc:
            raise ConfigError("access.auth_unreadable", path=str(path), reason=str(exc)) from None
        pairs = [line for line in lines if line and not line.startswith("#")]
        source = str(path)
    elif ":" in value:
        pairs, source = [value], None
    else:
        raise ConfigError("access.auth_malformed")
    users = []
    for pair in pairs:
        user, sep, password = pair.partition(":")
        if not sep or not user or not password:
            if source is None:
                raise ConfigError("access.auth_entry_flag")
            raise ConfigError("access.auth_entry_file", path=source)
        users.append((user, password))
    if not users:
        if source is None:
            raise ConfigError("access.auth_empty_flag")
        raise ConfigError("access.auth_empty_file", path=source)
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


class FailureThrottle:
    """Wrong passwords and keys, per client address: after `free` failures in `window_s`, each next attempt
    from that address must wait, twice as long each time (up to `max_wait_s`), whether it would succeed or not."""

    def __init__(self, free: int = 5, window_s: float = 300.0, max_wait_s: float = 300.0):
        self.free, self.window_s, self.max_wait_s = free, window_s, max_wait_s
        self._failures: dict[str, tuple[int, float]] = {}  # address -> (failures, last failure time)
        self._lock = threading.Lock()

    def wait(self, address: str, now: float | None = None) -> float:
        """0 when the address may try now, else the seconds until it may."""
        now = time.monotonic() if now is None else now
        with self._lock:
            count, last = self._failures.get(address, (0, now))
            if now - last > self.window_s:
                self._failures.pop(address, None)
                return 0.0
            if count < self.free:
                return 0.0
            delay = min(self.max_wait_s, 2.0 ** (count - self.free))
            return max(0.0, last + delay - now)

    def failed(self, address: str, now: float | None = None) -> None:
        now = time.monotonic() if now is None else now
        with self._lock:
            count, last = self._failures.get(address, (0, now))
            self._failures[address] = (0 if now - last > self.window_s else count) + 1, now
            if len(self._failures) > 10_000:  # forget the oldest addresses rather than grow without end
                for key in list(self._failures)[:1000]:
                    del self._failures[key]

    def succeeded(self, address: str) -> None:
        with self._lock:
            self._failures.pop(address, None)


def client_address(peer: str | None, forwarded_for: str | None, trusted: tuple) -> str:
    """The client's address: the peer's, or, when the peer is a trusted proxy, the right-most address of
    X-Forwarded-For that is not itself a trusted proxy (the left part is the client's to write)."""
    address = peer or "?"
    if not trusted or not forwarded_for or not _within(address, trusted):
        return address
    for hop in reversed([h.strip() for h in forwarded_for.split(",") if h.strip()]):
        if not _within(hop, trusted):
            return hop if _is_address(hop) else address
        address = hop
    return address


def _within(address: str, networks: tuple) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in networks)


def _is_address(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
        return True
    except ValueError:
        return False


def retry_after(seconds: float) -> str:
    return str(max(1, math.ceil(seconds)))
