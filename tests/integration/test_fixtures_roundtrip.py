"""Record -> replay -> record on real Kafka: identical but for offsets, ids and names."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from confluent_kafka import Producer

from govern.kafka import KafkaAdmin, client_config
from govern.recording import FixtureReader, ReplayOptions, file_source, record_topics, replay
from govern.registry import Client
from govern.registry.server.run import serve_in_thread
from govern.serde import Serializer

pytestmark = pytest.mark.kafka

RECENT = int(time.time() * 1000) - 3_600_000
"""Explicit timestamps, but recent: older ones would fall to the topic's 7-day retention."""

V1 = {
    "type": "record",
    "name": "Order",
    "namespace": "io.test",
    "fields": [
        {"name": "id", "type": "string"},
        {"name": "amount", "type": {"type": "bytes", "logicalType": "decimal", "precision": 12, "scale": 4}},
        {"name": "at", "type": {"type": "long", "logicalType": "timestamp-millis"}},
        {"name": "note", "type": ["null", "string"], "default": None},
    ],
}
V2 = {
    **V1,
    "fields": [
        *V1["fields"],
        {"name": "tags", "type": {"type": "map", "values": ["null", "long", "double"]}, "default": {}},
        {"name": "blob", "type": ["null", "bytes"], "default": None},
    ],
}


@pytest.fixture
def fresh_registry() -> Iterator[str]:
    """A registry of its own (in memory), so ids differ from the session registry's."""
    with serve_in_thread(None) as url:
        yield url


def seed(bootstrap: str, registry: str, topic: str) -> int:
    """Avro records under two schema versions, tombstones, duplicate/binary headers, explicit timestamps."""
    from decimal import Decimal

    with Client(registry) as client:
        client.register("unrelated-value", {"type": "record", "name": "Pad", "fields": []})  # shift ids
        first = Serializer(client, f"{topic}-value", V1)
        second = Serializer(client, f"{topic}-value", V2)
        producer = Producer(client_config(bootstrap, **{"enable.idempotence": True}))
        count = 0
        for i in range(30):
            key = f"acc-{i % 7}".encode()
            headers = [("trace", b"t-%d" % i), ("trace", b"again"), ("bin", bytes([0, 255, i]))]
            if i % 10 == 9:
                value = None  # tombstone
            elif i < 15:
                value = first(
                    {
                        "id": f"o{i}",
                        "amount": Decimal(f"{i}.0{i % 10}00"),
                        "at": 1_700_000_000_000 + i,
                        "note": None if i % 2 else "n",
                    }
                )
            else:
                value = second(
                    {
                        "id": f"o{i}",
                        "amount": Decimal("-0.0001") * i,
                        "at": 1_700_000_000_000 + i,
                        "note": None,
                        "tags": {"a": ("long", i), "b": ("double", 0.5), "c": None},
                        "blob": b"\x00\x01" * i,
                    }
                )
            producer.produce(topic, value, key, partition=i % 3, timestamp=RECENT + i * 1000, headers=headers)
            count += 1
        producer.flush(30)
    return count


