"""Finding java and mvn, and fetching jars exactly once: a half-done fetch is redone.

A stand-in `mvn` script plays Maven here (it writes jars or fails the way mvn does); the real
Maven Central paths are covered end to end in tests/e2e/test_broker_cli.py.
"""

from __future__ import annotations

import os
import stat
import sys
from pathlib import Path

import pytest

from govern.errors import EnvironmentProblem
from govern.kafka import fetch_kafka, find_java
from govern.kafka.distribution import COMPLETE_MARKER, find_mvn, is_fetched, version_dir

_WRITES_JARS = """#!/bin/sh
for arg in "$@"; do case "$arg" in -DoutputDirectory=*) out="${arg#-DoutputDirectory=}";; esac; done
mkdir -p "$out" && touch "$out/kafka_2.13-9.9.9.jar" "$out/kafka-clients-9.9.9.jar"
echo "$@" >> "$(dirname "$0")/calls"
"""

_FAILS_HALFWAY = """#!/bin/sh
for arg in "$@"; do case "$arg" in -DoutputDirectory=*) out="${arg#-DoutputDirectory=}";; esac; done
mkdir -p "$out" && touch "$out/kafka_2.13-9.9.9.jar"
echo "[INFO] Downloading..."
echo "[ERROR] Failed to execute goal: Could not transfer artifact org.apache.kafka:kafka-clients:jar:9.9.9 \
from/to central (https://repo.maven.apache.org/maven2): Connection refused"
exit 1
"""


def _script(folder: Path, name: str, body: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(body)
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return path


@pytest.fixture
def govern_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("GOVERN_CACHE", str(tmp_path / "cache"))
    return tmp_path / "cache"


def test_fetch_writes_the_marker_and_then_never_calls_mvn_again(
    tmp_path: Path, govern_cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    mvn = _script(tmp_path / "bin", "mvn", _WRITES_JARS)
    monkeypatch.setenv("GOVERN_MVN", str(mvn))
    distribution = fetch_kafka("9.9.9")
    assert distribution.libs == govern_cache / "kafka" / "9.9.9" / "libs"
    assert (version_dir("9.9.9") / COMPLETE_MARKER).is_file()
    assert distribution.classpath.split(os.pathsep) == [
        str(distribution.libs / "kafka-clients-9.9.9.jar"),
        str(distribution.libs / "kafka_2.13-9.9.9.jar"),
    ]
    assert "-Dkafka.version=9.9.9" in (tmp_path / "bin" / "calls").read_text()
    monkeypatch.setenv("GOVERN_MVN", str(_script(tmp_path / "bin2", "mvn", "#!/bin/sh\nexit 1\n")))
    assert fetch_kafka("9.9.9") == distribution


def test_a_failed_fetch_names_mavens_cause_and_is_redone_next_time(
    tmp_path: Path, govern_cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GOVERN_MVN", str(_script(tmp_path / "bad", "mvn", _FAILS_HALFWAY)))
    with pytest.raises(EnvironmentProblem) as raised:
        fetch_kafka("9.9.9")
    assert "could not fetch Apache Kafka 9.9.9" in raised.value.message
    assert "Connection refused" in raised.value.message
    assert "[" not in raised.value.message  # CLI messages are rich markup
    assert "Maven Central" in (raised.value.hint or "")
    assert not is_fetched("9.9.9")
    assert not (version_dir("9.9.9") / "libs").exists()

    monkeypatch.setenv("GOVERN_MVN", str(_script(tmp_path / "good", "mvn", _WRITES_JARS)))
    assert len(list(fetch_kafka("9.9.9").libs.glob("*.jar"))) == 2
    assert is_fetched("9.9.9")


def test_a_half_fetched_cache_without_marker_is_fetched_again(
    tmp_path: Path, govern_cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    leftover = version_dir("9.9.9") / "libs"
    leftover.mkdir(parents=True)
    (leftover / "truncated.jar").write_bytes(b"PK")
    monkeypatch.setenv("GOVERN_MVN", str(_script(tmp_path / "bin", "mvn", _WRITES_JARS)))
    jars = sorted(path.name for path in fetch_kafka("9.9.9").libs.glob("*.jar"))
    assert jars == ["kafka-clients-9.9.9.jar", "kafka_2.13-9.9.9.jar"]


def test_missing_java_is_one_clear_environment_problem(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("GOVERN_JAVA", raising=False)
    monkeypatch.delenv("JAVA_HOME", raising=False)
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(EnvironmentProblem, match="java not found") as raised:
        find_java()
    assert "GOVERN_JAVA" in (raised.value.hint or "")


def test_java_is_found_through_govern_java_then_java_home(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake = _script(tmp_path / "jdk" / "bin", "java", "#!/bin/sh\n")
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.delenv("GOVERN_JAVA", raising=False)
    monkeypatch.setenv("JAVA_HOME", str(tmp_path / "jdk"))
    assert find_java() == str(fake)
    monkeypatch.setenv("GOVERN_JAVA", str(tmp_path / "nowhere" / "java"))
    with pytest.raises(EnvironmentProblem, match="GOVERN_JAVA"):
        find_java()


def test_missing_mvn_is_one_clear_environment_problem(
    tmp_path: Path, govern_cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GOVERN_JAVA", find_java())  # java stays findable; only mvn goes missing
    monkeypatch.delenv("GOVERN_MVN", raising=False)
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(EnvironmentProblem, match="mvn not found"):
        find_mvn()
    monkeypatch.setenv("GOVERN_MVN", str(tmp_path / "no-such-mvn"))
    with pytest.raises(EnvironmentProblem, match="GOVERN_MVN"):
        fetch_kafka("9.9.9")
    assert not is_fetched("9.9.9")


def test_testcontainers_without_the_testing_extra_says_what_to_install(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from govern.kafka import TestcontainersKafka

    monkeypatch.setitem(sys.modules, "testcontainers", None)  # as if govern[testing] was not installed
    monkeypatch.setitem(sys.modules, "testcontainers.community.kafka", None)
    with pytest.raises(EnvironmentProblem) as raised:
        TestcontainersKafka().start()
    assert "testcontainers package is not installed" in raised.value.message
    assert "govern[testing]" in (raised.value.hint or "")
