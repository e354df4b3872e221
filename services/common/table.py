"""A compacted topic materialised in memory: the latest committed value per key.

The table reads every partition from the beginning with its own consumer (no group, nothing
committed), `read_committed`, and reports partition EOF so it knows when it has caught up:
`restore()` reads to the end before a service starts, `refresh()` applies whatever has arrived
without waiting, `catch_up()` reads up to the end offsets of *now* (used before a service answers
"unknown account" or "no rate", so a value committed before the question is always seen). A
transaction still open at that moment is waited for until it ends or the deadline passes.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from confluent_kafka import (
    OFFSET_BEGINNING,
    Consumer,
    IsolationLevel,
    KafkaError,
    KafkaException,
    TopicPartition,
)
from confluent_kafka.admin import AdminClient, OffsetSpec

from govern.kafka import client_config
from services.common.logs import log

if TYPE_CHECKING:
    from services.common.codec import Codecs
    from services.common.config import ServiceConfig

Decoder = Callable[[bytes], Any]

RESTORE_TIMEOUT_S = 120.0
"""How long a service may take to read its own state back (on start or on a new assignment)."""


class Table:
    """`{key: decoded value}` of one or more compacted topics (tombstones delete keys)."""

    def __init__(
        self,
        bootstrap: str,
        topics: Iterable[str],
        decode: Decoder | dict[str, Decoder],
        *,
        name: str = "table",
        partitions: Iterable[int] | None = None,
        on_update: Callable[[str, str, Any], None] | None = None,
    ) -> None:
        self.topics = list(topics)
        self.name = name
        self._decode = decode
        self._on_update = on_update
        self._bootstrap = bootstrap
        self._admin: AdminClient | None = None
        self.values: dict[str, Any] = {}
        self.partition_of: dict[str, int] = {}  #: partition of each key's latest record
        self.skipped = 0  #: records that could not be decoded (logged, never fatal)
        self._consumer = Consumer(
            client_config(
                bootstrap,
                **{
                    "group.id": f"table-{name}-{uuid.uuid4().hex[:8]}",  # never committed
                    "enable.auto.commit": False,
                    "enable.auto.offset.store": False,
                    "isolation.level": "read_committed",
                    "enable.partition.eof": True,
                    "auto.offset.reset": "earliest",
                    "fetch.wait.max.ms": 100,
                },
            )
        )
        wanted = set(partitions) if partitions is not None else None
        assignment: list[TopicPartition] = []
        for topic in self.topics:
            metadata = self._consumer.list_topics(topic, timeout=10)
            described = metadata.topics.get(topic)
            if described is None or described.error is not None or not described.partitions:
                raise KafkaException(KafkaError(KafkaError.UNKNOWN_TOPIC_OR_PART, f"topic {topic} not found"))
            for p in sorted(described.partitions):
                if wanted is None or p in wanted:
                    assignment.append(TopicPartition(topic, p, OFFSET_BEGINNING))
        self._assignment = assignment
        self._eof: dict[tuple[str, int], int] = {(tp.topic, tp.partition): -1 for tp in assignment}
        self._consumer.assign(assignment)

    @classmethod
    def of(
        cls,
        config: ServiceConfig,
        codecs: Codecs,
        topic: str,
        *,
        name: str,
        partitions: Iterable[int] | None = None,
        on_update: Callable[[str, str, Any], None] | None = None,
    ) -> Table:
        """The table of catalog topic `topic` (prefixed by `config`), values decoded by `codecs`."""
        decode: Decoder = lambda raw: codecs.decode(topic, raw)  # noqa: E731
        real = [config.topic(topic)]
        return cls(config.bootstrap, real, decode, name=name, partitions=partitions, on_update=on_update)

    @classmethod
    def restored(cls, config: ServiceConfig, codecs: Codecs, topic: str, **options: Any) -> Table:
        """Catalog topic `topic` read once to its end (`options` as `of` takes), its consumer closed.

        How a service rebuilds its state from its own compacted topic; TimeoutError past
        RESTORE_TIMEOUT_S.
        """
        table = cls.of(config, codecs, topic, **options)
        try:
            table.restore(timeout=RESTORE_TIMEOUT_S)
        finally:
            table.close()
        return table

    def __getitem__(self, key: str) -> Any:
        return self.values[key]

    def get(self, key: str, default: Any = None) -> Any:
        """The latest value of `key`, or `default`."""
        return self.values.get(key, default)

    def _apply(self, messages: list[Any]) -> int:
        applied = 0
        for msg in messages:
            error = msg.error()
            if error is not None:
                if error.code() == KafkaError._PARTITION_EOF:
                    self._eof[(msg.topic(), msg.partition())] = msg.offset()
                    continue
                log(self.name, "table_error", error=error.str())
                continue
            key = msg.key().decode("utf-8") if msg.key() is not None else ""
            raw = msg.value()
            if raw is None:
                self.values.pop(key, None)
                self.partition_of.pop(key, None)
                value = None
            else:
                try:
                    decode = self._decode[msg.topic()] if isinstance(self._decode, dict) else self._decode
                    value = decode(raw)
                except Exception as error:  # noqa: BLE001 - a bad record is counted, never fatal
                    self.skipped += 1
                    log(self.name, "undecodable", topic=msg.topic(), offset=msg.offset(), error=error)
                    continue
                self.values[key] = value
                self.partition_of[key] = msg.partition()
            if self._on_update is not None:
                self._on_update(msg.topic(), key, value)
            applied += 1
        return applied

    def refresh(self) -> int:
        """Apply the records already fetched, without waiting; returns how many were applied."""
        total = 0
        while True:
            messages = self._consumer.consume(1000, 0)
            if not messages:
                return total
            total += self._apply(messages)

    @classmethod
    def snapshot(
        cls,
        bootstrap: str,
        topics: Iterable[str],
        decode: Decoder | dict[str, Decoder],
        *,
        name: str = "table",
        partitions: Iterable[int] | None = None,
        timeout: float = 60.0,
        on_update: Callable[[str, str, Any], None] | None = None,
    ) -> Table:
        """The table read once to its end (see `restore`), its consumer closed: state to rebuild from.

        `values` and `partition_of` stay readable after the close; TimeoutError past `timeout`.
        `on_update(topic, key, value)` sees every record read, not only each key's latest.
        """
        table = cls(bootstrap, topics, decode, name=name, partitions=partitions, on_update=on_update)
        try:
            table.restore(timeout=timeout)
        finally:
            table.close()
        return table

    def restore(self, timeout: float = 60.0) -> None:
        """Read every partition to its end (as of now); raises TimeoutError past `timeout`."""
        self.catch_up(timeout)

    def catch_up(self, timeout: float = 10.0) -> None:
        """Read up to the end offsets each partition has now; TimeoutError past `timeout`."""
        deadline = time.monotonic() + timeout
        ends = self._end_offsets(deadline)
        while True:
            positions = {
                (tp.topic, tp.partition): tp.offset for tp in self._consumer.position(self._assignment)
            }
            behind = [
                key
                for key, high in ends.items()
                if high > 0 and positions.get(key, -1) < high and self._eof[key] < high
            ]
            if not behind:
                return
            if time.monotonic() > deadline:
                raise TimeoutError(f"{self.name}: still behind on {behind} after {timeout:g} s")
            self._apply(self._consumer.consume(1000, 0.05))

    def _end_offsets(self, deadline: float) -> dict[tuple[str, int], int]:
        """The high watermark of every partition, in one request on the admin's own connection.

        The high watermark, not the last stable offset: a producer's commit returns before its
        markers are written, so the LSO can lag a transaction its producer already saw committed;
        waiting for the high watermark waits for that transaction's marker. (The consumer's own
        get_watermark_offsets queues behind its long-poll fetches: 0.5 s per partition.)
        """
        if self._admin is None:
            self._admin = AdminClient(client_config(self._bootstrap))
        while True:
            try:
                futures = self._admin.list_offsets(
                    {TopicPartition(tp.topic, tp.partition): OffsetSpec.latest() for tp in self._assignment},
                    isolation_level=IsolationLevel.READ_UNCOMMITTED,
                    request_timeout=max(deadline - time.monotonic(), 1.0),
                )
                return {(tp.topic, tp.partition): f.result().offset for tp, f in futures.items()}
            except KafkaException as error:
                if time.monotonic() > deadline:
                    raise TimeoutError(f"{self.name}: cannot list end offsets: {error}") from None
                time.sleep(0.1)

    def close(self) -> None:
        """Close the consumer."""
        self._consumer.close()
