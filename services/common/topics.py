"""The exchange's topics from a client's side (the demo, its scenario, benchmarks, tests): bounded I/O.

`create_topics` creates every catalog topic under a config's prefix with its declared partitions
and cleanup policy, `delete_topics` removes them again; `produce` writes keyed records (Avro
through the registry) and waits for them; `read_topic` reads a topic's committed records from
the beginning with a deadline; `latest` folds them as compaction would; `wait_for` polls.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterable
from typing import Any

from confluent_kafka import OFFSET_BEGINNING, Consumer, KafkaError, Producer, TopicPartition

from govern.catalog import topic_specs
from govern.errors import EnvironmentProblem
from govern.kafka import KafkaAdmin, client_config
from services.common.codec import Codecs
from services.common.config import ServiceConfig


def create_topics(config: ServiceConfig, admin: KafkaAdmin | None = None) -> tuple[list[str], list[str]]:
    """Create the catalog's topics (with `config.topic_prefix`) that do not exist yet.

    Returns (created, already there).
    """
    admin = admin or KafkaAdmin(config.bootstrap)
    existing = admin.list_topics()
    created, kept = [], []
    for spec in topic_specs(config.catalog):
        name = config.topic_prefix + spec.name
        if name in existing:
            kept.append(name)
            continue
        admin.create_topic(name, spec.partitions, spec.config)
        created.append(name)
    return created, kept


def delete_topics(config: ServiceConfig, admin: KafkaAdmin | None = None) -> None:
    """Delete every topic whose name starts with `config.topic_prefix` (undoes `create_topics`)."""
    admin = admin or KafkaAdmin(config.bootstrap)
    for name in list(admin.list_topics()):
        if name.startswith(config.topic_prefix):
            admin.delete_topic(name)


def produce(
    config: ServiceConfig,
    codecs: Codecs,
    name: str,
    records: Iterable[tuple[str, dict[str, Any] | None]],
    *,
    timeout: float = 30.0,
) -> int:
    """Write `(key, value)` records to catalog topic `name` (idempotent producer) and flush."""
    producer = Producer(client_config(config.bootstrap, **{"enable.idempotence": True, "linger.ms": 5}))
    topic = config.topic(name)
    count = 0
    for key, value in records:
        payload = None if value is None else codecs.encode(name, value)
        producer.produce(topic, key=key.encode("utf-8"), value=payload)
        producer.poll(0)
        count += 1
    if producer.flush(timeout) > 0:
        raise EnvironmentProblem(f"could not deliver {count} record(s) to {topic} within {timeout:g} s")
    return count


def read_topic(
    config: ServiceConfig,
    codecs: Codecs,
    name: str,
    *,
    count: int | None = None,
    timeout: float = 30.0,
    idle: float = 1.0,
) -> list[tuple[str, dict[str, Any] | None]]:
    """The committed `(key, value)` records of catalog topic `name`, oldest first per partition.

    With `count`, waits (up to `timeout`) until that many arrived, then returns them all seen so
    far; without it, returns once every partition reached its end and `idle` seconds passed quietly.
    """
    consumer = Consumer(
        client_config(
            config.bootstrap,
            **{
                "group.id": f"read-{uuid.uuid4().hex[:10]}",
                "auto.offset.reset": "earliest",
                "enable.auto.commit": False,
                "isolation.level": "read_committed",
                "enable.partition.eof": True,
            },
        )
    )
    topic = config.topic(name)
    partitions = len(consumer.list_topics(topic, timeout=10).topics[topic].partitions)
    # assign, not subscribe: no group join (and its rebalance delay) for a read-only look
    consumer.assign([TopicPartition(topic, p, OFFSET_BEGINNING) for p in range(partitions)])
    records: list[tuple[str, dict[str, Any] | None]] = []
    at_end: set[int] = set()
    deadline = time.monotonic() + timeout
    quiet_since = time.monotonic()
    try:
        while True:
            now = time.monotonic()
            if count is not None and len(records) >= count:
                return records
            if count is None and len(at_end) == partitions and now - quiet_since >= idle:
                return records
            if now > deadline:
                if count is None:
                    return records
                raise EnvironmentProblem(
                    f"read {len(records)} of {count} record(s) from {topic} within {timeout:g} s"
                )
            msg = consumer.poll(0.1)
            if msg is None:
                continue
            error = msg.error()
            if error is not None:
                if error.code() == KafkaError._PARTITION_EOF:
                    at_end.add(msg.partition())
                continue
            at_end.discard(msg.partition())
            quiet_since = time.monotonic()
            key = msg.key().decode("utf-8") if msg.key() is not None else ""
            value = None if msg.value() is None else codecs.decode(name, msg.value())
            records.append((key, value))
    finally:
        consumer.close()


def latest(records: Iterable[tuple[str, Any]]) -> dict[str, Any]:
    """The latest value per key (what a compacted topic converges to)."""
    result: dict[str, Any] = {}
    for key, value in records:
        if value is None:
            result.pop(key, None)
        else:
            result[key] = value
    return result


def wait_for(condition: Any, *, timeout: float = 30.0, every: float = 0.3, what: str = "condition") -> Any:
    """Call `condition()` until it returns something truthy (returned); TimeoutError after `timeout`."""
    deadline = time.monotonic() + timeout
    while True:
        result = condition()
        if result:
            return result
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out after {timeout:g} s waiting for {what}")
        time.sleep(every)
