"""Replay's third pass: produce the spool into the target cluster, by default in one transaction,
through confluent-kafka's Producer, and wait until read_committed readers see it. `Cluster`
reaches the cluster on a thread of its own while the files are validated (connections, topic
list, producer id).
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import IO, TYPE_CHECKING, Any

from confluent_kafka import KafkaError, KafkaException, Producer, TopicPartition

from govern import _native
from govern.errors import EnvironmentProblem
from govern.kafka import KafkaAdmin, client_config, wait_for_cluster
from govern.recording.validate import spool_batches

if TYPE_CHECKING:
    from govern.recording.replay import ReplayOptions, ReplaySummary

__all__ = ["Cluster", "produce"]

MAX_TRANSACTION_TIMEOUT_MS = 900_000
VISIBLE_WAIT_S = 10.0
"""Longest wait, after a commit, for read_committed consumers to see the replay (Cluster.await_visible)."""

NO_SPARSE_CONNECTIONS = {"enable.sparse.connections": False}
"""For replay's clients: with sparse connections (librdkafka's default) a new client's first request
waits ~55 ms (a reconnect backoff); each of them needs its connection at once anyway."""


@dataclass
class OpenProducer:
    """A producer ready for the produce pass (connected, transactions initialised), or the error
    that stopped it there (raised by `produce`, which then aborts and words it)."""

    client: Producer
    errors: list[str]  # delivery errors, filled by the producer (at most 5)
    error: BaseException | None = None

    def close(self) -> None:
        """Nothing to release early: confluent-kafka's Producer closes when collected."""


def open_producer(
    bootstrap: str, options: ReplayOptions, count: int | None, connection: Mapping[str, str] | None = None
) -> OpenProducer:
    """An idempotent (by default transactional) producer for a replay of `count` records (None when
    unknown yet: only a --rate needs it, for the transaction timeout), connected and initialised.
    """
    errors: list[str] = []
    settings: dict[str, Any] = {
        "enable.idempotence": True,
        "acks": "all",
        "linger.ms": 10,
        "batch.size": 1_000_000,
        "queue.buffering.max.messages": 500_000,
        "queue.buffering.max.kbytes": 65_536,  # bounded: a 1M-record replay stays well under 300 MB
        "partitioner": "murmur2_random",  # what Java clients use: same key, same partition
        "delivery.report.only.error": True,
        "message.timeout.ms": int(max(options.timeout, 30) * 1000),
        **NO_SPARSE_CONNECTIONS,
    }
    if options.transactional:
        estimate_ms = 0 if not options.rate or not count else count / options.rate * 1000
        settings["transactional.id"] = options.transactional_id or f"govern-replay-{uuid.uuid4().hex}"
        settings["transaction.timeout.ms"] = int(
            min(MAX_TRANSACTION_TIMEOUT_MS, max(60_000, 2 * estimate_ms))
        )
    config = client_config(bootstrap, connection=connection, **settings)

    def on_delivery(error: KafkaError | None, message: Any) -> None:
        if error is not None and len(errors) < 5:
            errors.append(f"{message.topic()}: {error.str()}")

    opened = OpenProducer(Producer({**config, "on_delivery": on_delivery}), errors)
    try:
        # A broker connection first: started at once, init_transactions (or the idempotent
        # producer's first produce) about one run in four waited ~0.5 s more for its producer id
        opened.client.list_topics(timeout=options.timeout)
        if options.transactional:
            opened.client.init_transactions(options.timeout)
    except KafkaException as error:
        opened.error = error
    return opened


