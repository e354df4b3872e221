"""The registry's complexity budget, against `govern registry serve` run as a real process.

A ~1 MB union of 20,000 records (under the size limit) once grew the server until the kernel
killed it; now it is answered in seconds and the server's peak RSS (VmHWM, read from /proc)
stays under 500 MB. A schema beyond the depth limit is refused when it comes in (42201, naming
the limit and its setting), so nothing stored is ever too deep to check against.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

BRANCHES = 20_000


def union(prefix: str, count: int = BRANCHES) -> str:
    return json.dumps([{"type": "record", "name": f"{prefix}{i}", "fields": []} for i in range(count)])


def arrays(depth: int) -> str:
    return '{"type":"array","items":' * depth + '"int"' + "}" * depth


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def peak_rss_mb(pid: int) -> float:
    """The process's peak resident set (VmHWM) in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise AssertionError("no VmHWM in /proc status")


@pytest.fixture(scope="module")
def server() -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("GOVERN_COMPAT_")}
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "govern",
            "registry",
            "serve",
            "--store",
            ":memory:",
            "--port",
            str(port),
            "--head-timeout",  # the connection options parse and apply
            "8",
            "--max-requests",
            "16",
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            httpx.get(url, timeout=1)
            break
        except httpx.TransportError:
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                raise AssertionError(
                    f"the registry did not start: {process.stderr.read().decode()}"
                ) from None
            time.sleep(0.1)
    try:
        yield url, process
    finally:
        process.terminate()
        process.wait(10)


def test_20000_branch_unions_are_answered_in_seconds_within_500_mb(
    server: tuple[str, subprocess.Popen[bytes]],
) -> None:
    url, process = server
    old, new = union("A"), union("B")
    assert 900_000 < len(new) < 1024 * 1024  # under the registry's 1 MiB schema limit
    with httpx.Client(base_url=url, timeout=60) as http:
        started = time.monotonic()
        http.put("/config/big", json={"compatibility": "NONE"}).raise_for_status()
        assert http.post("/subjects/big/versions", json={"schema": old}).status_code == 200
        http.put("/config/big", json={"compatibility": "BACKWARD"}).raise_for_status()
        answer = http.post("/compatibility/subjects/big/versions/latest", json={"schema": new})
        assert answer.status_code == 200 and answer.json() == {"is_compatible": False}
        refused = http.post("/subjects/big/versions", json={"schema": new})
        assert refused.status_code == 409, refused.text[:200]
        wider = json.dumps(json.loads(old) + [{"type": "record", "name": "Extra", "fields": []}])
        assert http.post("/subjects/big/versions", json={"schema": wider}).json()["version"] == 2
        elapsed = time.monotonic() - started
    assert elapsed < 30, f"{elapsed:.1f} s"
    assert process.poll() is None
    assert peak_rss_mb(process.pid) < 500, f"{peak_rss_mb(process.pid):.0f} MB"


def test_same_named_records_beyond_the_pair_budget_are_422(
    server: tuple[str, subprocess.Popen[bytes]],
) -> None:
    url, process = server
    count = 6_000
    required = [{"name": "x", "type": "int"}]
    old = [{"type": "record", "name": "R", "namespace": f"a{i}", "fields": []} for i in range(count)]
    new = [{"type": "record", "name": "R", "namespace": f"b{i}", "fields": required} for i in range(count)]
    with httpx.Client(base_url=url, timeout=60) as http:
        http.post("/subjects/same/versions", json={"schema": json.dumps(old)}).raise_for_status()
        answer = http.post("/compatibility/subjects/same/versions/latest", json={"schema": json.dumps(new)})
    assert answer.status_code == 422
    body = answer.json()
    assert body["error_code"] == 42201
    assert "GOVERN_COMPAT_MAX_PAIRS" in body["message"] and "250000" in body["message"]
    assert peak_rss_mb(process.pid) < 500, f"{peak_rss_mb(process.pid):.0f} MB"


def test_a_schema_too_deep_to_check_is_refused_at_registration(
    server: tuple[str, subprocess.Popen[bytes]],
) -> None:
    url, _ = server
    with httpx.Client(base_url=url, timeout=30) as http:
        refused = http.post("/subjects/deep/versions", json={"schema": arrays(400)})
        assert refused.status_code == 422
        assert refused.json() == {
            "error_code": 42201,
            "message": "Schema too complex: schema nests 401 levels deep, beyond the limit of 64 "
            "(GOVERN_COMPAT_MAX_DEPTH)",
        }
        assert http.get("/subjects/deep/versions").status_code == 404  # nothing half-stored
        as_check = http.post("/compatibility/subjects/deep/versions", json={"schema": arrays(400)})
        assert as_check.status_code == 422 and as_check.json()["error_code"] == 42201
        # the deepest accepted schema can always be evolved
        assert http.post("/subjects/deep/versions", json={"schema": arrays(63)}).status_code == 200
        evolved = arrays(63).replace('"int"', '"long"')
        assert http.post("/subjects/deep/versions", json={"schema": evolved}).json()["version"] == 2
