"""Bad input fails before anything is produced; a replay killed mid-way leaves nothing committed."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from confluent_kafka import Consumer, KafkaError, KafkaException, TopicPartition

from govern.errors import EnvironmentProblem, InputError
from govern.kafka import KafkaAdmin, client_config
from govern.recording import ReplayOptions, file_source, read_topic, replay
from govern.registry import Client, IncompatibleSchema
from govern.registry.server.run import serve_in_thread

pytestmark = pytest.mark.kafka

SCHEMA = {"type": "record", "name": "V", "namespace": "t", "fields": [{"name": "n", "type": "long"}]}
HEADER = {
    "format": "govern.topic-fixture",
    "version": 1,
    "topics": [{"name": "source", "partitions": 2}],
    "schemas": [{"name": "v", "subject": "source-value", "schema": SCHEMA}],
}


def fixture_file(path: Path, count: int, last: str | None = None) -> Path:
    with path.open("w") as out:
        out.write(json.dumps(HEADER) + "\n")
        for i in range(count):
            out.write(
                json.dumps({"partition": i % 2, "key": f"k{i}", "schema": "v", "value": {"n": i}}) + "\n"
            )
        if last is not None:
            out.write(last)
    return path


NOT_SERVING_YET = (KafkaError.NOT_LEADER_FOR_PARTITION, KafkaError.LEADER_NOT_AVAILABLE)
"""Seen once from a topic's new leader (broker metadata ahead of its partition state): retried."""


def log_end(bootstrap: str, topic: str) -> int:
    """Records in the log, committed or not (read_uncommitted high watermarks; librdkafka's
    default isolation level, read_committed, would give the last stable offsets instead)."""
    consumer = Consumer(
        client_config(bootstrap, **{"group.id": "probe", "isolation.level": "read_uncommitted"})
    )
    deadline = time.monotonic() + 10
    try:
        while True:
            try:
                return sum(
                    consumer.get_watermark_offsets(TopicPartition(topic, p), timeout=10)[1] for p in (0, 1)
                )
            except KafkaException as error:  # a topic just created: its leader may not serve yet
                if error.args[0].code() not in NOT_SERVING_YET or time.monotonic() > deadline:
                    raise
                time.sleep(0.1)
    finally:
        consumer.close()


@pytest.fixture
def target(kafka_admin: KafkaAdmin, unique_topic: Callable[..., str]) -> str:
    return kafka_admin.create_topic(unique_topic("target"), 2)


@pytest.fixture
def own_registry() -> Iterator[str]:
    with serve_in_thread(None) as url:
        yield url


@pytest.mark.parametrize(
    ("last", "message"),
    [
        ('{"partition": 0, "schema": "v", "value": {"n": 1', "truncated line"),
        ("{not json}\n", "invalid JSON"),
        ('{"schema": "v", "value": {"n": "one"}}\n', "value.n: expected an integer"),
        ('{"schema": "w", "value": {"n": 1}}\n', "unknown schema 'w'"),
    ],
)
def test_bad_input_produces_nothing(
    kafka_cluster: str,
    kafka_admin: KafkaAdmin,
    target: str,
    own_registry: str,
    tmp_path: Path,
    last: str,
    message: str,
) -> None:
    path = fixture_file(tmp_path / "bad.jsonl", 500, last)
    with pytest.raises(InputError) as caught:
        replay(
            [file_source(path)],
            bootstrap=kafka_cluster,
            registry_url=own_registry,
            options=ReplayOptions(topic=target),
        )
    assert caught.value.message.startswith(f"{path}:502: ") and message in caught.value.message
    assert log_end(kafka_cluster, target) == 0  # nothing in the log at all, committed or not
    with Client(own_registry) as client:
        assert client.subjects() == []  # nothing registered either


def test_a_schema_the_target_refuses_produces_and_registers_nothing(
    kafka_cluster: str, kafka_admin: KafkaAdmin, target: str, own_registry: str, tmp_path: Path
) -> None:
    with Client(own_registry) as client:
        client.register(f"{target}-value", {**SCHEMA, "fields": [{"name": "n", "type": "string"}]})
    path = fixture_file(tmp_path / "ok.jsonl", 100)
    with pytest.raises(IncompatibleSchema) as caught:
        replay(
            [file_source(path)],
            bootstrap=kafka_cluster,
            registry_url=own_registry,
            options=ReplayOptions(topic=target),
        )
    assert f"incompatible with subject '{target}-value'" in caught.value.message
    assert log_end(kafka_cluster, target) == 0  # nothing in the log at all, committed or not
    with Client(own_registry) as client:
        assert client.versions(f"{target}-value") == [1]


