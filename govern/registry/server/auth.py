"""Optional HTTP basic auth for the registry server: a users file with scrypt hashes and two roles.

Users file format (UTF-8 text, one user per line, `#` comments and blank lines ignored)::

    # name:role:scrypt$N$r$p$salt-hex$hash-hex
    alice:write:scrypt$16384$8$1$5f0c...$9a1b...
    bob:read:scrypt$16384$8$1$77aa...$c3d4...

`role` is `read` (GET requests, lookups and compatibility checks) or `write` (everything).
Create a line with `govern registry add-user FILE NAME --role write` or `hash_password()`.
A password is checked with scrypt once; successful checks are remembered for the process
lifetime under an HMAC with a random per-process key, so repeated requests stay cheap.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
import secrets
import threading
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


class Authenticator:
    """Checks an `Authorization: Basic ...` header against the users; remembers good checks."""

    def __init__(self, users: dict[str, User]) -> None:
        self.users = users
        self._key = secrets.token_bytes(32)
        self._good: dict[bytes, str] = {}
        self._lock = threading.Lock()

    def _parse(self, header: str | None) -> tuple[User, str, bytes] | None:
        if not header or not header[:6].lower() == "basic ":
            return None
        try:
            decoded = base64.b64decode(header[6:].strip(), validate=True).decode("utf-8")
        except (ValueError, binascii.Error, UnicodeDecodeError):
            return None
        name, sep, password = decoded.partition(":")
        user = self.users.get(name)
        if not sep or user is None:
            return None
        token = hmac.new(self._key, f"{user.password_hash}\0{password}".encode(), "sha256").digest()
        return user, password, token

    def known_role(self, header: str | None) -> str | None | bool:
        """Cheap check: the role if these credentials were verified before, None if they cannot be
        valid (no header, unknown user), False if a (slow) scrypt check is needed."""
        parsed = self._parse(header)
        if parsed is None:
            return None
        user, _, token = parsed
        with self._lock:
            if token in self._good:
                return user.role
        return False

    def role_for(self, header: str | None) -> str | None:
        """The role of the user in a basic-auth header, or None when missing or wrong (may run scrypt)."""
        parsed = self._parse(header)
        if parsed is None:
            return None
        user, password, token = parsed
        with self._lock:
            if token in self._good:
                return user.role
        if not verify_password(password, user.password_hash):
            return None
        with self._lock:
            if len(self._good) > 10_000:
                self._good.clear()
            self._good[token] = user.role
        return user.role
