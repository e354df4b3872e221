"""Users file, scrypt hashes and the basic-auth check."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest

from govern.errors import InputError
from govern.registry.server.auth import Authenticator, format_user, hash_password, load_users, verify_password


def header(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


def test_hash_is_salted_and_verifies() -> None:
    a, b = hash_password("pw"), hash_password("pw")
    assert a != b and a.startswith("scrypt$")
    assert verify_password("pw", a) and not verify_password("other", a)
    assert not verify_password("pw", "scrypt$broken") and not verify_password("pw", "md5$x$y$z$aa$bb")


def test_users_file_roundtrip_and_roles(tmp_path: Path) -> None:
    file = tmp_path / "users"
    file.write_text(
        "# comment\n\n"
        + format_user("alice", "write", "s3cret")
        + "\n"
        + format_user("bob", "read", "pw")
        + "\n"
    )
    users = load_users(file)
    auth = Authenticator(users)
    assert auth.role_for(header("alice", "s3cret")) == "write"
    assert auth.role_for(header("alice", "s3cret")) == "write"  # cached path
    assert auth.role_for(header("bob", "pw")) == "read"
    assert auth.role_for(header("bob", "wrong")) is None
    assert auth.role_for(header("carol", "pw")) is None
    assert auth.role_for(None) is None
    assert auth.role_for("Basic !!!notbase64") is None
    assert auth.role_for("Bearer abc") is None


def test_bad_users_file_names_the_line(tmp_path: Path) -> None:
    file = tmp_path / "users"
    file.write_text("alice:admin:scrypt$1$1$1$aa$bb\n")
    with pytest.raises(InputError, match=r"users:1:"):
        load_users(file)
    with pytest.raises(InputError, match="cannot read users file"):
        load_users(tmp_path / "missing")


def test_invalid_names_and_roles() -> None:
    with pytest.raises(InputError):
        format_user("a:b", "read", "pw")
    with pytest.raises(InputError):
        format_user("a", "admin", "pw")


def test_known_role_is_cheap_and_says_when_scrypt_is_needed(tmp_path: Path) -> None:
    file = tmp_path / "users"
    file.write_text(format_user("alice", "write", "pw") + "\n")
    auth = Authenticator(load_users(file))
    assert auth.known_role(header("alice", "pw")) is False  # needs a scrypt check
    assert auth.known_role(header("nobody", "pw")) is None  # can never be valid
    assert auth.role_for(header("alice", "pw")) == "write"
    assert auth.known_role(header("alice", "pw")) == "write"  # remembered
    assert auth.known_role(header("alice", "wrong")) is False