def test_fewer_target_partitions_hash_keys_with_a_warning(
    kafka_cluster: str,
    kafka_admin: KafkaAdmin,
    unique_topic: Callable[..., str],
    registry: str,
    tmp_path: Path,
) -> None:
    narrow = kafka_admin.create_topic(unique_topic("narrow"), 1)
    summary = replay(
        [file_source(fixture_file(tmp_path / "f.jsonl", 10))],
        bootstrap=kafka_cluster,
        registry_url=registry,
        options=ReplayOptions(topic=narrow),
    )
    assert summary.records == 10 and "key hash" in summary.warnings[0]
    assert kafka_admin.end_offsets(narrow)[0] == 11  # 10 records + the transaction marker


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full, a device whose writes fail")
def test_a_recording_that_cannot_be_written_fails_in_one_line_and_leaves_no_file(
    kafka_cluster: str,
    target: str,
    own_registry: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The recorder's decoding thread appends the lines after the first batch; when its writes
    fail (a full disk), the recording stops with the output named and no file, even when only
    the last writes failed."""
    from govern.recording import record_topics
    from govern.recording.format import FixtureWriter

    # enough records that the decoding thread must append some: consuming gets at most 16 batches
    # of 500 ahead of it (record.rs QUEUED) before the first lines are taken and appending starts;
    # with 3,000 a slow decoding thread could be handed all of them before that (a flaky pass)
    replay(
        [file_source(fixture_file(tmp_path / "in.jsonl", 20_000))],
        bootstrap=kafka_cluster,
        registry_url=own_registry,
        options=ReplayOptions(topic=target),
    )
    monkeypatch.setattr(FixtureWriter, "appending", lambda self: "/dev/full")
    output = tmp_path / "out.jsonl"
    with pytest.raises(EnvironmentProblem) as caught:
        record_topics([target], output, bootstrap=kafka_cluster, registry_url=own_registry)
    assert caught.value.message.startswith(f"{output}: cannot write the recording: ")
    assert "No space left on device" in caught.value.message
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.jsonl"]


def test_unreachable_broker_fails_within_the_timeout(registry: str, tmp_path: Path) -> None:
    started = time.monotonic()
    with pytest.raises(EnvironmentProblem):
        replay(
            [file_source(fixture_file(tmp_path / "f.jsonl", 3))],
            bootstrap="127.0.0.1:1",
            registry_url=registry,
            options=ReplayOptions(topic="nowhere", timeout=2),
        )
    assert time.monotonic() - started < 10


def test_bad_input_fails_at_once_even_when_the_broker_is_unreachable(registry: str, tmp_path: Path) -> None:
    """The cluster is reached while the file is validated: an invalid file does not wait for it."""
    path = fixture_file(tmp_path / "bad.jsonl", 50, '{"schema": "v", "value": {"n": "one"}}\n')
    started = time.monotonic()
    with pytest.raises(InputError) as caught:
        replay(
            [file_source(path)],
            bootstrap="127.0.0.1:1",
            registry_url=registry,
            options=ReplayOptions(topic="nowhere", timeout=30),
        )
    assert caught.value.exit_code == 2 and f"{path}:52: value.n" in caught.value.message
    assert time.monotonic() - started < 5


@pytest.mark.slow
def test_a_replay_killed_mid_way_leaves_nothing_visible_to_read_committed(
    kafka_cluster: str, kafka_admin: KafkaAdmin, target: str, registry: str, tmp_path: Path
) -> None:
    path = fixture_file(tmp_path / "big.jsonl", 20_000)
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "govern",
            "replay",
            str(path),
            "--topic",
            target,
            "--registry",
            registry,
            "--bootstrap",
            kafka_cluster,
            "--rate",
            "2000",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 60
        while log_end(kafka_cluster, target) < 1000:  # records are in the log, uncommitted
            assert process.poll() is None, process.communicate()
            assert time.monotonic() < deadline, "the replay never wrote anything"
            time.sleep(0.2)
    finally:
        os.kill(process.pid, signal.SIGKILL)
        process.wait(10)
        process.stdout.close()  # type: ignore[union-attr]
        process.stderr.close()  # type: ignore[union-attr]
    assert log_end(kafka_cluster, target) >= 1000
    assert kafka_admin.end_offsets(target, committed=True) == {0: 0, 1: 0}  # nothing committed
    records: list[Any] = read_topic(kafka_cluster, target, registry_url=registry, timeout=5)
    assert records == []
