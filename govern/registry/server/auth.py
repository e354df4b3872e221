"""Optional HTTP basic auth for the registry server: a users file with scrypt hashes and two roles.

Users file format (UTF-8 text, one user per line, `#` comments and blank lines ignored)::

    # name:role:scrypt$N$r$p$salt-hex$hash-hex
    alice:write:scrypt$16384$8$1$5f0c...$9a1b...
    bob:read:scrypt$16384$8$1$77aa...$c3d4...

`role` is `read` (GET requests, lookups and compatibility checks) or `write` (everything).
Create a line with `govern registry add-user FILE NAME --role write` or `hash_password()`.
A password is checked with scrypt once; successful checks are remembered for the process
lifetime under an HMAC with a random per-process key, so repeated requests stay cheap. Unknown
names cost the same scrypt as known ones (no timing oracle), and failed logins are limited per
name and per client address (`AuthLimits`: by default 10 and 100 a minute, then 429).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
import secrets
import threading
import time
from collections import OrderedDict, deque
from dataclasses import dataclass
from pathlib import Path

from govern.errors import InputError

ROLES = ("read", "write")
_N, _R, _P = 2**14, 8, 1


def hash_password(password: str, *, n: int = _N, r: int = _R, p: int = _P) -> str:
    """The stored form of a password: `scrypt$N$r$p$salt$hash` (hex), with a fresh 16-byte salt."""
    salt = os.urandom(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, n=n, r=r, p=p, dklen=32)
    return f"scrypt${n}${r}${p}${salt.hex()}${digest.hex()}"


def verify_password(password: str, stored: str) -> bool:
    """Whether `password` matches a `hash_password()` string (constant-time comparison)."""
    try:
        scheme, n, r, p, salt, expected = stored.split("$")
        if scheme != "scrypt":
            return False
        digest = hashlib.scrypt(
            password.encode(),
            salt=bytes.fromhex(salt),
            n=int(n),
            r=int(r),
            p=int(p),
            dklen=len(expected) // 2,
            maxmem=256 * 1024 * 1024,
        )
    except (ValueError, binascii.Error):
        return False
    return hmac.compare_digest(digest.hex(), expected)


@dataclass(frozen=True, slots=True)
class User:
    name: str
    role: str
    password_hash: str


def format_user(name: str, role: str, password: str) -> str:
    """One users-file line for a new user."""
    _check_name(name)
    if role not in ROLES:
        raise InputError(f"unknown role {role!r}", hint="use --role read or --role write")
    return f"{name}:{role}:{hash_password(password)}"


def _check_name(name: str) -> None:
    if not name or ":" in name or any(ch.isspace() for ch in name):
        raise InputError(f"invalid user name {name!r}", hint="use a name without ':' or spaces")


def load_users(path: str | Path) -> dict[str, User]:
    """Read a users file; a malformed line is an InputError naming file:line."""
    file = Path(path)
    try:
        text = file.read_text(encoding="utf-8")
    except OSError as error:
        raise InputError(f"cannot read users file {file}: {error.strerror}", hint="check --users") from None
    users: dict[str, User] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        parts = line.split(":")
        if len(parts) != 3 or parts[1] not in ROLES or not parts[2].startswith("scrypt$"):
            raise InputError(
                f"{file}:{number}: expected 'name:role:scrypt$...' with role read or write",
                hint="create lines with `govern registry add-user`",
            )
        users[parts[0]] = User(parts[0], parts[1], parts[2])
    return users


@dataclass(frozen=True, slots=True)
class AuthLimits:
    """Failed logins allowed per user name and per client address within a sliding window.

    Beyond either, every login of that name or from that address (even a correct one) is
    answered 429 with `Retry-After` until the oldest failure leaves the window. The address is
    the TCP peer: behind a proxy, all clients share the proxy's address (raise its limit there).
    """

    user_failures: int = 10
    address_failures: int = 100
    window_s: float = 60.0


class FailureWindow:
    """Failure times per key within a sliding window; bounded (the oldest keys are forgotten)."""

    def __init__(self, limit: int, window_s: float, capacity: int = 50_000) -> None:
        self.limit = limit
        self.window_s = window_s
        self.capacity = capacity
        self._failures: OrderedDict[str, deque[float]] = OrderedDict()

    def _recent(self, key: str, now: float) -> deque[float] | None:
        times = self._failures.get(key)
        if times is not None:
            while times and times[0] <= now - self.window_s:
                times.popleft()
            if not times:
                del self._failures[key]
                return None
        return times

    def retry_after(self, key: str, now: float) -> float | None:
        """Seconds until `key` may try again, or None when it may now."""
        times = self._recent(key, now)
        if times is None or len(times) < self.limit:
            return None
        return times[-self.limit] + self.window_s - now

    def fail(self, key: str, now: float) -> None:
        times = self._recent(key, now)
        if times is None:
            times = self._failures[key] = deque(maxlen=self.limit)
            while len(self._failures) > self.capacity:
                self._failures.popitem(last=False)
        times.append(now)
        self._failures.move_to_end(key)

    def clear(self, key: str) -> None:
        self._failures.pop(key, None)

    def forgive(self, key: str, when: float) -> None:
        """Take back one failure counted at `when` (the attempt turned out right)."""
        times = self._failures.get(key)
        if times is not None and when in times:
            times.remove(when)


class LoginLocked(Exception):
    """Too many failures for this user name or address; `retry_after` in seconds."""

    def __init__(self, retry_after: float) -> None:
        super().__init__(retry_after)
        self.retry_after = retry_after


class Authenticator:
    """Checks an `Authorization: Basic ...` header against the users; remembers good checks.

    Every well-formed attempt costs one scrypt, whether the user exists or not (an unknown name
    is checked against a dummy hash with the users' parameters), so timing does not tell which
    names exist; failures are counted per name and per address (`AuthLimits`).
    """

    def __init__(self, users: dict[str, User], limits: AuthLimits | None = None) -> None:
        self.users = users
        self.limits = limits or AuthLimits()
        self._key = secrets.token_bytes(32)
        self._good: dict[bytes, str] = {}
        self._lock = threading.Lock()
        self._by_user = FailureWindow(self.limits.user_failures, self.limits.window_s)
        self._by_address = FailureWindow(self.limits.address_failures, self.limits.window_s)
        model = next(iter(users.values())).password_hash if users else hash_password("")
        self._dummy = _same_parameters(model)
        self._scrypt_slots = threading.BoundedSemaphore(4)  # each scrypt holds 16 MB: bound the sum

    def _parse(self, header: str | None) -> tuple[str, str, bytes] | None:
        """(name, password, cache token) of a well-formed basic-auth header."""
        if not header or not header[:6].lower() == "basic ":
            return None
        try:
            decoded = base64.b64decode(header[6:].strip(), validate=True).decode("utf-8")
        except (ValueError, binascii.Error, UnicodeDecodeError):
            return None
        name, sep, password = decoded.partition(":")
        if not sep:
            return None
        user = self.users.get(name)
        secret = user.password_hash if user is not None else ""
        token = hmac.new(self._key, f"{name}\0{secret}\0{password}".encode(), "sha256").digest()
        return name, password, token

    def cached_role(self, header: str | None) -> str | None:
        """The role for credentials verified before (cheap); None means `authenticate` must decide."""
        parsed = self._parse(header)
        if parsed is None:
            return None
        with self._lock:
            return self._good.get(parsed[2])

    def authenticate(self, header: str | None, address: str, now: float | None = None) -> str | None:
        """The role of the user in a basic-auth header, or None when missing or wrong (runs scrypt);
        raises `LoginLocked` while the name or the address has too many recent failures."""
        parsed = self._parse(header)
        if parsed is None:
            return None
        name, password, token = parsed
        now = time.monotonic() if now is None else now
        with self._lock:
            role = self._good.get(token)
            if role is not None:
                return role
            wait = max(
                self._by_user.retry_after(name, now) or 0.0, self._by_address.retry_after(address, now) or 0.0
            )
            if wait <= 0:  # counted as failed until proven right: concurrent guesses cannot overrun
                self._by_user.fail(name, now)
                self._by_address.fail(address, now)
        if wait > 0:
            raise LoginLocked(wait)
        user = self.users.get(name)
        with self._scrypt_slots:
            good = verify_password(password, user.password_hash if user is not None else self._dummy)
        if not good or user is None:
            return None
        with self._lock:
            self._by_user.clear(name)
            self._by_address.forgive(address, now)
            if len(self._good) > 10_000:
                self._good.clear()
            self._good[token] = user.role
        return user.role


def _same_parameters(stored: str) -> str:
    """A hash of a random password with the scrypt parameters of `stored` (same cost to verify)."""
    try:
        _, n, r, p, _, _ = stored.split("$")
        return hash_password(secrets.token_hex(16), n=int(n), r=int(r), p=int(p))
    except ValueError:
        return hash_password(secrets.token_hex(16))
