"""`govern broker` through the real CLI in subprocesses: up/status/down, and how it fails.

The up/down test checks with the pid from the state file that no java process is left behind.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from govern.kafka import find_java, is_reachable
from govern.kafka.broker import process_alive

GOVERN = str(Path(sys.executable).with_name("govern"))
CLI_TIMEOUT_S = 180
"""Deadline for one CLI call (a cold `up` may fetch jars before starting the broker)."""


def _env(**changes: str | None) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in ("KAFKA_BOOTSTRAP_SERVERS", "GOVERN_KAFKA_PROVIDER")
    }
    for key, value in changes.items():
        if value is None:
            env.pop(key, None)
        else:
            env[key] = value
    return env


def _govern(
    *args: str, env: dict[str, str] | None = None, cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [GOVERN, *args],
        env=env or _env(),
        cwd=cwd,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=CLI_TIMEOUT_S,
    )


def _assert_clean_failure(done: subprocess.CompletedProcess[str], code: int, *needles: str) -> None:
    assert done.returncode == code, done.stdout + done.stderr
    assert "Traceback" not in done.stderr
    errors = [line for line in done.stderr.splitlines() if line.startswith("error: ")]
    assert len(errors) == 1, done.stderr  # one line of cause (a start-up failure prints the log tail first)
    for needle in needles:
        assert needle in done.stderr, done.stderr


@pytest.mark.kafka
def test_up_status_down_runs_a_detached_broker_and_leaves_no_java(tmp_path: Path) -> None:
    up = _govern("broker", "up", "--root", str(tmp_path))
    assert up.returncode == 0, up.stderr
    state = json.loads((tmp_path / ".govern" / "broker.json").read_text())
    pid, bootstrap = state["pid"], state["bootstrap"]
    try:
        assert f"bootstrap: {bootstrap}" in up.stdout
        assert bootstrap.startswith("127.0.0.1:")
        assert process_alive(pid, marker=state["workdir"])
        assert os.getsid(pid) == pid, "the broker must run in its own session, detached from the CLI"
        assert os.readlink(f"/proc/{pid}/fd/0") == "/dev/null", "the broker's stdin must be closed"
        assert is_reachable(bootstrap, timeout=10)

        status = _govern("broker", "status", "--root", str(tmp_path))
        assert status.returncode == 0, status.stderr
        for expected in (bootstrap, f"pid: {pid}", state["log_path"]):
            assert expected in status.stdout
        assert Path(state["log_path"]).read_text().count("Kafka Server started") == 1

        again = _govern("broker", "up", "--root", str(tmp_path), "--format", "json")
        assert again.returncode == 0 and json.loads(again.stdout)["pid"] == pid

        down = _govern("broker", "down", "--root", str(tmp_path))
        assert down.returncode == 0, down.stderr
        assert f"stopped Kafka (pid {pid})" in down.stdout
        assert not process_alive(pid)
        assert not (tmp_path / ".govern" / "broker.json").exists()

        after = _govern("broker", "status", "--root", str(tmp_path), "--format", "json")
        assert after.returncode == 3
        assert json.loads(after.stdout)["running"] is False
    finally:
        if process_alive(pid, marker=state["workdir"]):
            os.kill(pid, 9)


def test_up_uses_kafka_bootstrap_servers_instead_of_starting_a_broker(tmp_path: Path) -> None:
    done = _govern("broker", "up", "--root", str(tmp_path), env=_env(KAFKA_BOOTSTRAP_SERVERS="127.0.0.1:9"))
    assert done.returncode == 0, done.stderr
    assert "KAFKA_BOOTSTRAP_SERVERS" in done.stdout and "127.0.0.1:9" in done.stdout
    assert not (tmp_path / ".govern" / "broker.json").exists()
    status = _govern(
        "broker", "status", "--root", str(tmp_path), env=_env(KAFKA_BOOTSTRAP_SERVERS="127.0.0.1:9")
    )
    assert status.returncode == 3
    assert "not reachable" in status.stdout


def test_status_and_down_without_a_broker(tmp_path: Path) -> None:
    status = _govern("broker", "status", "--root", str(tmp_path))
    assert status.returncode == 3 and "not running" in status.stdout
    down = _govern("broker", "down", "--root", str(tmp_path))
    assert down.returncode == 0 and "nothing to stop" in down.stdout


def test_up_without_java_says_so_and_exits_3(tmp_path: Path) -> None:
    empty_bin = tmp_path / "bin"
    empty_bin.mkdir()
    done = _govern(
        "broker",
        "up",
        "--root",
        str(tmp_path),
        env=_env(PATH=str(empty_bin), GOVERN_JAVA=None, JAVA_HOME=None),
    )
    _assert_clean_failure(done, 3, "java not found")
    assert "hint:" in done.stderr
    assert not (tmp_path / ".govern" / "broker.json").exists()


def test_fetch_with_maven_central_unreachable_exits_3(tmp_path: Path) -> None:
    if shutil.which("mvn") is None:
        pytest.skip("mvn is not installed (ci/setup.sh needs it anyway)")
    home = tmp_path / "home"
    (home / ".m2").mkdir(parents=True)
    # Every repository request goes to a closed local port, and the local repository starts empty.
    (home / ".m2" / "settings.xml").write_text(
        "<settings><mirrors><mirror><id>unreachable</id><mirrorOf>*</mirrorOf>"
        "<url>http://127.0.0.1:9/maven2</url></mirror></mirrors></settings>"
    )
    env = _env(GOVERN_CACHE=str(tmp_path / "cache"), MAVEN_OPTS=f"-Duser.home={home}")
    done = _govern("broker", "fetch", env=env)
    _assert_clean_failure(done, 3, "could not fetch Apache Kafka", "Maven Central")
    assert not list((tmp_path / "cache").rglob(".complete"))


def test_fetch_with_mvn_pointing_nowhere_exits_3(tmp_path: Path) -> None:
    env = _env(GOVERN_CACHE=str(tmp_path / "cache"), GOVERN_MVN=str(tmp_path / "no-mvn"))
    _assert_clean_failure(_govern("broker", "fetch", env=env), 3, "GOVERN_MVN")


def _java_wrapper(tmp_path: Path, on_server: str) -> Path:
    """A `java` that runs the real one, except for the Kafka server main class."""
    wrapper = tmp_path / "java"
    wrapper.write_text(
        "#!/bin/sh\n"
        'for arg in "$@"; do if [ "$arg" = kafka.Kafka ]; then\n'
        f"{on_server}\n"
        "fi; done\n"
        f'exec "{find_java()}" "$@"\n'
    )
    wrapper.chmod(0o755)
    return wrapper


@pytest.mark.kafka
def test_a_broker_that_exits_at_start_shows_its_log_and_exits_3(tmp_path: Path) -> None:
    java = _java_wrapper(tmp_path, 'echo "boom: simulated start-up failure"; exit 1')
    done = _govern("broker", "up", "--root", str(tmp_path / "p"), env=_env(GOVERN_JAVA=str(java)))
    _assert_clean_failure(done, 3, "exited with code 1", "last lines of", "boom: simulated start-up failure")
    assert not (tmp_path / "p" / ".govern" / "broker.json").exists()


@pytest.mark.kafka
def test_a_broker_that_never_answers_times_out_with_exit_3_and_is_stopped(tmp_path: Path) -> None:
    pid_file = tmp_path / "server.pid"
    java = _java_wrapper(
        tmp_path, f'echo $$ > "{pid_file}"; echo "hanging instead of starting"; exec sleep 120'
    )
    done = _govern(
        "broker", "up", "--root", str(tmp_path / "p"), "--timeout", "2", env=_env(GOVERN_JAVA=str(java))
    )
    _assert_clean_failure(done, 3, "did not answer", "within 2 s", "hanging instead of starting")
    assert not process_alive(int(pid_file.read_text()))
