"""Record's consume stage: a read_committed consumer, the plan of what to read (start and end
offsets per partition), and the batches up to those ends."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import suppress
from dataclasses import dataclass
from typing import Any

from confluent_kafka import OFFSET_BEGINNING, Consumer, KafkaException, TopicPartition

from govern.errors import EnvironmentProblem, InputError
from govern.kafka import client_config, wait_for_cluster
from govern.recording.format import TopicInfo

__all__ = ["BATCH", "StartAt", "consumer_config", "next_batch", "open_consumer", "plan", "reach"]

BATCH = 500
"""Messages fetched per consume() call: fewer than the cycle collector's first threshold (700 new
tracked objects), so a batch's `Message` objects are freed before a collection runs. With 2,000
the collector ran ~200 times while 200,000 messages were recorded (0.08-0.12 s of ~0.55 s, one
or two of them full collections), scanning each batch's messages as it went; consume() itself
took half the time. 10,000 was no faster and changed which partition's records come first in a
small recording (the e2e test reads the first line)."""


@dataclass(frozen=True)
class StartAt:
    """Where recording starts in every partition: the beginning, an offset, or a time (epoch ms)."""

    kind: str = "beginning"  # beginning | offset | time
    value: int = 0

    @classmethod
    def beginning(cls) -> StartAt:
        return cls("beginning")

    @classmethod
    def offset(cls, offset: int) -> StartAt:
        return cls("offset", offset)

    @classmethod
    def time(cls, epoch_ms: int) -> StartAt:
        return cls("time", epoch_ms)


def reach(
    consumer: Consumer,
    bootstrap: str,
    topic: str,
    timeout: float,
    connection: Mapping[str, str] | None = None,
) -> None:
    """Return once the cluster answers the consumer's metadata request (a few ms without sparse
    connections); when it does not, `wait_for_cluster`, started alongside, decides and words the
    error as for every command. On success nothing waits for that check (its own new client
    takes ~55 ms; it ends by itself)."""
    pool = ThreadPoolExecutor(1, thread_name_prefix="govern-record-reach")
    check = pool.submit(wait_for_cluster, bootstrap, timeout, connection=connection)
    pool.shutdown(wait=False)
    with suppress(KafkaException):
        if consumer.list_topics(topic, timeout=timeout).brokers:
            return
    check.result()


def open_consumer(bootstrap: str, connection: Mapping[str, str] | None = None) -> Consumer:
    """A read_committed consumer for explicit assignment (a throwaway group; nothing committed)."""
    return Consumer(consumer_config(bootstrap, connection))


def consumer_config(bootstrap: str, connection: Mapping[str, str] | None = None) -> dict[str, Any]:
    """The recorder's consumer settings (`connection`: a secured cluster's, govern.kafka.settings)."""
    return client_config(
        bootstrap,
        connection=connection,
        **{
            "group.id": f"govern-record-{uuid.uuid4().hex}",
            "enable.auto.commit": False,
            "enable.auto.offset.store": False,
            "isolation.level": "read_committed",
            "enable.partition.eof": True,
            "auto.offset.reset": "earliest",
            "fetch.max.bytes": 64 * 1024 * 1024,
            "queued.max.messages.kbytes": 256 * 1024,
            # librdkafka stops fetching a partition while its queue is over the thresholds
            # and (by default) waits 1 s before fetching again: the recorder then sat idle
            # for most of a second once or twice per recording. Fetch again soon instead.
            "fetch.queue.backoff.ms": 10,
            # Sparse connections delay a new client's first request by ~55 ms (a reconnect
            # backoff); the consumer needs its connections at once anyway.
            "enable.sparse.connections": False,
        },
    )


def plan(
    consumer: Consumer, topics: Sequence[str], start: StartAt, timeout: float
) -> tuple[list[TopicInfo], list[TopicPartition], dict[tuple[str, int], int]]:
    """Per partition: start offset (as asked) and end offset (last committed, seen now)."""
    infos, assignment, ends = [], [], {}
    for topic in topics:
        try:
            metadata = consumer.list_topics(topic, timeout=timeout).topics.get(topic)
        except KafkaException as error:
            raise EnvironmentProblem(f"cannot read metadata of topic {topic!r}: {error}") from None
        if metadata is None or metadata.error is not None or not metadata.partitions:
            raise InputError(f"topic {topic!r} does not exist", hint="check the name (kcat -L lists topics)")
        partitions = sorted(metadata.partitions)
        starts: dict[int, int] = {}
        end_offsets: dict[int, int] = {}
        wanted = []
        for p in partitions:
            low, high = consumer.get_watermark_offsets(TopicPartition(topic, p), timeout=timeout)
            end_offsets[p] = high
            starts[p] = low if start.kind != "offset" else min(max(start.value, low), high)
            wanted.append(TopicPartition(topic, p, start.value))
        if start.kind == "time":
            for tp in consumer.offsets_for_times(wanted, timeout=timeout):
                starts[tp.partition] = end_offsets[tp.partition] if tp.offset < 0 else tp.offset
        for p in partitions:
            ends[(topic, p)] = end_offsets[p]
            assignment.append(TopicPartition(topic, p, starts[p] if starts[p] >= 0 else OFFSET_BEGINNING))
        infos.append(TopicInfo(topic, len(partitions), starts, end_offsets))
    return infos, assignment, ends


def next_batch(
    fetch: Callable[[int, float], Any],
    positions: Callable[[list[tuple[str, int]]], list[tuple[str, int, int]]],
    pending: set[tuple[str, int]],
    ends: dict[tuple[str, int], int],
    follow: bool,
    last_progress: float,
    timeout: float,
) -> Any:
    """The next batch of `fetch(count, wait_s)` (either loop's consumer); empty when nothing came
    yet (ask again), None when reading is over (every partition done, or `follow` went quiet).

    fetch(n, timeout) waits until it has n messages or the timeout passed: take what is queued
    without waiting, and wait for one message only when nothing is (else the last, short batch of
    a recording would always cost the whole timeout)."""
    got = fetch(BATCH, 0)
    if not got and not follow:  # done but for transaction markers: no need to wait
        drop_finished(positions, pending, ends)
        if not pending:
            return None
    if not got:
        got = fetch(1, 0.2)
    if not got:
        if _stalled(last_progress, timeout, follow, pending):
            return None
        if not follow:
            drop_finished(positions, pending, ends)
    return got


def _stalled(last_progress: float, timeout: float, follow: bool, pending: set[tuple[str, int]]) -> bool:
    """After an empty wait: True when following and quiet for `timeout` (the recording ends);
    EnvironmentProblem when not following and no record came for `timeout` seconds."""
    if time.monotonic() - last_progress <= timeout:
        return False
    if follow:
        return True
    left = ", ".join(f"{t}[{p}]" for t, p in sorted(pending))
    raise EnvironmentProblem(
        f"no progress for {timeout:g} s while reading {left} up to its end offset",
        hint="is the broker still up? raise --timeout for a slow cluster",
    )


def drop_finished(
    positions: Callable[[list[tuple[str, int]]], list[tuple[str, int, int]]],
    pending: set[tuple[str, int]],
    ends: dict[tuple[str, int], int],
) -> None:
    """Partitions whose position passed their end offset (e.g. only transaction markers were left);
    `positions` is the consumer's position() as (topic, partition, offset) tuples."""
    for topic, partition, offset in positions(list(pending)):
        if offset >= 0 and offset >= ends[(topic, partition)]:
            pending.discard((topic, partition))
