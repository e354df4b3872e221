"""The project's broker state file, process recognition, and which cluster a project resolves to."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from govern.errors import EnvironmentProblem, InputError
from govern.kafka import LocalBroker, clear_state, read_state, resolve_bootstrap, state_path, write_state
from govern.kafka.broker import process_alive, processes_using, stop_process
from govern.kafka.providers import ExternalKafka, JvmKafka, TestcontainersKafka, provider_from_env


def _broker(workdir: Path, pid: int) -> LocalBroker:
    return LocalBroker(
        pid=pid,
        bootstrap="127.0.0.1:19092",
        controller_port=19093,
        log_path=workdir / "broker.log",
        data_dir=workdir / "data",
        workdir=workdir,
        version="4.4.0",
        started_at=1_700_000_000.5,
    )


@pytest.fixture
def sleeper(tmp_path: Path):
    """A real child process whose command line names a marker, like a broker names its properties."""
    marker = str(tmp_path / "server.properties")
    process = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)", marker])
    # Until the child has exec'd, /proc shows the parent's command line (seen on a loaded machine).
    cmdline = Path(f"/proc/{process.pid}/cmdline")
    deadline = time.monotonic() + 10
    while marker.encode() not in cmdline.read_bytes() and time.monotonic() < deadline:
        time.sleep(0.01)
    yield process, marker
    process.kill()
    process.wait()


def test_state_round_trips_through_the_file(tmp_path: Path) -> None:
    broker = _broker(tmp_path / ".govern" / "broker", 4242)
    path = write_state(tmp_path, broker)
    assert path == state_path(tmp_path) == tmp_path / ".govern" / "broker.json"
    assert json.loads(path.read_text())["bootstrap"] == "127.0.0.1:19092"
    assert read_state(tmp_path) == broker
    assert (tmp_path / ".govern" / ".gitignore").read_text().strip().endswith("*")
    clear_state(tmp_path)
    assert read_state(tmp_path) is None
    clear_state(tmp_path)  # idempotent


def test_a_foreign_state_file_is_bad_input_naming_the_file(tmp_path: Path) -> None:
    path = state_path(tmp_path)
    path.parent.mkdir()
    for content in ("{not json", json.dumps({"pid": 1})):
        path.write_text(content)
        with pytest.raises(InputError, match="broker.json"):
            read_state(tmp_path)


def test_process_is_recognised_by_its_marker_not_just_its_pid(sleeper) -> None:
    process, marker = sleeper
    assert process_alive(process.pid, marker=marker)
    assert not process_alive(process.pid, marker="/elsewhere/server.properties")


def test_processes_are_found_by_their_marker(sleeper, tmp_path: Path) -> None:
    """How `start_local_broker` refuses to wipe the data of a broker whose state file was lost."""
    process, marker = sleeper
    assert processes_using(marker) == [process.pid]
    assert processes_using(tmp_path / "other" / "server.properties") == []


def test_stop_process_terminates_and_reports_whether_it_ran(sleeper) -> None:
    process, marker = sleeper
    assert stop_process(process.pid, timeout=5, marker=marker) is True
    assert process.wait(5) is not None
    assert not process_alive(process.pid)
    assert stop_process(process.pid, timeout=5, marker=marker) is False


def test_stop_process_leaves_a_recycled_pid_alone(sleeper) -> None:
    process, _ = sleeper
    assert stop_process(process.pid, timeout=1, marker="/another/broker/server.properties") is False
    time.sleep(0.1)
    assert process.poll() is None


def test_stop_process_escalates_to_sigkill(tmp_path: Path) -> None:
    stubborn = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); time.sleep(60)",
        ]
    )
    try:
        time.sleep(0.3)  # let it install the handler
        started = time.monotonic()
        assert stop_process(stubborn.pid, timeout=0.5) is True
        took = time.monotonic() - started
        assert not process_alive(stubborn.pid)
        assert 0.5 <= took < 5, "SIGTERM was ignored, so only SIGKILL after the timeout can have ended it"
    finally:
        stubborn.kill()
        stubborn.wait()


def test_resolve_bootstrap_prefers_the_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write_state(tmp_path, _broker(tmp_path, os.getpid()))
    monkeypatch.setenv("KAFKA_BOOTSTRAP_SERVERS", "kafka.example:9092")
    assert resolve_bootstrap(tmp_path) == "kafka.example:9092"


def test_resolve_bootstrap_reads_project_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("KAFKA_BOOTSTRAP_SERVERS", raising=False)
    (tmp_path / "govern.toml").write_text('bootstrap_servers = "configured:9092"\n')
    assert resolve_bootstrap(tmp_path) == "configured:9092"


def test_resolve_bootstrap_uses_a_running_broker_and_ignores_a_dead_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, sleeper
) -> None:
    monkeypatch.delenv("KAFKA_BOOTSTRAP_SERVERS", raising=False)
    assert resolve_bootstrap(tmp_path) is None
    process, _ = sleeper
    # The sleeper's command line names tmp_path/server.properties, as a broker in tmp_path would.
    write_state(tmp_path, _broker(tmp_path, process.pid))
    assert resolve_bootstrap(tmp_path) == "127.0.0.1:19092"
    process.kill()
    process.wait()
    assert resolve_bootstrap(tmp_path) is None


def test_provider_follows_the_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("KAFKA_BOOTSTRAP_SERVERS", raising=False)
    monkeypatch.delenv("GOVERN_KAFKA_PROVIDER", raising=False)
    assert isinstance(provider_from_env(tmp_path), JvmKafka)
    monkeypatch.setenv("GOVERN_KAFKA_PROVIDER", "testcontainers")
    assert isinstance(provider_from_env(tmp_path), TestcontainersKafka)  # constructing touches no Docker
    monkeypatch.setenv("GOVERN_KAFKA_PROVIDER", "podman")
    with pytest.raises(InputError, match="podman"):
        provider_from_env(tmp_path)
    monkeypatch.setenv("KAFKA_BOOTSTRAP_SERVERS", "kafka.example:9092")
    provider = provider_from_env(tmp_path)
    assert isinstance(provider, ExternalKafka) and provider.bootstrap == "kafka.example:9092"


def test_external_cluster_that_does_not_answer_is_an_environment_problem() -> None:
    started = time.monotonic()
    with pytest.raises(EnvironmentProblem, match="127.0.0.1:9 did not answer"):
        ExternalKafka("127.0.0.1:9", timeout=1.5).start()
    assert time.monotonic() - started < 10
