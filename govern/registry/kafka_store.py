"""A registry store on Kafka's `_schemas` topic, shared by several registry instances.

Every instance replays the topic into memory (`TopicState`) at start and follows it with its own
reader, so reads never leave the process. Exactly one instance writes:

- **Election**: each instance joins the consumer group `govern-registry-<topic>` on the topic's
  single partition; the member the group gives partition 0 to is the leader (Confluent and
  Karapace also elect through the group coordinator). The member's `client.id` is its HTTP URL,
  so followers find the leader by describing the group, and forward writes to it.
- **Fencing**: the leader writes through a transactional producer with one `transactional.id`
  per topic. A new leader's `init_transactions()` fences the previous one: a leader that was
  paused or cut off, and still believes it leads, can no longer commit anything.
- **Catching up**: a new leader writes a NOOP and waits to read it back before it accepts
  writes, so it allocates ids and versions knowing every earlier record.
- **Acknowledging**: a write unit's records are produced in one transaction, and the unit returns
  only once the reader has applied them: an acknowledged write is in the log and in memory.

The reader uses `isolation.level=read_committed`, so records of a fenced leader's aborted
transaction are never applied.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from govern.registry.errors import LeaderUnknown, StoreError
from govern.registry.schemas_topic import NOOP_KEY, RecordError, StagedWrite, TopicState, _ReadTx, decode
from govern.registry.store import StoreTx

log = logging.getLogger("govern.registry.kafka")

DEFAULT_TOPIC = "_schemas"
SESSION_TIMEOUT_MS = 6000  # the broker's default group.min.session.timeout.ms: fastest failover
WRITE_TIMEOUT_S = 30.0


def parse_store_url(url: str) -> tuple[str, str, dict[str, str]]:
    """`kafka://HOST:PORT[,HOST:PORT][?topic=_schemas&security.protocol=SASL_SSL&...]` → parts.

    Query parameters other than `topic` are librdkafka client settings (for a secured cluster).
    """
    parts = urlsplit(url)
    if parts.scheme != "kafka" or not parts.netloc:
        raise ValueError(f"not a kafka:// store URL: {redact(url)}")
    settings = dict(parse_qsl(parts.query, keep_blank_values=True))
    topic = settings.pop("topic", DEFAULT_TOPIC) or DEFAULT_TOPIC
    return parts.netloc, topic, settings


def redact(url: str) -> str:
    """A store URL fit for logs: the query (client settings, maybe credentials) left out."""
    return url.split("?", 1)[0]


class KafkaStore:
    """`Store` over a `_schemas` topic: memory for reads, the elected leader for writes."""

    reads_never_wait = True  # reads take a lock only the reader holds while applying one record

    def __init__(
        self,
        bootstrap: str,
        *,
        topic: str = DEFAULT_TOPIC,
        url: str,
        settings: Mapping[str, str] | None = None,
        replication_factor: int | None = None,
        start_timeout_s: float = 60.0,
    ) -> None:
        from govern.registry.server.parsing import identity_of

        self.bootstrap, self.topic, self.url = bootstrap, topic, url
        self._settings = dict(settings or {})
        self.state = TopicState(identity_of)
        self._applied = -1  # offset of the last record applied
        self._end_seen = -1  # the log end the reader last reached (partition EOF)
        self._progress = threading.Condition()
        self._write_lock = threading.Lock()
        self._stop = threading.Event()
        self._leader = False
        self._producer: Any = None
        self._become_leader = threading.Event()
        self._assigned = False  # the group gave this instance the partition
        self._leader_url_cache: str | None = None
        self._ensure_topic(replication_factor)
        # A broker holds a fetch until new data or fetch.wait.max.ms, but records of a transaction
        # become readable only at its commit marker, which does not end the wait: keep it short so a
        # write is read back (acknowledged) in milliseconds, not half a second.
        self._reader = self._consumer(
            {"enable.partition.eof": True, "isolation.level": "read_committed", "fetch.wait.max.ms": 20}
        )
        # A client of its own for end offsets: calls on the reader wait while it polls in its thread.
        self._probe = self._consumer({"isolation.level": "read_committed"})
        self._probe_lock = threading.Lock()
        from confluent_kafka import OFFSET_BEGINNING, TopicPartition

        self._reader.assign([TopicPartition(topic, 0, OFFSET_BEGINNING)])
        self._reader_thread = threading.Thread(target=self._read_loop, name=f"{topic}-reader", daemon=True)
        self._reader_thread.start()
        self.catch_up(timeout_s=start_timeout_s)
        self._elector = self._consumer(
            {
                "group.id": f"govern-registry-{topic}",
                "client.id": url,
                "session.timeout.ms": SESSION_TIMEOUT_MS,
                "heartbeat.interval.ms": 1000,
                "partition.assignment.strategy": "range",
            }
        )
        self._elector.subscribe([topic], on_assign=self._on_assign, on_revoke=self._on_revoke)
        self._elector_thread = threading.Thread(target=self._elect_loop, name=f"{topic}-elector", daemon=True)
        self._elector_thread.start()

    # ------------------------------------------------------------------ clients and topic

    def _client_config(self, extra: Mapping[str, Any]) -> dict[str, Any]:
        return {"bootstrap.servers": self.bootstrap, **self._settings, **extra}

    def _consumer(self, extra: Mapping[str, Any]) -> Any:
        from confluent_kafka import Consumer

        base = {"group.id": f"govern-registry-reader-{self.topic}", "enable.auto.commit": False}
        return Consumer(self._client_config({**base, **extra}))

    def _ensure_topic(self, replication_factor: int | None) -> None:
        """Create the topic when missing (1 partition, compacted); refuse one of another shape."""
        from confluent_kafka import KafkaException
        from confluent_kafka.admin import AdminClient, ConfigResource, NewTopic

        admin = AdminClient(self._client_config({}))
        try:
            metadata = admin.list_topics(timeout=15)
        except KafkaException as error:
            raise StoreError(
                f"cannot reach Kafka at {self.bootstrap}: {error.args[0]}",
                hint="check the kafka:// bootstrap address and the client settings",
            ) from None
        found = metadata.topics.get(self.topic)
        if found is None or found.error is not None:
            factor = replication_factor or min(3, len(metadata.brokers))
            min_isr = str(max(1, min(2, factor - 1)))  # RF 3 → 2: one broker may be down, none lost
            config = {"cleanup.policy": "compact", "min.insync.replicas": min_isr}
            future = admin.create_topics([NewTopic(self.topic, 1, factor, config=config)])[self.topic]
            try:
                future.result(timeout=30)
            except KafkaException as error:
                if "TOPIC_ALREADY_EXISTS" not in str(error):
                    raise StoreError(f"cannot create the topic {self.topic}: {error.args[0]}") from None
            return
        if len(found.partitions) != 1:
            raise StoreError(
                f"the topic {self.topic} has {len(found.partitions)} partitions; a schemas topic has 1",
                hint="give another ?topic= or recreate it with one partition",
            )
        resource = ConfigResource(ConfigResource.Type.TOPIC, self.topic)
        described = admin.describe_configs([resource])[resource].result(timeout=15)
        policy = described["cleanup.policy"].value
        if "compact" not in policy:
            raise StoreError(
                f"the topic {self.topic} has cleanup.policy={policy}; a schemas topic must be compacted",
                hint=f"kafka-configs --alter --entity-type topics --entity-name {self.topic} "
                "--add-config cleanup.policy=compact",
            )

    # ------------------------------------------------------------------ following the topic

    def _read_loop(self) -> None:
        from confluent_kafka import KafkaError

        while not self._stop.is_set():
            try:
                message = self._reader.poll(0.1)
            except RuntimeError:  # closed while polling
                return
            if message is None:
                continue
            error = message.error()
            if error is not None:
                if error.code() == KafkaError._PARTITION_EOF:
                    with self._progress:
                        self._end_seen = max(self._end_seen, message.offset())
                        self._progress.notify_all()
                else:
                    log.warning("reading %s: %s", self.topic, error)
                continue
            try:
                key, value = decode(message.key(), message.value())
                self.state.apply(key, value)
            except RecordError as problem:
                log.warning("%s offset %s skipped: %s", self.topic, message.offset(), problem)
            except Exception:  # noqa: BLE001 - a bug here must not stop this instance following the log
                log.exception("%s offset %s could not be applied", self.topic, message.offset())
            with self._progress:
                self._applied = message.offset()
                self._progress.notify_all()

    def _wait_applied(self, offset: int, timeout_s: float) -> None:
        deadline = time.monotonic() + timeout_s
        with self._progress:
            while self._applied < offset and self._end_seen <= offset:
                if self._stop.is_set():
                    raise StoreError(f"the registry store on {self.topic} is closing")
                left = deadline - time.monotonic()
                if left <= 0:
                    raise StoreError(f"timed out reading {self.topic} up to offset {offset}")
                self._progress.wait(left)

    def catch_up(self, timeout_s: float = 15.0) -> None:
        """Return once this instance has applied everything committed to the topic before the call."""
        from confluent_kafka import KafkaException, TopicPartition

        try:
            with self._probe_lock:
                _, end = self._probe.get_watermark_offsets(
                    TopicPartition(self.topic, 0), timeout=timeout_s, cached=False
                )
        except KafkaException as error:
            raise StoreError(f"cannot read the end of {self.topic}: {error.args[0]}") from None
        if end > 0:
            self._wait_applied(end - 1, timeout_s)

    # ------------------------------------------------------------------ election

    def _elect_loop(self) -> None:
        while not self._stop.is_set():
            try:
                self._elector.poll(0.2)
            except RuntimeError:
                return
            if self._become_leader.is_set():
                self._become_leader.clear()
                try:
                    self._take_over()
                except Exception as error:  # noqa: BLE001 - the partition is ours: try again, or none leads
                    log.error("could not become the leader of %s (retrying): %s", self.topic, error)
                    self._step_down()
                    if self._assigned and not self._stop.wait(1.0):
                        self._become_leader.set()

    def _on_assign(self, consumer: Any, partitions: list[Any]) -> None:
        if partitions:
            consumer.pause(partitions)  # the elector only holds the partition; the reader reads it
            self._assigned = True
            self._become_leader.set()

    def _on_revoke(self, consumer: Any, partitions: list[Any]) -> None:
        self._assigned = False
        self._become_leader.clear()
        if partitions:
            self._step_down()

    def _take_over(self) -> None:
        """Fence the previous leader, read to the end of the log, then accept writes."""
        from confluent_kafka import Producer

        producer = Producer(
            self._client_config(
                {
                    "transactional.id": f"govern-registry-{self.topic}",
                    "enable.idempotence": True,
                    "linger.ms": 0,
                }
            )
        )
        producer.init_transactions(30)
        with self._write_lock:
            self._producer = producer
            offset = self._produce([(NOOP_KEY, None)])
            self._wait_applied(offset, WRITE_TIMEOUT_S)
            self._leader = True
        self._leader_url_cache = self.url
        log.info("%s is now the leader of %s", self.url, self.topic)

    def _step_down(self) -> None:
        self._leader = False
        with self._write_lock:  # let a write in progress finish first
            producer, self._producer = self._producer, None
        if producer is not None:
            producer.flush(5)
        self._leader_url_cache = None

    @property
    def is_leader(self) -> bool:
        return self._leader

    def leader_url(self) -> str | None:
        """The URL of the current leader (this instance's own when it leads), or None in an election."""
        if self._leader:
            return self.url
        if self._leader_url_cache is not None:
            return self._leader_url_cache
        from confluent_kafka import ConsumerGroupState, KafkaException
        from confluent_kafka.admin import AdminClient

        admin = AdminClient(self._client_config({}))
        group = f"govern-registry-{self.topic}"
        try:
            description = admin.describe_consumer_groups([group], request_timeout=5)[group].result(timeout=5)
        except KafkaException:
            return None
        if description.state != ConsumerGroupState.STABLE:
            return None
        for member in description.members:
            assigned = member.assignment.topic_partitions if member.assignment else []
            if any(tp.topic == self.topic and tp.partition == 0 for tp in assigned):
                self._leader_url_cache = member.client_id
                return member.client_id
        return None

    def forget_leader(self) -> None:
        """Drop the cached leader URL (after a forward to it failed)."""
        self._leader_url_cache = None

    # ------------------------------------------------------------------ units of work

    def _produce(self, records: list[tuple[bytes, bytes | None]]) -> int:
        """Produce records in one transaction; the offset of the last one (caller holds the write lock)."""
        from confluent_kafka import KafkaException

        producer = self._producer
        if producer is None:
            raise LeaderUnknown(f"this registry instance ({self.url}) is not the leader of {self.topic}")
        offsets: list[int] = []
        failures: list[str] = []

        def delivered(error: Any, message: Any) -> None:
            if error is not None:
                failures.append(str(error))
            else:
                offsets.append(message.offset())

        try:
            producer.begin_transaction()
            for key, value in records:
                producer.produce(self.topic, key=key, value=value, partition=0, on_delivery=delivered)
            producer.commit_transaction(WRITE_TIMEOUT_S)
        except KafkaException as error:
            kafka_error = error.args[0]
            if not kafka_error.fatal() and kafka_error.txn_requires_abort():
                try:
                    producer.abort_transaction(WRITE_TIMEOUT_S)
                except KafkaException:
                    pass
            if kafka_error.fatal():  # fenced: another instance leads now
                self._leader = False
                self._producer = None
                self._leader_url_cache = None
            raise StoreError(f"writing to {self.topic} failed: {kafka_error.str()}") from None
        if failures or not offsets:
            raise StoreError(f"writing to {self.topic} failed: {'; '.join(failures) or 'no delivery report'}")
        return max(offsets)

    def read(self) -> AbstractContextManager[StoreTx]:
        return self._read_unit()

    @contextmanager
    def _read_unit(self) -> Iterator[StoreTx]:
        # No lock: the reader thread applies a record's parts schema first, version last, and every
        # read copies what it iterates, so a read never sees a version without its schema, and a
        # long compatibility check never holds up the reader (nor other reads).
        yield _ReadTx(self.state)  # type: ignore[misc]

    def write(self) -> AbstractContextManager[StoreTx]:
        return self._write_unit()

    @contextmanager
    def _write_unit(self) -> Iterator[StoreTx]:
        with self._write_lock:
            if not self._leader:
                raise LeaderUnknown(f"this registry instance ({self.url}) is not the leader of {self.topic}")
            staged = StagedWrite(self.state)
            yield staged  # type: ignore[misc]
            if staged.records:
                offset = self._produce(staged.records)
                self._wait_applied(offset, WRITE_TIMEOUT_S)

    def close(self) -> None:
        """Leave the group (a follower takes over at once), stop reading, close the clients."""
        if self._stop.is_set():
            return
        self._stop.set()
        with self._progress:
            self._progress.notify_all()
        self._elector_thread.join(5)
        try:
            self._elector.close()
        except RuntimeError:
            pass
        self._step_down()
        self._reader_thread.join(5)
        for client in (self._reader, self._probe):
            try:
                client.close()
            except RuntimeError:
                pass
