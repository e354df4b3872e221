"""Users file, scrypt hashes and the basic-auth check."""

from __future__ import annotations

import base64
import statistics
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from govern.errors import InputError
from govern.registry.server.auth import (
    Authenticator,
    AuthLimits,
    LoginLocked,
    User,
    format_user,
    hash_password,
    load_users,
    verify_password,
)


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
    assert auth.authenticate(header("alice", "s3cret"), "a") == "write"
    assert auth.authenticate(header("alice", "s3cret"), "a") == "write"  # cached path
    assert auth.authenticate(header("bob", "pw"), "a") == "read"
    assert auth.authenticate(header("bob", "wrong"), "a") is None
    assert auth.authenticate(header("carol", "pw"), "a") is None
    assert auth.authenticate(None, "a") is None
    assert auth.authenticate("Basic !!!notbase64", "a") is None
    assert auth.authenticate("Bearer abc", "a") is None


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


def test_only_verified_credentials_are_cheap(tmp_path: Path) -> None:
    file = tmp_path / "users"
    file.write_text(format_user("alice", "write", "pw") + "\n")
    auth = Authenticator(load_users(file))
    assert auth.cached_role(header("alice", "pw")) is None  # needs a scrypt check
    assert auth.cached_role(header("nobody", "pw")) is None  # the same answer: no oracle
    assert auth.authenticate(header("alice", "pw"), "a") == "write"
    assert auth.cached_role(header("alice", "pw")) == "write"  # remembered
    assert auth.cached_role(header("alice", "wrong")) is None


def _medians_s(*calls: Callable[[], object], runs: int = 21) -> list[float]:
    """The median time of each call, measured in turns so that machine load hits them alike."""
    times: list[list[float]] = [[] for _ in calls]
    for _ in range(runs):
        for call, spent in zip(calls, times, strict=True):
            started = time.perf_counter()
            call()
            spent.append(time.perf_counter() - started)
    return [statistics.median(spent) for spent in times]


def test_unknown_and_known_names_cost_the_same() -> None:
    users = {"alice": User("alice", "write", hash_password("pw", n=2**12))}
    auth = Authenticator(users, AuthLimits(user_failures=1000, address_failures=1000))
    known, unknown = _medians_s(
        lambda: auth.authenticate(header("alice", "wrong"), "a"),
        lambda: auth.authenticate(header("mallory", "wrong"), "a"),
    )
    assert 0.5 < unknown / known < 2, (unknown, known)  # was 0.9 ms against 47 ms


def test_failures_lock_a_name_then_the_window_releases_it() -> None:
    users = {"alice": User("alice", "write", hash_password("pw", n=2**10))}
    auth = Authenticator(users, AuthLimits(user_failures=3, address_failures=100, window_s=60))
    for second in range(3):
        assert auth.authenticate(header("alice", "guess"), f"10.0.0.{second}", now=100.0 + second) is None
    with pytest.raises(LoginLocked) as locked:
        auth.authenticate(header("alice", "pw"), "10.0.0.9", now=110.0)  # even the right password
    assert locked.value.retry_after == pytest.approx(50.0)  # the first failure leaves at 160
    assert auth.authenticate(header("alice", "pw"), "10.0.0.9", now=160.5) == "write"
    # unknown names are counted the same way (a 429 reveals nothing either)
    for _ in range(3):
        auth.authenticate(header("ghost", "x"), "10.0.0.1", now=200.0)
    with pytest.raises(LoginLocked):
        auth.authenticate(header("ghost", "x"), "10.0.0.1", now=201.0)


def test_failures_lock_an_address_across_names() -> None:
    users = {"alice": User("alice", "write", hash_password("pw", n=2**10))}
    auth = Authenticator(users, AuthLimits(user_failures=100, address_failures=5, window_s=60))
    for number in range(5):
        auth.authenticate(header(f"user{number}", "x"), "10.0.0.1", now=0.0)
    with pytest.raises(LoginLocked):
        auth.authenticate(header("alice", "pw"), "10.0.0.1", now=1.0)
    assert auth.authenticate(header("alice", "pw"), "10.0.0.2", now=1.0) == "write"  # others unaffected


def test_the_defaults_are_no_looser_than_10_per_name_and_100_per_address_a_minute() -> None:
    limits = AuthLimits()
    assert limits.user_failures <= 10 and limits.address_failures <= 100 and limits.window_s >= 60


def test_concurrent_guesses_cannot_overrun_the_limit() -> None:
    users = {"alice": User("alice", "write", hash_password("pw", n=2**12))}
    auth = Authenticator(users, AuthLimits(user_failures=3, address_failures=100, window_s=60))
    outcomes: list[str] = []

    def guess(number: int) -> None:
        try:
            outcomes.append(str(auth.authenticate(header("alice", f"guess{number}"), f"10.0.0.{number}")))
        except LoginLocked:
            outcomes.append("locked")

    threads = [threading.Thread(target=guess, args=(n,)) for n in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["None"] * 3 + ["locked"] * 9  # exactly the limit reached scrypt


def test_a_right_password_is_not_counted_against_the_address() -> None:
    users = {"alice": User("alice", "write", hash_password("pw", n=2**10))}
    auth = Authenticator(users, AuthLimits(user_failures=100, address_failures=2, window_s=60))
    for second in range(5):
        auth._good.clear()  # force the scrypt path each time
        assert auth.authenticate(header("alice", "pw"), "10.0.0.1", now=float(second)) == "write"
