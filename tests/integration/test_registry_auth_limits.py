"""Basic auth over real HTTP: no timing oracle on user names, 429 after repeated failures, and a
correct login once the window has passed."""

from __future__ import annotations

import statistics
import time

import httpx

from govern.registry.server import serve_in_thread
from govern.registry.server.auth import AuthLimits, User, hash_password

USERS = {
    "writer": User("writer", "write", hash_password("w-pw", n=2**12)),
    "reader": User("reader", "read", hash_password("r-pw", n=2**12)),
}


def _medians_ms(http: httpx.Client, *logins: tuple[str, str], runs: int = 21) -> list[float]:
    """The median answer time of each login, measured in turns so that machine load hits them alike."""
    times: list[list[float]] = [[] for _ in logins]
    for _ in range(runs):
        for auth, spent in zip(logins, times, strict=True):
            started = time.perf_counter()
            assert http.get("/subjects", auth=auth).status_code == 401
            spent.append((time.perf_counter() - started) * 1000)
    return [statistics.median(spent) for spent in times]


def test_unknown_and_known_user_names_answer_in_the_same_time() -> None:
    generous = AuthLimits(user_failures=1000, address_failures=1000)
    with (
        serve_in_thread(users=USERS, auth_limits=generous) as url,
        httpx.Client(base_url=url, timeout=10) as http,
    ):
        known, unknown = _medians_ms(http, ("writer", "wrong"), ("nobody", "wrong"))
    assert 0.5 < unknown / known < 2, f"unknown {unknown:.1f} ms, known {known:.1f} ms"


def test_repeated_failures_get_429_with_retry_after_then_the_window_passes() -> None:
    limits = AuthLimits(user_failures=10, address_failures=100, window_s=3)
    with (
        serve_in_thread(users=USERS, auth_limits=limits) as url,
        httpx.Client(base_url=url, timeout=10) as http,
    ):
        for _ in range(10):
            assert http.get("/subjects", auth=("writer", "guess")).status_code == 401
        started = time.monotonic()
        locked = http.get("/subjects", auth=("writer", "w-pw"))  # even the right password waits
        assert locked.status_code == 429
        assert locked.json()["error_code"] == 429
        wait = int(locked.headers["retry-after"])
        assert 1 <= wait <= 3
        assert http.get("/subjects", auth=("reader", "r-pw")).status_code == 200  # another name is not locked
        time.sleep(max(0.0, wait - (time.monotonic() - started)) + 0.2)
        assert http.get("/subjects", auth=("writer", "w-pw")).status_code == 200


def test_one_address_is_limited_across_names() -> None:
    limits = AuthLimits(user_failures=10, address_failures=12, window_s=60)
    with (
        serve_in_thread(users=USERS, auth_limits=limits) as url,
        httpx.Client(base_url=url, timeout=10) as http,
    ):
        for number in range(12):
            assert http.get("/subjects", auth=(f"guess{number}", "x")).status_code == 401
        refused = http.get("/subjects", auth=("reader", "r-pw"))
        assert refused.status_code == 429 and "retry-after" in refused.headers