class Cluster:
    """The target cluster, reached on a thread of its own while the files are validated: the
    cluster check (`wait_for_cluster`, which words the error when there is no answer), an admin
    client and the topic list, and the producer (connected, its producer id obtained), unless a
    --rate needs the record count first or a given transactional id must not fence another
    producer's transaction before the replay is known to be valid. Nothing is created or produced
    before validation passed: a replay that fails validation only opened connections.
    """

    def __init__(
        self, bootstrap: str, options: ReplayOptions, connection: Mapping[str, str] | None = None
    ) -> None:
        self.bootstrap = bootstrap
        self.options = options
        self.connection = connection  # a secured cluster's client settings (govern.kafka.settings)
        self.admin: KafkaAdmin | None = None
        self.producer: OpenProducer | None = None
        self.topics: dict[str, int] = {}  # topic -> partitions, as listed (and created) by this replay
        self._error: BaseException | None = None
        self._lock = threading.Lock()
        self._closed = False
        self._done = threading.Event()
        # a daemon: a replay failing validation does not wait for an unreachable cluster's timeout
        threading.Thread(target=self._reach, name="govern-replay-cluster", daemon=True).start()

    def _reach(self) -> None:
        admin: KafkaAdmin | None = None
        producer: OpenProducer | None = None
        try:
            wait_for_cluster(self.bootstrap, self.options.timeout, connection=self.connection)
            admin = KafkaAdmin(
                self.bootstrap,
                timeout=self.options.timeout,
                connection=self.connection,
                **NO_SPARSE_CONNECTIONS,
            )
            self.topics = admin.partition_counts()
            if self.options.rate is None and self.options.transactional_id is None:
                producer = open_producer(self.bootstrap, self.options, None, self.connection)
        except BaseException as error:  # raised to the replay by ready()
            self._error = error
        with self._lock:
            if self._closed:  # the replay ended meanwhile (validation failed): nothing is kept
                if producer is not None:
                    producer.close()
            else:
                self.admin, self.producer = admin, producer
            self._done.set()

    def ready(self) -> None:
        """Wait for the cluster check; raise its error (EnvironmentProblem: exit 3), if any."""
        self._done.wait()
        if self._error is not None:
            raise self._error

    def partitions(self, topic: str) -> int:
        """How many partitions `topic` has, 0 when it does not exist (asked again then: it may have
        been created while the files were validated)."""
        if topic not in self.topics:
            assert self.admin is not None
            self.topics.update(self.admin.partition_counts())
        return self.topics.get(topic, 0)

    def create_topic(self, topic: str, partitions: int, config: dict[str, str]) -> int:
        """Create `topic` and wait for its leaders; returns its partition count."""
        assert self.admin is not None
        self.admin.create_topic(topic, partitions, config)
        self.topics[topic] = partitions
        return partitions

    def take_producer(self, count: int) -> OpenProducer:
        """The producer opened alongside validation, else one opened now for `count` records."""
        producer, self.producer = self.producer, None
        if producer is None:
            producer = open_producer(self.bootstrap, self.options, count, self.connection)
        return producer

    def await_visible(self, topics: Sequence[str]) -> None:
        """Return once read_committed readers can see everything written, so a replay followed at once
        by a read (`topic_reader`, `govern record`) finds all of it.

        A commit returns when the coordinator has logged it; the markers that move each partition's
        last stable offset are written just after. Bounded: another producer's open transaction on
        the same partitions would hold the last stable offset back, and that is not ours to wait for.
        ListOffsets requests on the admin's open connection: the ends and the last stable offsets at
        once (any end read after the commit is past our records), then the stable ones again while
        they are behind.
        """
        partitions = [TopicPartition(t, p) for t in topics for p in range(self.partitions(t))]
        if not partitions or self.admin is None:
            return
        timeout = self.options.timeout
        deadline = time.monotonic() + min(timeout, VISIBLE_WAIT_S)
        try:
            ends = self.admin.latest_offsets(partitions, committed=False)
            asked = self.admin.latest_offsets(partitions, committed=True)
            high = _results(ends, timeout)
            while True:
                stable = _results(asked, timeout)
                partitions = [
                    tp
                    for tp in partitions
                    if stable[(tp.topic, tp.partition)] < high[(tp.topic, tp.partition)]
                ]
                if not partitions or time.monotonic() > deadline:
                    return
                time.sleep(0.005)
                asked = self.admin.latest_offsets(partitions, committed=True)
        except KafkaException:
            return  # only a courtesy to the next reader: the replay itself is committed

    def close(self) -> None:
        """Release the producer if the produce pass did not take it (a thread still reaching the
        cluster releases what it makes when it ends)."""
        with self._lock:
            self._closed = True
            producer, self.producer = self.producer, None
        if producer is not None:
            producer.close()