def normalized(path: Path) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Header and records with offsets, ids, topic names, subjects and the recording time taken out."""
    with FixtureReader(path) as reader:
        header = reader.header.to_json()
        records = [r.to_json() for _, r in reader.records()]
    topic = header["topics"][0]["name"]
    text = json.dumps({"header": header, "records": records}).replace(topic, "TOPIC")
    data = json.loads(text)
    data["header"].pop("recorded_at")
    for info in data["header"]["topics"]:
        info.pop("start_offsets", None)
        info.pop("end_offsets", None)
    for schema in data["header"]["schemas"]:
        schema.pop("id")
    for record in data["records"]:
        record.pop("offset")
    data["records"].sort(key=lambda r: (r["partition"], r["timestamp"]))
    return data["header"], data["records"]


def test_record_replay_record_is_identical_but_for_offsets_and_ids(
    kafka_cluster: str,
    kafka_admin: KafkaAdmin,
    registry: str,
    fresh_registry: str,
    unique_topic: Callable[..., str],
    tmp_path: Path,
) -> None:
    source = kafka_admin.create_topic(unique_topic("source"), 3)
    target = kafka_admin.create_topic(unique_topic("target"), 3)
    count = seed(kafka_cluster, registry, source)

    first = tmp_path / "first.jsonl.gz"
    summary = record_topics([source], first, bootstrap=kafka_cluster, registry_url=registry)
    assert summary.records == count
    assert {p: n for (_, p), n in summary.per_partition.items()} == {0: 10, 1: 10, 2: 10}
    assert [s.version for s in summary.schemas] == [1, 2]

    result = replay(
        [file_source(first)],
        bootstrap=kafka_cluster,
        registry_url=fresh_registry,
        options=ReplayOptions(topic=target),
    )
    assert result.records == count and not result.warnings
    assert [(r.subject, r.version) for r in result.registrations] == [
        (f"{target}-value", 1),
        (f"{target}-value", 2),
    ]
    assert [r.id for r in result.registrations] != [r.original_id for r in result.registrations]

    second = tmp_path / "second.jsonl"
    record_topics([target], second, bootstrap=kafka_cluster, registry_url=fresh_registry)
    header1, records1 = normalized(first)
    header2, records2 = normalized(second)
    assert header1 == header2
    assert records1 == records2

    sample = next(r for r in records1 if r["value"] and "tags" in r["value"])
    assert sample["headers"][:2] == [["trace", sample["headers"][0][1]], ["trace", "again"]]
    assert sample["headers"][2][1]["base64"]  # binary header kept as base64
    assert sample["value"]["tags"]["a"] == {"long": sample["value"]["tags"]["a"]["long"]}
    assert isinstance(sample["value"]["amount"], str) and sample["value"]["amount"].startswith("-0.")
    assert sum(1 for r in records1 if r["value"] is None) == 3


def test_schema_references_are_recorded_and_registered_first_with_target_versions(
    kafka_cluster: str,
    kafka_admin: KafkaAdmin,
    registry: str,
    fresh_registry: str,
    unique_topic: Callable[..., str],
    tmp_path: Path,
) -> None:
    from govern.registry import Reference

    source = kafka_admin.create_topic(unique_topic("source"), 1)
    target = kafka_admin.create_topic(unique_topic("target"), 1)
    address_subject = f"{source}-io.test.Address"
    address = {
        "type": "record",
        "name": "Address",
        "namespace": "io.test",
        "fields": [{"name": "city", "type": "string"}],
    }
    person = {
        "type": "record",
        "name": "Person",
        "namespace": "io.test",
        "fields": [{"name": "name", "type": "string"}, {"name": "home", "type": ["null", "io.test.Address"]}],
    }
    with Client(registry) as client:
        client.register(address_subject, {**address, "doc": "v1"})
        client.register(address_subject, address)  # version 2: the one referenced
        serialize = Serializer(
            client, f"{source}-value", person, references=[Reference("io.test.Address", address_subject, 2)]
        )
        producer = Producer(client_config(kafka_cluster))
        producer.produce(source, serialize({"name": "ann", "home": {"city": "Oslo"}}), b"k")
        producer.flush(10)

    path = tmp_path / "refs.jsonl"
    summary = record_topics([source], path, bootstrap=kafka_cluster, registry_url=registry)
    assert [(s.subject, s.version) for s in summary.schemas] == [(address_subject, 2), (f"{source}-value", 1)]
    assert summary.schemas[1].references[0].version == 2

    result = replay(
        [file_source(path)],
        bootstrap=kafka_cluster,
        registry_url=fresh_registry,
        options=ReplayOptions(topic=target),
    )
    assert [(r.subject, r.version) for r in result.registrations] == [
        (address_subject, 1),
        (f"{target}-value", 1),
    ]
    with Client(fresh_registry) as client:
        registered = client.get_latest(f"{target}-value")
        assert [(r.subject, r.version) for r in registered.references] == [(address_subject, 1)]
    again = record_topics(
        [target], tmp_path / "again.jsonl", bootstrap=kafka_cluster, registry_url=fresh_registry
    )
    assert again.records == 1
    with FixtureReader(tmp_path / "again.jsonl") as reader:
        assert [r.value for _, r in reader.records()] == [{"name": "ann", "home": {"city": "Oslo"}}]
