"""`govern registry serve` and `add-user` through the real CLI (subprocesses)."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

GOVERN = [sys.executable, "-m", "govern"]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait(url: str, process: subprocess.Popen, auth: tuple[str, str] | None = None) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        assert process.poll() is None, process.stderr.read() if process.stderr else ""
        try:
            httpx.get(url + "/", timeout=1, auth=auth)
            return
        except httpx.TransportError:
            time.sleep(0.1)
    raise AssertionError("server did not start")


def _stop(process: subprocess.Popen) -> int:
    process.send_signal(signal.SIGINT)
    try:
        return process.wait(15)
    except subprocess.TimeoutExpired:
        process.kill()
        return process.wait()


def test_serve_register_and_stop(tmp_path: Path) -> None:
    port = _free_port()
    process = subprocess.Popen(
        [*GOVERN, "registry", "serve", "--port", str(port)], cwd=tmp_path, stderr=subprocess.PIPE, text=True
    )
    url = f"http://127.0.0.1:{port}"
    try:
        _wait(url, process)
        assert httpx.get(url + "/subjects").json() == []
        schema = json.dumps({"type": "record", "name": "R", "fields": [{"name": "a", "type": "string"}]})
        answer = httpx.post(url + "/subjects/cli-value/versions", json={"schema": schema}).json()
        assert answer["id"] == 1 and answer["version"] == 1
        assert httpx.get(url + "/subjects").json() == ["cli-value"]
    finally:
        code = _stop(process)
    assert code == 0
    assert (tmp_path / ".govern" / "registry.sqlite").exists()  # default store under .govern/


def test_port_in_use_is_exit_3_with_one_line(tmp_path: Path) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen(1)
        port = busy.getsockname()[1]
        result = subprocess.run(
            [*GOVERN, "registry", "serve", "--port", str(port), "--store", ":memory:"],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=30,
        )
    assert result.returncode == 3
    assert "cannot listen on 127.0.0.1:" in result.stderr and "Traceback" not in result.stderr


def test_bad_users_file_is_exit_2(tmp_path: Path) -> None:
    users = tmp_path / "users"
    users.write_text("nonsense\n")
    result = subprocess.run(
        [*GOVERN, "registry", "serve", "--users", str(users), "--store", ":memory:"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 2 and "users:1:" in result.stderr and "Traceback" not in result.stderr


def test_add_user_then_serve_with_auth(tmp_path: Path) -> None:
    users = tmp_path / "users"
    for name, role, password in (("writer", "write", "w-pass"), ("reader", "read", "r-pass")):
        result = subprocess.run(
            [*GOVERN, "registry", "add-user", str(users), name, "--role", role, "--password-stdin"],
            input=password + "\n",
            capture_output=True,
            text=True,
            timeout=30,
        )
        assert result.returncode == 0, result.stderr
    assert oct(users.stat().st_mode & 0o777) == "0o600"
    assert "w-pass" not in users.read_text()
    port = _free_port()
    process = subprocess.Popen(
        [*GOVERN, "registry", "serve", "--port", str(port), "--store", ":memory:", "--users", str(users)],
        cwd=tmp_path,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ},
    )
    url = f"http://127.0.0.1:{port}"
    try:
        _wait(url, process)
        assert httpx.get(url + "/subjects").status_code == 401
        assert httpx.get(url + "/subjects", auth=("reader", "r-pass")).json() == []
        body = {"schema": '"string"'}
        denied = httpx.post(url + "/subjects/s/versions", json=body, auth=("reader", "r-pass"))
        assert denied.status_code == 403 and denied.json()["error_code"] == 403
        assert (
            httpx.post(url + "/subjects/s/versions", json=body, auth=("writer", "w-pass")).status_code == 200
        )
        assert (
            httpx.post(url + "/subjects/s", json=body, auth=("reader", "r-pass")).status_code == 200
        )  # lookup
    finally:
        _stop(process)


def test_unusable_store_and_tls_files_are_one_line_errors(tmp_path: Path) -> None:
    (tmp_path / "not-a-db").write_text("hello, this is not SQLite" * 100)
    for args, code in (
        (["--store", str(tmp_path / "not-a-db")], 3),
        (["--store", "/proc/no-such-dir/x.sqlite"], 3),
        (["--store", ":memory:", "--tls-cert", str(tmp_path / "missing.pem")], 2),
    ):
        result = subprocess.run(
            [*GOVERN, "registry", "serve", "--port", str(_free_port()), *args],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=30,
        )
        assert result.returncode == code, (args, result.stderr)
        assert "Traceback" not in result.stderr and "hint:" in result.stderr


def test_kafka_store_bad_input_is_exit_2_and_hides_settings(tmp_path: Path) -> None:
    cases = [
        (["--store", "kafka://"], "not a kafka:// store URL"),
        (["--store", "kafka://127.0.0.1:1", "--kafka-config", "sasl.password"], "is not KEY=VALUE"),
        (["--store", "kafka://127.0.0.1:1", "--host", "0.0.0.0"], "needs --advertised-url"),
        (
            ["--store", "kafka://127.0.0.1:1?sasl.password=hunter2", "--kafka-config", "no.such.setting=1"],
            "check the --kafka-config settings",
        ),
    ]
    for args, message in cases:
        result = subprocess.run(
            [*GOVERN, "registry", "serve", "--port", "0", *args],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert result.returncode == 2, (args, result.stderr)
        assert message in result.stderr and "hunter2" not in result.stderr + result.stdout
