"""The exactly-once consume-transform-produce loop (Kafka transactions, KIP-447 style).

One transactional producer per service instance with a stable `transactional.id` (a restart
fences its previous incarnation and aborts what it left open), one consumer in the service's
group with `isolation.level=read_committed` and `enable.auto.commit=false`. Per batch:

    process(messages) stages state and collects outputs
    begin -> produce the outputs -> send_offsets_to_transaction(positions, group metadata) -> commit

so outputs, state and input offsets become visible together or not at all.

Pipelined: a batch's transaction (begin to commit) runs on a background thread while the next
batch is polled and processed. Most of a transaction is waiting on the broker (the coordinator
writes the previous transaction's markers; the commit's round trips), so the service's own work
hides behind it. The next batch is processed against the state staged by the one still
committing (`StagedState` keeps one layer per batch); its transaction begins only once the
previous one committed. When a transaction must be aborted, every staged layer is dropped
(`on_abort` too) and the consumer is rewound to its committed offsets, so the batch in flight
and the one processed behind it are processed again from scratch.

A fatal error (fenced by a newer instance, a bug in `process`) stops the loop with the
exception: restarting the process is the recovery, and it is safe because nothing half-done was
committed. SIGTERM (via `stop`) finishes the current batch, commits it and leaves the group.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
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
    """A dict whose writes are staged per batch until `commit()` and dropped by `rollback()`.

    The transactions' in-memory twin. `stage()` opens a batch's layer on top of the layers of the
    batches still committing; reads see the newest write. `commit()` makes the oldest layer
    committed state (its transaction committed), `rollback()` drops every layer (a transaction
    aborted: the batches behind it are redone too), `fold()` merges the newest layer into the
    one below, or commits it when it is the only one (a batch with nothing to commit in Kafka:
    its writes go with the batch before it).
    """

    def __init__(self) -> None:
        self.committed: dict[K, V] = {}
        self._layers: list[dict[K, Any]] = []

    def get(self, key: K, default: Any = None) -> Any:
        for layer in reversed(self._layers):
            if key in layer:
                value = layer[key]
                return default if value is _DELETED else value
        return self.committed.get(key, default)

    def __contains__(self, key: object) -> bool:
        return self.get(key, _DELETED) is not _DELETED  # type: ignore[arg-type]

    def __setitem__(self, key: K, value: V) -> None:
        if not self._layers:
            self._layers.append({})
        self._layers[-1][key] = value

    def delete(self, key: K) -> None:
        if not self._layers:
            self._layers.append({})
        self._layers[-1][key] = _DELETED

    def items(self) -> Iterator[tuple[K, V]]:
        """Committed items overlaid with staged ones."""
        merged: dict[K, Any] = dict(self.committed)
        for layer in self._layers:
            merged.update(layer)
        return ((k, v) for k, v in merged.items() if v is not _DELETED)

    def stage(self) -> None:
        self._layers.append({})

    def fold(self) -> None:
        if len(self._layers) > 1:
            self._layers[-2].update(self._layers.pop())
        else:  # no batch before it is still committing
            self.commit()

    def commit(self) -> None:
        if not self._layers:
            return
        for key, value in self._layers.pop(0).items():
            if value is _DELETED:
                self.committed.pop(key, None)
            else:
                self.committed[key] = value

    def rollback(self) -> None:
        self._layers.clear()


Output = tuple[str, str, "bytes | None", int]
"""One output record of a batch: topic, key, value, partition (-1: the key's partitioner)."""


class Batch:
    """The outputs of one batch, produced in its transaction once the previous one committed."""

    def __init__(self) -> None:
        self.records: list[Output] = []

    def produce(self, topic: str, key: str, value: bytes | None, *, partition: int | None = None) -> None:
        """Add one record to the batch's transaction (`partition` None: the key's partitioner).

        Kept lean, it runs once per output record: partition -1 is librdkafka's "unassigned"
        (the partitioner decides), the client's default.
        """
        self.records.append((topic, key, value, -1 if partition is None else partition))

    @property
    def produced(self) -> int:
        return len(self.records)


Process = Callable[[list[Message], Batch], None]


class EosLoop:
    """Runs `process` over batches of `inputs` in Kafka transactions until `stop` is set.

    `states` returns the service's `StagedState`s (looked up per batch: a rebalance may replace
    them); the loop stages, commits and rolls them back with the transactions.
    """

    def __init__(
        self,
        config: ServiceConfig,
        service: str,
        inputs: list[str],
        process: Process,
        *,
        states: Callable[[], Iterable[StagedState[Any, Any]]] = tuple,
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
        self.states = states
        self.on_assign = on_assign
        self.on_revoke = on_revoke
        self.on_commit = on_commit
        self.on_abort = on_abort
        self.batch_size = batch_size
        self.poll_timeout = poll_timeout
        self.committed_batches = 0
        self.seconds = {"process": 0.0, "wait": 0.0}  #: processing, and waiting for the previous commit
        self.aborted_batches = 0
        self.ready = threading.Event()  #: set once the first assignment was restored
        self._committer = ThreadPoolExecutor(1, thread_name_prefix=f"{service}-txn")
        self._inflight: Future[None] | None = None
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
        self._settle(rewind=False)
        log(self.service, "assigned", partitions=_describe(partitions))
        if self.on_assign is not None:
            self.on_assign(partitions)
        self.ready.set()

    def _revoked(self, consumer: Consumer, partitions: list[TopicPartition]) -> None:
        self._settle(rewind=False)  # the batch in flight commits with the offsets of its partitions
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
                self._step(self._poll())
            self._settle()
        finally:
            self._committer.shutdown(wait=True)
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

    def _step(self, messages: list[Message]) -> None:
        """Process one batch while the previous transaction commits, then start the batch's own."""
        if self._inflight is not None and self._inflight.done() and not self._settle():
            return  # aborted: rewound to the committed offsets, these messages come again
        batch = Batch()
        states = list(self.states())
        for state in states:
            state.stage()
        started = time.perf_counter()
        try:
            self.process(messages, batch)
        except BaseException:
            self._settle()  # what the previous batch did still commits; this one is redone on restart
            raise
        done = time.perf_counter()
        self.seconds["process"] += done - started
        if not messages and not batch.records:
            for state in states:
                state.fold()  # nothing to commit: its writes (if any) go with the batch before it
            return
        positions = [tp for tp in self.consumer.position(self.consumer.assignment()) if tp.offset >= 0]
        metadata = self.consumer.consumer_group_metadata() if messages else None
        committed = self._settle()
        self.seconds["wait"] += time.perf_counter() - done
        if committed:
            self._inflight = self._committer.submit(self._transact, batch.records, positions, metadata)
        # else: the previous transaction aborted; everything since the committed offsets (this
        # batch too) was rolled back and will be consumed again

    def _transact(self, records: list[Output], positions: list[TopicPartition], metadata: Any) -> None:
        """One batch's transaction (on the committer thread): begin, produce, offsets, commit."""
        producer = self.producer
        producer.begin_transaction()
        produce = producer.produce
        for topic, key, value, partition in records:
            while True:
                try:
                    produce(topic, key=key, value=value, partition=partition)
                    break
                except BufferError:  # local queue full: let deliveries drain, then retry
                    producer.poll(0.05)
        if metadata is not None:
            producer.send_offsets_to_transaction(positions, metadata, TXN_TIMEOUT_S)
        for attempt in range(10):
            try:
                producer.commit_transaction(TXN_TIMEOUT_S)
                return
            except KafkaException as exc:
                error: KafkaError = exc.args[0]
                if error.retriable() and attempt < 9:
                    log(self.service, "commit_retry", error=error.str())
                    time.sleep(0.2)
                    continue
                raise

    def _settle(self, *, rewind: bool = True) -> bool:
        """Wait for the transaction in flight: True when it committed (or none was in flight),
        False when it was aborted (state rolled back, the consumer rewound unless `rewind` is off)."""
        inflight, self._inflight = self._inflight, None
        if inflight is None:
            return True
        try:
            inflight.result()
        except KafkaException as exc:
            error: KafkaError = exc.args[0]
            if not error.txn_requires_abort():
                raise
            log(self.service, "abort", error=error.str())
            self._abort(rewind)
            return False
        except BaseException:
            self._abort(rewind)
            raise
        self.committed_batches += 1
        for state in self.states():
            state.commit()
        if self.on_commit is not None:
            self.on_commit()
        return True

    def _abort(self, rewind: bool = True) -> None:
        """Abort the open transaction, drop staged state and rewind to the committed offsets."""
        try:
            self.producer.abort_transaction(TXN_TIMEOUT_S)
        finally:
            self.aborted_batches += 1
            for state in self.states():
                state.rollback()
            if self.on_abort is not None:
                self.on_abort()
            if rewind:
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
