"""Replay's produce pass on both paths: librdkafka's errors surface the same way, and a spool written
by one writer is produced by the other."""

from __future__ import annotations

import base64
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from produce_paths import _produce_path  # noqa: F401  (the produce_path fixture)

from govern.errors import EnvironmentProblem
from govern.kafka import KafkaAdmin
from govern.recording import Header, ReplayOptions, file_source, read_topic, records_source, replay
from govern.recording import spool as spool_module

pytestmark = pytest.mark.kafka
replay_module = sys.modules["govern.recording.replay"]

RECENT = int(time.time() * 1000) - 60_000


def unreachable(monkeypatch: pytest.MonkeyPatch, native: bool) -> EnvironmentProblem:
    """What the produce pass raises against a dead address (replay() itself would stop earlier, at
    wait_for_cluster: this is librdkafka meeting it), and how long it took."""
    if native:
        monkeypatch.delenv("GOVERN_NO_NATIVE", raising=False)
    else:
        monkeypatch.setenv("GOVERN_NO_NATIVE", "1")
    plan = replay_module._Plan(routes=[("nowhere", "nowhere")], count=1)
    summary = replay_module.ReplaySummary()
    started = time.monotonic()
    with tempfile.TemporaryFile() as spool, pytest.raises(EnvironmentProblem) as raised:
        spool_module.dump([(0, 0, RECENT, b"k", -1, b"v", -1, ())], spool)
        spool.seek(0)
        replay_module._produce(
            spool, "127.0.0.1:1", plan, [], [True], ReplayOptions(timeout=2), summary, None
        )
    assert time.monotonic() - started < 10
    return raised.value


