"""Helpers for tests, the demo and benchmarks: a prefixed copy of the exchange's topics, and bounded I/O.

`create_topics` creates every catalog topic under a config's prefix with its declared partitions
and cleanup policy, `delete_topics` removes them again, and `private_topics` does both around a
`with` block; `produce` writes keyed records (Avro through the registry) and waits for
them; `read_topic` reads a topic's committed records from the beginning with a deadline.
"""

from __future__ import annotations

import json
import secrets
import threading
import time
import uuid
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from confluent_kafka import OFFSET_BEGINNING, Consumer, KafkaError, Producer, TopicPartition

from govern.catalog import topic_specs
from govern.errors import EnvironmentProblem
from govern.kafka import KafkaAdmin, client_config
from services.common.codec import Codecs
from services.common.config import ServiceConfig


def create_topics(config: ServiceConfig, admin: KafkaAdmin | None = None) -> list[str]:
    """Create the catalog's topics (with `config.topic_prefix`) that do not exist yet; returns them."""
    admin = admin or KafkaAdmin(config.bootstrap)
    existing = admin.list_topics()
    created = []
    for spec in topic_specs(config.catalog):
        name = config.topic_prefix + spec.name
        if name not in existing:
            admin.create_topic(name, spec.partitions, spec.config)
            created.append(name)
    return created


def delete_topics(config: ServiceConfig, admin: KafkaAdmin | None = None) -> None:
    """Delete every topic whose name starts with `config.topic_prefix` (undoes `create_topics`)."""
    admin = admin or KafkaAdmin(config.bootstrap)
    for name in list(admin.list_topics()):
        if name.startswith(config.topic_prefix):
            admin.delete_topic(name)


@contextmanager
def private_topics(bootstrap: str, registry: str, prefix: str) -> Iterator[tuple[ServiceConfig, Codecs]]:
    """A private copy of the exchange's topics (prefix `{prefix}<random hex>-`) and its codecs.

    The topics are created on entry and deleted, with the codecs closed, on exit.
    """
    config = ServiceConfig(bootstrap, registry, topic_prefix=f"{prefix}{secrets.token_hex(4)}-")
    admin = KafkaAdmin(bootstrap)
    create_topics(config, admin)
    codecs = Codecs(config)
    try:
        yield config, codecs
    finally:
        codecs.close()
        delete_topics(config, admin)


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


class Running:
    """A service (anything with `run(stop)`) running in a thread for the duration of a `with` block."""

    def __init__(self, service: Any, *, stop_timeout: float = 30.0) -> None:
        self.service = service
        self.stop = threading.Event()
        self.stop_timeout = stop_timeout
        self.error: BaseException | None = None
        self.thread = threading.Thread(
            target=self._run, name=getattr(service, "name", "service"), daemon=True
        )

    def _run(self) -> None:
        try:
            self.service.run(self.stop)
        except BaseException as error:  # noqa: BLE001 - re-raised in the test's thread
            self.error = error

    def __enter__(self) -> Any:
        self.thread.start()
        return self.service

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        self.thread.join(self.stop_timeout)
        if self.thread.is_alive():
            raise AssertionError(f"{self.thread.name} did not stop within {self.stop_timeout:g} s")
        if self.error is not None:
            raise self.error


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
    """Call `condition()` until it returns something truthy (returned); AssertionError after `timeout`."""
    deadline = time.monotonic() + timeout
    while True:
        result = condition()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:g} s waiting for {what}")
        time.sleep(every)


def fixture_records(path: str | Path) -> list[dict[str, Any]]:
    """The record lines of a govern fixture file (its header skipped): `{"key", "value", …}` dicts."""
    lines = Path(path).read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines[1:] if line.strip()]