def _results(futures: dict[Any, Any], timeout: float) -> dict[tuple[str, int], int]:
    """{(topic, partition): offset} of a list_offsets answer."""
    return {(tp.topic, tp.partition): future.result(timeout).offset for tp, future in futures.items()}


@dataclass
class Targets:
    """Per source: target topic names by source-topic index, partition kept (True) or hashed,
    and the Confluent prefix of each schema slot."""

    topics: list[list[str]]
    keep: list[list[bool]]
    prefixes: list[list[bytes]]


def produce(
    spool: IO[bytes],
    targets: Targets,
    count: int,
    options: ReplayOptions,
    summary: ReplaySummary,
    progress: Callable[[int, int], None] | None,
    cluster: Cluster,
) -> None:
    """Produce the spool's records in one transaction (or none), with the producer `cluster` opened
    alongside validation (else one opened now)."""
    opened = cluster.take_producer(count)
    producer, errors = opened.client, opened.errors
    try:
        if opened.error is not None:
            raise opened.error
        if options.transactional:
            producer.begin_transaction()
        sent, counts = _send(producer, spool, targets, options, count, progress, errors)
        for (topic, partition), n in counts.items():
            summary.per_topic[topic] += n
            if partition >= 0:
                summary.per_partition[(topic, partition)] += n
        if options.transactional and not errors:
            producer.commit_transaction(max(options.timeout, 60))
            cluster.await_visible(sorted({topic for topic, _ in counts}))
        else:
            remaining = producer.flush(max(options.timeout, 60))
            if remaining and not errors:
                errors.append(f"{remaining} message(s) not delivered in time")
        if errors:
            raise EnvironmentProblem(
                f"replay failed: {errors[0]}",
                hint="nothing was committed"
                if options.transactional
                else "some records may have been written",
            )
    except KafkaException as error:
        _abort(producer, options)
        reason = error.args[0].str() if error.args and isinstance(error.args[0], KafkaError) else error
        raise EnvironmentProblem(
            f"replay failed: {reason}",
            hint="nothing was committed (the transaction was aborted)" if options.transactional else None,
        ) from None
    except BaseException:
        _abort(producer, options)
        raise
    finally:
        opened.close()
    summary.records = sent
    if progress is not None:
        progress(sent, count)


def _abort(producer: Any, options: ReplayOptions) -> None:
    if options.transactional:
        try:
            producer.abort_transaction(10)
        except KafkaException:
            pass


def _send(
    producer: Producer,
    spool: IO[bytes],
    targets: Targets,
    options: ReplayOptions,
    total: int,
    progress: Callable[[int, int], None] | None,
    errors: list[str],
) -> tuple[int, dict[tuple[str, int], int]]:
    """(records sent, {(target topic, partition or -1): records})."""
    keep_timestamps = options.timestamps == "preserve"
    rate = options.rate
    started = time.monotonic()
    sent = 0
    counts: dict[tuple[str, int], int] = {}
    produce, poll = producer.produce, producer.poll
    for index, batch in spool_batches(spool):
        topics = targets.topics[index]
        records, batch_counts = _native.messages(
            batch, topics, targets.prefixes[index], targets.keep[index], keep_timestamps
        )
        for (topic, partition), n in batch_counts.items():
            key = (topics[topic], partition)
            counts[key] = counts.get(key, 0) + n
        for arguments in records:
            while True:
                try:
                    produce(*arguments)  # positional: matching keywords took ~0.5 us of a ~1 us call
                    break
                except BufferError:
                    poll(0.002)  # queue full: no events come (errors only), so poll briefly
            if rate:
                sent += 1
                ahead = started + sent / rate - time.monotonic()
                if ahead > 0.001:
                    time.sleep(ahead)
        if not rate:
            sent += len(records)
        poll(0)
        if progress is not None:
            progress(sent, total)
        if errors:
            break
    return sent, counts