def test_an_unreachable_broker_fails_both_produce_paths_alike_within_the_timeout(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    native = unreachable(monkeypatch, native=True)
    python = unreachable(monkeypatch, native=False)
    assert native.exit_code == 3
    assert str(native) == str(python)  # e.g. "Failed to get metadata: Local: Broker transport failure"
    assert str(native).startswith("replay failed: ") and len(str(native)) > len("replay failed: ") + 10
    assert native.hint == python.hint == "nothing was committed (the transaction was aborted)"


@pytest.mark.parametrize("transactional", [True, False])
def test_a_record_the_broker_refuses_fails_the_replay_and_commits_nothing(
    produce_path: str,
    transactional: bool,
    kafka_cluster: str,
    kafka_admin: KafkaAdmin,
    unique_topic: Callable[..., str],
) -> None:
    topic = kafka_admin.create_topic(unique_topic("small"), 1, {"max.message.bytes": "2000"})
    records = [{"partition": 0, "timestamp": RECENT, "key": "big", "value": "x" * 5000}]
    options = ReplayOptions(topic=topic, transactional=transactional)
    with pytest.raises(EnvironmentProblem) as raised:
        replay(
            [records_source(Header(), records)], bootstrap=kafka_cluster, registry_url=None, options=options
        )
    # as a delivery error ("<topic>: ...") or, when the commit came first, as the commit's failure
    message = str(raised.value)
    assert message.startswith("replay failed: ") and topic in message
    assert "Broker: Message size too large" in message
    assert raised.value.exit_code == 3
    if transactional:
        assert (raised.value.hint or "").startswith("nothing was committed")
    else:
        assert raised.value.hint == "some records may have been written"
    assert read_topic(kafka_cluster, topic, timeout=5) == []  # (an abort marker may take offset 0)


def test_a_spool_written_in_python_is_produced_natively(
    monkeypatch: pytest.MonkeyPatch,
    kafka_cluster: str,
    kafka_admin: KafkaAdmin,
    unique_topic: Callable[..., str],
) -> None:
    """The C writer's bytes are checked equal to Python's in tests/unit; this checks the C reader."""
    monkeypatch.delenv("GOVERN_NO_NATIVE", raising=False)
    assert spool_module.native_status()[0]
    monkeypatch.setattr(replay_module, "dump", lambda batch, spool: spool.write(spool_module._pack(batch)))
    topic = kafka_admin.create_topic(unique_topic("mixed"), 3)
    records = [
        {
            "partition": i % 3,
            "timestamp": RECENT + i,
            "key": None if i == 4 else f"k{i}",
            "value": None if i % 5 == 3 else {"base64": "AP8=" if i % 2 else "AQI="},
            "headers": [["h", f"v{i}"], ["h", None], ["bin", {"base64": "AP8R"}]] if i % 2 else [],
        }
        for i in range(12)
    ]
    summary = replay(
        [records_source(Header(), records)],
        bootstrap=kafka_cluster,
        registry_url=None,
        options=ReplayOptions(topic=topic),
    )
    assert summary.records == 12
    assert {p: n for (_, p), n in summary.per_partition.items()} == {0: 4, 1: 4, 2: 4}
    out = sorted(read_topic(kafka_cluster, topic), key=lambda r: r["timestamp"])
    assert [{k: r[k] for k in records[0]} for r in out] == records


@pytest.mark.slow
def test_ctrl_c_stops_a_paced_replay_at_once_and_aborts_it(
    produce_path: str,
    kafka_cluster: str,
    kafka_admin: KafkaAdmin,
    unique_topic: Callable[..., str],
    tmp_path: Path,
) -> None:
    """At --rate 10, 1,000 records (the progress interval) are 100 s apart: the signal must not wait."""
    topic = kafka_admin.create_topic(unique_topic("paced"), 1)
    path = tmp_path / "paced.jsonl"
    header = {"format": "govern.topic-fixture", "version": 1}
    path.write_text(
        "".join(json.dumps(x) + "\n" for x in [header, *({"value": f"v{i}"} for i in range(500))])
    )
    process = subprocess.Popen(
        [sys.executable, "-m", "govern", "replay", str(path), "--topic", topic, "--rate", "10"],
        env={**os.environ, "KAFKA_BOOTSTRAP_SERVERS": kafka_cluster},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 60
        while kafka_admin.end_offsets(topic, committed=False)[0] < 5:  # producing, uncommitted
            assert process.poll() is None, process.communicate()
            assert time.monotonic() < deadline, "the replay never wrote anything"
            time.sleep(0.2)
        process.send_signal(signal.SIGINT)
        signalled = time.monotonic()
        process.wait(30)
        assert time.monotonic() - signalled < 10
    finally:
        if process.poll() is None:
            process.kill()
        process.communicate()
    assert process.returncode != 0
    assert read_topic(kafka_cluster, topic, timeout=5) == []  # aborted: read_committed sees nothing


@pytest.mark.parametrize("native_produce", [True, False])
def test_a_file_validated_on_two_threads_is_produced_whole_and_in_order(
    native_produce: bool,
    kafka_cluster: str,
    kafka_admin: KafkaAdmin,
    unique_topic: Callable[..., str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The spool's segments (the file's halves, validated on two threads) are produced in order,
    by both produce paths (the spool read in C or in Python), and counted by a dry run."""
    monkeypatch.delenv("GOVERN_NO_NATIVE", raising=False)  # the native validator splits files
    if not native_produce:  # confluent-kafka's Producer reads the segments in Python
        monkeypatch.setattr(replay_module, "native_producer", lambda config, errors: None)
    monkeypatch.setattr(replay_module, "SPLIT_MIN_BYTES", 0)  # any file is split in two
    joins: list[int] = []
    join = replay_module._Ahead.join
    monkeypatch.setattr(
        replay_module._Ahead, "join", lambda ahead, records: joins.append(join(ahead, records)) or joins[-1]
    )
    topic = kafka_admin.create_topic(unique_topic("halves"), 2)
    records = [
        {
            "partition": i % 2,
            "timestamp": RECENT + i,
            "key": f"k{i}",
            "value": {"base64": base64.b64encode(f"v{i}".encode()).decode()},
            "headers": [["h", str(i)]],
        }
        for i in range(3000)
    ]
    path = tmp_path / "halves.jsonl"
    header = {"format": "govern.topic-fixture", "version": 1}
    path.write_text("".join(json.dumps(line) + "\n" for line in [header, *records]))
    options = ReplayOptions(topic=topic)
    dry = replay(
        [file_source(path)],
        bootstrap=None,
        registry_url=None,
        options=ReplayOptions(topic=topic, dry_run=True),
    )
    assert dry.records == 3000 and {p: n for (_, p), n in dry.per_partition.items()} == {0: 1500, 1: 1500}
    summary = replay([file_source(path)], bootstrap=kafka_cluster, registry_url=None, options=options)
    assert summary.records == 3000
    assert len(joins) == 2 and all(1000 < n < 2000 for n in joins)  # the second half came from the thread
    out = read_topic(kafka_cluster, topic, count=3000)
    for partition in (0, 1):
        produced = sorted((r for r in out if r["partition"] == partition), key=lambda r: r["offset"])
        assert [{k: r[k] for k in records[0]} for r in produced] == records[partition::2]
