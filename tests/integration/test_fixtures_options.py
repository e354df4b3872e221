"""Replay options on real Kafka: no transaction, timestamps now, key partitioning, pacing, Avro keys."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest

from govern.kafka import KafkaAdmin
from govern.recording import Header, ReplayOptions, SchemaEntry, read_topic, records_source, replay

pytestmark = pytest.mark.kafka

KEY = {"type": "record", "name": "Key", "namespace": "k", "fields": [{"name": "id", "type": "string"}]}
VALUE = {"type": "record", "name": "Val", "namespace": "k", "fields": [{"name": "n", "type": "int"}]}
HEADER = Header((SchemaEntry("key", KEY), SchemaEntry("value", VALUE)))
RECENT = int(time.time() * 1000) - 60_000
"""Timestamps far in the past would fall to the topic's retention at once."""


def records(count: int) -> list[dict]:
    return [
        {
            "partition": 2,
            "timestamp": RECENT + i,
            "key_schema": "key",
            "key": {"id": f"a{i % 10}"},  # 10 keys: 3 could all hash to partition 2 (1 in 27)
            "schema": "value",
            "value": {"n": i},
        }
        for i in range(count)
    ]


def test_no_transaction_timestamps_now_partitions_by_key_and_avro_keys(
    kafka_cluster: str,
    kafka_admin: KafkaAdmin,
    registry: str,
    unique_topic: Callable[..., str],
) -> None:
    topic = kafka_admin.create_topic(unique_topic(), 3)
    before = int(time.time() * 1000)
    options = ReplayOptions(topic=topic, partitions="key", timestamps="now", transactional=False)
    summary = replay(
        [records_source(HEADER, records(30))], bootstrap=kafka_cluster, registry_url=registry, options=options
    )
    assert summary.records == 30 and not summary.transactional
    assert {r.subject for r in summary.registrations} == {f"{topic}-key", f"{topic}-value"}
    out = read_topic(kafka_cluster, topic, registry_url=registry)
    assert len(out) == 30
    assert all(r["timestamp"] >= before for r in out)
    by_key: dict[str, set[int]] = {}
    for r in out:
        assert r["key_schema"].startswith(f"{topic}-key@") and r["schema"].startswith(f"{topic}-value@")
        by_key.setdefault(r["key"]["id"], set()).add(r["partition"])
    assert all(len(parts) == 1 for parts in by_key.values())  # one partition per key
    assert kafka_admin.end_offsets(topic) != {0: 0, 1: 0, 2: 30}  # not all in the recorded partition 2


def test_rate_paces_the_replay(
    kafka_cluster: str,
    kafka_admin: KafkaAdmin,
    registry: str,
    unique_topic: Callable[..., str],
) -> None:
    topic = kafka_admin.create_topic(unique_topic(), 3)
    started = time.monotonic()
    summary = replay(
        [records_source(HEADER, records(40))],
        bootstrap=kafka_cluster,
        registry_url=registry,
        options=ReplayOptions(topic=topic, rate=40),
    )
    assert summary.records == 40 and time.monotonic() - started >= 0.95
    assert kafka_admin.end_offsets(topic)[2] == 41  # preserved partition (+ the commit marker)


def test_topic_reader_waits_for_a_topic_the_service_creates_later(
    kafka_cluster: str, kafka_admin: KafkaAdmin, registry: str, unique_topic: Callable[..., str]
) -> None:
    import threading

    topic = unique_topic("late")

    def service() -> None:
        time.sleep(1.0)
        kafka_admin.create_topic(topic, 1)
        replay(
            [records_source(HEADER, records(2))],
            bootstrap=kafka_cluster,
            registry_url=registry,
            options=ReplayOptions(topic=topic, partitions="key"),
        )

    thread = threading.Thread(target=service)
    thread.start()
    try:
        assert len(read_topic(kafka_cluster, topic, registry_url=registry, count=2, timeout=15)) == 2
    finally:
        thread.join()


def test_record_from_offset_from_time_and_max_messages(
    kafka_cluster: str, kafka_admin: KafkaAdmin, registry: str, unique_topic: Callable[..., str], tmp_path
) -> None:
    from govern.recording import FixtureReader, StartAt, record_topics

    topic = kafka_admin.create_topic(unique_topic(), 1)
    rows = [
        {"partition": 0, "timestamp": RECENT + i * 1000, "key": f"k{i}", "value": f"v{i}"} for i in range(10)
    ]
    replay(
        [records_source(Header(), rows)],
        bootstrap=kafka_cluster,
        registry_url=registry,
        options=ReplayOptions(topic=topic),
    )

    def keys(start: StartAt, max_messages: int | None = None) -> list[str]:
        path = tmp_path / "out.jsonl"
        record_topics([topic], path, bootstrap=kafka_cluster, start=start, max_messages=max_messages)
        with FixtureReader(path) as reader:
            return [r.key for _, r in reader.records()]

    assert keys(StartAt.offset(7)) == ["k7", "k8", "k9"]
    assert keys(StartAt.time(RECENT + 8500)) == ["k9"]
    assert keys(StartAt.beginning(), max_messages=2) == ["k0", "k1"]
    assert keys(StartAt.offset(100)) == []
