"""`govern import --bootstrap` on real Kafka: partitions, cleanup policy and consumer groups per
topic, and RecordNameStrategy subjects placed on the topic whose newest records carry their ids
(written by confluent-kafka-python's own AvroSerializer with its record strategy)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from confluent_kafka import Consumer, Producer, TopicPartition
from confluent_kafka.schema_registry import SchemaRegistryClient, record_subject_name_strategy
from confluent_kafka.schema_registry.avro import AvroSerializer
from confluent_kafka.serialization import MessageField, SerializationContext

from govern.kafka import KafkaAdmin, client_config
from govern.registry.server.run import serve_in_thread

pytestmark = pytest.mark.kafka
ROOT = Path(__file__).resolve().parents[2]
SHIPPED = {
    "type": "record",
    "name": "OrderShipped",
    "namespace": "com.acme",
    "fields": [{"name": "id", "type": "long"}],
}
CANCELLED = {
    "type": "record",
    "name": "OrderCancelled",
    "namespace": "com.acme",
    "fields": [{"name": "id", "type": "long"}, {"name": "why", "type": "string"}],
}


def test_import_reads_topics_groups_and_places_record_strategy_subjects(
    tmp_path: Path, kafka_cluster: str, kafka_admin: KafkaAdmin, unique_topic: Callable[..., str]
) -> None:
    events = kafka_admin.create_topic(unique_topic("events"), 3, {"cleanup.policy": "compact"})
    bare = kafka_admin.create_topic(unique_topic("bare"), 2)
    with serve_in_thread(None) as url:
        sr = SchemaRegistryClient({"url": url})
        producer = Producer(client_config(kafka_cluster))
        for schema, value in ((SHIPPED, {"id": 1}), (CANCELLED, {"id": 2, "why": "late"})):
            serialize = AvroSerializer(
                sr, json.dumps(schema), conf={"subject.name.strategy": record_subject_name_strategy}
            )
            for key in (b"a", b"b", b"c"):
                data = serialize(value, SerializationContext(events, MessageField.VALUE))
                producer.produce(events, key=key, value=data)
        producer.produce(bare, value=b"not avro")
        producer.flush(10)
        group = f"billing-{events[-8:]}"
        consumer = Consumer(client_config(kafka_cluster, **{"group.id": group}))
        consumer.commit(offsets=[TopicPartition(events, 0, 1)], asynchronous=False)
        consumer.close()

        env = {k: v for k, v in os.environ.items() if not k.startswith("GOVERN_REGISTRY")}
        env["PYTHONPATH"] = str(ROOT)
        result = subprocess.run(
            [
                sys.executable, "-m", "govern", "import", "--registry", url, "--bootstrap", kafka_cluster,
                "--topics", f"{events}|{bare}", "--root", str(tmp_path),
            ],
            capture_output=True, text=True, timeout=120, env=env,
        )  # fmt: skip
    assert result.returncode == 0, result.stderr
    topics = (tmp_path / "contracts/topics.yaml").read_text()
    block = topics[topics.index(f"  {events}:") :]
    assert "value_schema: [com.acme.OrderCancelled, com.acme.OrderShipped]" in block
    assert (
        "subject_strategy: record" in block
        and "partitions: 3" in block
        and "cleanup_policy: compact" in block
    )
    assert f"{bare!r} carries no registered schema" in result.stdout
    placeholder = (tmp_path / "contracts/unassigned.yaml").read_text()
    assert f"- topic: {events}  # read by consumer groups: {group}" in placeholder
    catalog = subprocess.run(
        [sys.executable, "-m", "govern", "catalog", "--format", "json", "--root", str(tmp_path)],
        capture_output=True, text=True, timeout=60, env=env,
    )  # fmt: skip
    assert catalog.returncode == 0, catalog.stderr
    [topic] = json.loads(catalog.stdout)["topics"]
    names = sorted(s["name"] for s in topic["subjects"])
    assert names == ["com.acme.OrderCancelled", "com.acme.OrderShipped"]
