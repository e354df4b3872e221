"""The exactly-once consume-transform-produce loop (Kafka transactions, KIP-447 style).

One transactional producer per service instance with a stable `transactional.id` (a restart
fences its previous incarnation and aborts what it left open), one consumer in the service's
group with `isolation.level=read_committed` and `enable.auto.commit=false`. Per batch:

    begin -> process(messages) produces outputs and state-changelog records
          -> send_offsets_to_transaction(positions, group metadata) -> commit

so outputs, state and input offsets become visible together or not at all. When a transaction
must be aborted, the in-memory state staged by the batch is rolled back (`on_abort`) and the
consumer is rewound to its committed offsets, so the batch is processed again from scratch.
A fatal error (fenced by a newer instance, a bug in `process`) stops the loop with the
exception: restarting the process is the recovery, and it is safe because nothing half-done was
committed. SIGTERM (via `stop`) finishes the current batch, commits it and leaves the group.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from typing import Any, Generic, TypeVar

from confluent_kafka import (
    OFFSET_BEGINNING,
    Consumer,
    KafkaError,
    KafkaException,
    Message,
    Producer,
    TopicPartition,
)

from govern.kafka import client_config
from services.common.config import ServiceConfig
from services.common.logs import log

TXN_TIMEOUT_S = 30.0
"""Deadline of one transactional call (init, send offsets, commit, abort)."""

K = TypeVar("K")
V = TypeVar("V")
_DELETED = object()


class StagedState(Generic[K, V]):
    """A dict whose writes are staged until `commit()` and dropped by `rollback()`.

    The transaction's in-memory twin: a batch writes here while its Kafka transaction is open;
    after the commit the writes become the committed state, after an abort they vanish.
    """

    def __init__(self) -> None:
        self.committed: dict[K, V] = {}
        self._staged: dict[K, Any] = {}

    def get(self, key: K, default: Any = None) -> Any:
        value = self._staged.get(key, self.committed.get(key, default))
        return default if value is _DELETED else value

    def __contains__(self, key: object) -> bool:
        return self.get(key, _DELETED) is not _DELETED

    def __setitem__(self, key: K, value: V) -> None:
        self._staged[key] = value

    def delete(self, key: K) -> None:
        self._staged[key] = _DELETED

    def items(self) -> Iterator[tuple[K, V]]:
        """Committed items overlaid with staged ones."""
        merged: dict[K, Any] = {**self.committed, **self._staged}
        return ((k, v) for k, v in merged.items() if v is not _DELETED)

    def commit(self) -> None:
        for key, value in self._staged.items():
            if value is _DELETED:
                self.committed.pop(key, None)
            else:
                self.committed[key] = value
        self._staged.clear()

    def rollback(self) -> None:
        self._staged.clear()


class Batch:
    """The outputs of one transaction; `produce` opens the transaction on first use."""

    def __init__(self, producer: Producer) -> None:
        self._producer = producer
        self.begun = False
        self.produced = 0

    def begin(self) -> None:
        if not self.begun:
            self._producer.begin_transaction()
            self.begun = True

    def produce(self, topic: str, key: str, value: bytes | None, *, partition: int | None = None) -> None:
        """Send one record inside the batch's transaction (`partition` None: the key's partitioner).

        Kept lean, it runs once per output record: str keys are UTF-8 encoded by the client, and
        partition -1 is librdkafka's "unassigned" (the partitioner decides), the client's default.
        """
        if not self.begun:
            self.begin()
        while True:
            try:
                self._producer.produce(
                    topic, key=key, value=value, partition=-1 if partition is None else partition
                )
                break
            except BufferError:  # local queue full: let deliveries drain, then retry
                self._producer.poll(0.05)
        self.produced += 1


Process = Callable[[list[Message], Batch], None]


class EosLoop:
    """Runs `process` over batches of `inputs` in Kafka transactions until `stop` is set."""

    def __init__(
        self,
        config: ServiceConfig,
        service: str,
        inputs: list[str],
        process: Process,
        *,
        on_assign: Callable[[list[TopicPartition]], None] | None = None,
        on_revoke: Callable[[list[TopicPartition]], None] | None = None,
        on_commit: Callable[[], None] | None = None,
        on_abort: Callable[[], None] | None = None,
        batch_size: int = 500,
        poll_timeout: float = 0.1,
        producer_config: dict[str, Any] | None = None,
    ) -> None:
        self.config = config
        self.service = service
        self.inputs = inputs
        self.process = process
        self.on_assign = on_assign
        self.on_revoke = on_revoke
        self.on_commit = on_commit
        self.on_abort = on_abort
        self.batch_size = batch_size
        self.poll_timeout = poll_timeout
        self.committed_batches = 0
        self.seconds = {"process": 0.0, "offsets": 0.0, "commit": 0.0}  #: time spent per step
        self.aborted_batches = 0
        self.ready = threading.Event()  #: set once the first assignment was restored
        self.producer = Producer(
            client_config(
                config.bootstrap,
                **{
                    "transactional.id": config.transactional_id(service),
                    "enable.idempotence": True,
                    "acks": "all",
                    "linger.ms": 2,
                    "transaction.timeout.ms": 30000,
                    # back-to-back transactions meet CONCURRENT_TRANSACTIONS while the coordinator
                    # still writes the previous markers; retry that in ms, not librdkafka's 100 ms
                    "retry.backoff.ms": 10,
                    "retry.backoff.max.ms": 100,
                    **(producer_config or {}),
                },
            )
        )
        self.consumer = Consumer(
            client_config(
                config.bootstrap,
                **{
                    "group.id": config.group_id(service),
                    # static membership: a restarted instance (same id) takes its partitions back at
                    # once instead of waiting for its dead predecessor's session to time out
                    "group.instance.id": config.transactional_id(service),
                    "session.timeout.ms": 10000,
                    "isolation.level": "read_committed",
                    "enable.auto.commit": False,
                    "enable.auto.offset.store": False,
                    "auto.offset.reset": "earliest",
                    "fetch.wait.max.ms": 50,
                },
            )
        )

    # ---------------------------------------------------------------- rebalance

    def _assigned(self, consumer: Consumer, partitions: list[TopicPartition]) -> None:
        log(self.service, "assigned", partitions=_describe(partitions))
        if self.on_assign is not None:
            self.on_assign(partitions)
        self.ready.set()

    def _revoked(self, consumer: Consumer, partitions: list[TopicPartition]) -> None:
        log(self.service, "revoked", partitions=_describe(partitions))
        if self.on_revoke is not None:
            self.on_revoke(partitions)

    # ---------------------------------------------------------------- the loop

    def run(self, stop: threading.Event) -> None:
        """Process until `stop` is set; the last batch is committed before returning."""
        self.producer.init_transactions(TXN_TIMEOUT_S)  # fences the previous incarnation, aborts its txn
        self.consumer.subscribe(self.inputs, on_assign=self._assigned, on_revoke=self._revoked)
        log(
            self.service,
            "started",
            inputs=",".join(self.inputs),
            transactional_id=self.config.transactional_id(self.service),
        )
        try:
            while not stop.is_set():
                messages = self._poll()
                self._transact(messages)
        finally:
            self.consumer.close()
            self.producer.flush(5)
            batches = max(self.committed_batches, 1)
            per_batch = {f"{k}_ms": round(v * 1000 / batches, 2) for k, v in self.seconds.items()}
            log(self.service, "stopped", committed_batches=self.committed_batches,
                aborted_batches=self.aborted_batches, **per_batch)  # fmt: skip

    def _poll(self) -> list[Message]:
        first = self.consumer.poll(self.poll_timeout)
        if first is None:
            return []
        messages = [first, *self.consumer.consume(self.batch_size - 1, 0)]
        good = []
        for msg in messages:
            error = msg.error()
            if error is None:
                good.append(msg)
            elif error.code() != KafkaError._PARTITION_EOF:
                log(self.service, "consume_error", error=error.str())
                if error.fatal():
                    raise KafkaException(error)
        return good

    def _transact(self, messages: list[Message]) -> None:
        batch = Batch(self.producer)
        if messages:
            batch.begin()
        try:
            t0 = time.perf_counter()
            self.process(messages, batch)
            if not batch.begun:
                return
            t1 = time.perf_counter()
            if messages:
                positions = [
                    tp for tp in self.consumer.position(self.consumer.assignment()) if tp.offset >= 0
                ]
                self.producer.send_offsets_to_transaction(
                    positions, self.consumer.consumer_group_metadata(), TXN_TIMEOUT_S
                )
            t2 = time.perf_counter()
            self._commit()
            t3 = time.perf_counter()
            self.seconds["process"] += t1 - t0
            self.seconds["offsets"] += t2 - t1
            self.seconds["commit"] += t3 - t2
        except KafkaException as exc:
            error: KafkaError = exc.args[0]
            if error.txn_requires_abort():
                log(self.service, "abort", error=error.str())
                self._abort()
                return
            raise
        except BaseException:
            if batch.begun:
                self._abort()
            raise
        self.committed_batches += 1
        if self.on_commit is not None:
            self.on_commit()

    def _commit(self) -> None:
        for attempt in range(10):
            try:
                self.producer.commit_transaction(TXN_TIMEOUT_S)
                return
            except KafkaException as exc:
                error: KafkaError = exc.args[0]
                if error.retriable() and attempt < 9:
                    log(self.service, "commit_retry", error=error.str())
                    time.sleep(0.2)
                    continue
                raise

    def _abort(self) -> None:
        """Abort the open transaction, drop staged state and rewind to the committed offsets."""
        try:
            self.producer.abort_transaction(TXN_TIMEOUT_S)
        finally:
            self.aborted_batches += 1
            if self.on_abort is not None:
                self.on_abort()
            self.rewind()

    def rewind(self) -> None:
        """Seek every assigned partition back to its committed offset (or the beginning)."""
        assignment = self.consumer.assignment()
        if not assignment:
            return
        for tp in self.consumer.committed(assignment, timeout=TXN_TIMEOUT_S):
            offset = tp.offset if tp.offset >= 0 else OFFSET_BEGINNING
            self.consumer.seek(TopicPartition(tp.topic, tp.partition, offset))


def _describe(partitions: list[TopicPartition]) -> str:
    return ",".join(f"{tp.topic}[{tp.partition}]" for tp in partitions) or "-"
