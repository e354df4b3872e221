"""`govern record` and `govern replay` end to end through the CLI on real Kafka."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from confluent_kafka import Producer

from govern.kafka import KafkaAdmin, client_config
from govern.registry import Client
from govern.serde import Serializer

pytestmark = pytest.mark.kafka

SCHEMA = {"type": "record", "name": "Ping", "namespace": "e2e", "fields": [{"name": "n", "type": "long"}]}


def govern(*args: str, cwd: Path, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("GOVERN_REGISTRY_URL", "KAFKA_BOOTSTRAP_SERVERS")}
    return subprocess.run(
        [sys.executable, "-m", "govern", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env,
    )


def seed(bootstrap: str, registry: str, topic: str, count: int) -> None:
    with Client(registry) as client:
        serialize = Serializer(client, f"{topic}-value", SCHEMA)
        producer = Producer(client_config(bootstrap))
        for i in range(count):
            producer.produce(
                topic, serialize({"n": i}), f"k{i}".encode(), partition=i % 2, headers=[("i", str(i))]
            )
        producer.flush(30)


def test_record_then_replay_into_a_new_topic_then_record_again(
    kafka_cluster: str,
    kafka_admin: KafkaAdmin,
    registry: str,
    unique_topic: Callable[..., str],
    tmp_path: Path,
) -> None:
    source = kafka_admin.create_topic(unique_topic("src"), 2)
    seed(kafka_cluster, registry, source, 20)
    common = ("--bootstrap", kafka_cluster, "--registry", registry, "--format", "json")

    recorded = govern("record", source, "-o", "a.jsonl.gz", *common, cwd=tmp_path)
    assert recorded.returncode == 0, recorded.stderr
    summary = json.loads(recorded.stdout)
    assert summary["records"] == 20 and [p["records"] for p in summary["partitions"]] == [10, 10]
    assert summary["schemas"][0]["subject"] == f"{source}-value"

    target = unique_topic("dst")
    replayed = govern("replay", "a.jsonl.gz", "--topic", target, "--create", *common, cwd=tmp_path)
    assert replayed.returncode == 0, replayed.stderr
    result = json.loads(replayed.stdout)
    assert result["records"] == 20 and result["transactional"] is True
    assert result["schemas"][0]["subject"] == f"{target}-value"
    kafka_admin.created.append(target)

    again = govern("record", target, "-o", "b.jsonl", *common, cwd=tmp_path)
    assert again.returncode == 0, again.stderr
    lines = (tmp_path / "b.jsonl").read_text().splitlines()
    assert len(lines) == 21
    # Partitions interleave in any order; every record's header survived both round trips.
    headers = sorted((json.loads(line)["headers"] for line in lines[1:]), key=lambda h: int(h[0][1]))
    assert headers == [[["i", str(n)]] for n in range(20)]

    dry = govern("replay", "b.jsonl", "--dry-run", "--topic", target, "--registry", registry, cwd=tmp_path)
    assert dry.returncode == 0, dry.stderr
    assert dry.stdout.startswith("would replay 20 record(s)")


def test_a_bad_line_exits_2_naming_file_and_line_and_produces_nothing(
    kafka_cluster: str,
    kafka_admin: KafkaAdmin,
    registry: str,
    unique_topic: Callable[..., str],
    tmp_path: Path,
) -> None:
    target = kafka_admin.create_topic(unique_topic("dst"), 1)
    header = {"format": "govern.topic-fixture", "version": 1, "schemas": [{"name": "p", "schema": SCHEMA}]}
    lines = [header, {"schema": "p", "value": {"n": 1}}, {"schema": "p", "value": {"n": 1.5}}]
    (tmp_path / "bad.jsonl").write_text("".join(json.dumps(x) + "\n" for x in lines))
    result = govern(
        "replay",
        "bad.jsonl",
        "--topic",
        target,
        "--bootstrap",
        kafka_cluster,
        "--registry",
        registry,
        cwd=tmp_path,
    )
    assert result.returncode == 2
    assert "bad.jsonl:3: value.n: expected an integer (long), got the number 1.5" in result.stderr
    assert kafka_admin.end_offsets(target) == {0: 0}


def test_an_incompatible_target_schema_exits_1(
    kafka_cluster: str,
    kafka_admin: KafkaAdmin,
    registry: str,
    unique_topic: Callable[..., str],
    tmp_path: Path,
) -> None:
    target = kafka_admin.create_topic(unique_topic("dst"), 1)
    with Client(registry) as client:
        client.register(f"{target}-value", {**SCHEMA, "fields": [{"name": "n", "type": "string"}]})
    header = {"format": "govern.topic-fixture", "version": 1, "schemas": [{"name": "p", "schema": SCHEMA}]}
    (tmp_path / "f.jsonl").write_text(
        json.dumps(header) + "\n" + json.dumps({"schema": "p", "value": {"n": 1}})
    )
    result = govern(
        "replay",
        "f.jsonl",
        "--topic",
        target,
        "--bootstrap",
        kafka_cluster,
        "--registry",
        registry,
        cwd=tmp_path,
    )
    assert result.returncode == 1, result.stderr
    assert "incompatible" in result.stderr and kafka_admin.end_offsets(target) == {0: 0}


def test_unreachable_broker_exits_3_within_the_timeout(registry: str, tmp_path: Path) -> None:
    header = {"format": "govern.topic-fixture", "version": 1, "schemas": [{"name": "p", "schema": SCHEMA}]}
    (tmp_path / "f.jsonl").write_text(
        json.dumps(header) + "\n" + json.dumps({"schema": "p", "value": {"n": 1}})
    )
    for args in (
        ("replay", "f.jsonl", "--topic", "t", "--registry", registry),
        ("record", "t", "-o", "out.jsonl"),
    ):
        started = time.monotonic()
        result = govern(*args, "--bootstrap", "127.0.0.1:1", "--timeout", "2", cwd=tmp_path)
        assert result.returncode == 3, result.stderr
        assert "did not answer" in result.stderr
        assert time.monotonic() - started < 15
    assert not (tmp_path / "out.jsonl").exists()


def test_recording_an_unknown_topic_exits_2(kafka_cluster: str, tmp_path: Path) -> None:
    result = govern("record", "no-such-topic-here", "--bootstrap", kafka_cluster, cwd=tmp_path)
    assert result.returncode == 2 and "does not exist" in result.stderr
    assert list(tmp_path.iterdir()) == []
