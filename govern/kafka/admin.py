"""Admin helpers over confluent_kafka: readiness, topics, end offsets and bounded reads.

Every wait here has a deadline: a broker that dies must fail the caller with a clear error, never
hang it. librdkafka's own log lines go to the `govern.kafka.librdkafka` logger instead of stderr.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from confluent_kafka import (
    OFFSET_BEGINNING,
    Consumer,
    IsolationLevel,
    KafkaError,
    KafkaException,
    TopicPartition,
)
from confluent_kafka.admin import AdminClient, NewTopic, OffsetSpec

from govern.errors import EnvironmentProblem

READY_POLL_S = 0.25
"""Pause between two metadata requests while waiting for a cluster to answer."""

ADMIN_TIMEOUT_S = 30.0
"""Default deadline for one admin operation (create, delete, offsets) against a live cluster."""

CONSUME_TIMEOUT_S = 30.0
"""Default deadline for `consume()` to gather the records it was asked for."""

LIBRDKAFKA_LOGGER = logging.getLogger("govern.kafka.librdkafka")
"""Where librdkafka's log lines go (e.g. `FAIL ... Connection refused`), instead of stderr."""
LIBRDKAFKA_LOGGER.addHandler(logging.NullHandler())  # silent unless the application configures logging


def client_config(
    bootstrap: str, *, connection: Mapping[str, str] | None = None, **overrides: Any
) -> dict[str, Any]:
    """A confluent_kafka config for `bootstrap` whose librdkafka logs go to Python logging.

    `connection`: how to reach a secured cluster (govern.kafka.settings: SASL, TLS), for every
    client of that cluster. Keys in `overrides` use librdkafka's dotted names and win over it (what
    a client needs to do its job); pass them as a dict splat, e.g. `client_config(b, **{"group.id": "g"})`.
    """
    return {"bootstrap.servers": bootstrap, "logger": LIBRDKAFKA_LOGGER, **(connection or {}), **overrides}


def wait_for_cluster(
    bootstrap: str,
    timeout: float,
    *,
    check_alive: Callable[[], None] | None = None,
    connection: Mapping[str, str] | None = None,
) -> None:
    """Block until `bootstrap` answers a real metadata request listing at least one broker.

    `check_alive` is called between attempts and raises when the process behind the cluster is gone,
    so a crashed broker fails at once instead of at the deadline. Raises EnvironmentProblem on
    timeout, with librdkafka's own reason when it gave one (a refused login, a TLS handshake
    with a plain listener) rather than only "transport failure".
    """
    reasons: list[Any] = []  # KafkaErrors from the client's error callback, served by poll()
    admin = AdminClient(client_config(bootstrap, connection=connection, error_cb=reasons.append))
    deadline = time.monotonic() + timeout
    last_error = "no answer"
    while True:
        if check_alive is not None:
            check_alive()
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise _unreachable(bootstrap, timeout, last_error, reasons)
        try:
            metadata = admin.list_topics(timeout=min(2.0, max(remaining, 0.1)))
            if metadata.brokers:
                return
            last_error = "metadata listed no broker"
        except KafkaException as error:
            last_error = str(error.args[0]) if error.args else str(error)
            admin.poll(0)
        time.sleep(min(READY_POLL_S, max(deadline - time.monotonic(), 0)))


def _unreachable(bootstrap: str, timeout: float, last_error: str, reasons: list[Any]) -> EnvironmentProblem:
    """The timeout's error: the client's most telling reason (one that is not merely "all brokers
    are down"), and what to check for it."""
    telling = [r for r in reasons if r.code() != KafkaError._ALL_BROKERS_DOWN]
    reason = telling[-1] if telling else None
    if reason is not None and reason.code() == KafkaError._AUTHENTICATION:
        hint = "the cluster refused the login: check the SASL settings (--kafka-config, GOVERN_KAFKA_CONFIG)"
    else:
        hint = (
            "check that the cluster runs and that the address is reachable from here; a cluster that "
            "needs a login or TLS takes its settings from --kafka-config or GOVERN_KAFKA_CONFIG"
        )
    detail = reason.str() if reason is not None else last_error
    return EnvironmentProblem(
        f"Kafka at {bootstrap} did not answer a metadata request within {timeout:g} s ({detail})", hint=hint
    )


def is_reachable(
    bootstrap: str, timeout: float = 5.0, *, connection: Mapping[str, str] | None = None
) -> bool:
    """True when `bootstrap` answers a metadata request within `timeout` seconds."""
    try:
        wait_for_cluster(bootstrap, timeout, connection=connection)
    except EnvironmentProblem:
        return False
    return True


class KafkaAdmin:
    """Topic administration for tests and tools: create and wait, delete, end offsets, bounded reads."""

    def __init__(
        self,
        bootstrap: str,
        *,
        timeout: float = ADMIN_TIMEOUT_S,
        connection: Mapping[str, str] | None = None,
        **settings: Any,
    ) -> None:
        self.bootstrap = bootstrap
        self.timeout = timeout
        self.connection = dict(connection or {})
        self._admin = AdminClient(client_config(bootstrap, connection=self.connection, **settings))
        self.created: list[str] = []

    def create_topic(
        self,
        name: str,
        partitions: int = 1,
        config: dict[str, str] | None = None,
        *,
        replication_factor: int = 1,
    ) -> str:
        """Create `name` and wait until every partition has a leader; returns the name.

        Waiting matters: a producer racing topic creation gets UNKNOWN_TOPIC_OR_PART otherwise.
        """
        topic = NewTopic(
            name,
            num_partitions=partitions,
            replication_factor=replication_factor,
            config=dict(config or {}),
        )
        futures = self._admin.create_topics(
            [topic], operation_timeout=self.timeout, request_timeout=self.timeout
        )
        _result(futures[name], self.timeout, f"create topic {name!r}")
        self._wait(
            lambda: self._partitions_with_leader(name) == partitions,
            f"topic {name!r} to have a leader for all {partitions} partition(s)",
        )
        self.created.append(name)
        return name

    def delete_topic(self, name: str) -> None:
        """Delete `name` and wait until metadata no longer lists it."""
        futures = self._admin.delete_topics(
            [name], operation_timeout=self.timeout, request_timeout=self.timeout
        )
        _result(futures[name], self.timeout, f"delete topic {name!r}")
        self._wait(lambda: name not in self.list_topics(), f"topic {name!r} to disappear")
        if name in self.created:
            self.created.remove(name)

    def delete_created_topics(self) -> None:
        """Delete every topic this admin created and has not deleted yet (test clean-up)."""
        for name in list(self.created):
            self.delete_topic(name)

    def list_topics(self) -> set[str]:
        """Names of the cluster's topics, internal ones included."""
        return set(self._admin.list_topics(timeout=self.timeout).topics)

    def partition_counts(self) -> dict[str, int]:
        """Every topic the cluster lists (without errors), with its partition count."""
        # all topics: a metadata request naming a missing topic makes brokers with
        # auto.create.topics.enable create it with default settings
        metadata = self._admin.list_topics(timeout=self.timeout)
        return {name: len(t.partitions) for name, t in metadata.topics.items() if t.error is None}

    def latest_offsets(self, partitions: list[TopicPartition], *, committed: bool) -> dict[Any, Any]:
        """One ListOffsets request for the latest offsets of `partitions` (the last stable ones
        with `committed`), answered as {TopicPartition: future}."""
        isolation = IsolationLevel.READ_COMMITTED if committed else IsolationLevel.READ_UNCOMMITTED
        return self._admin.list_offsets(  # type: ignore[no-any-return]
            {tp: OffsetSpec.latest() for tp in partitions},
            isolation_level=isolation,
            request_timeout=self.timeout,
        )

    def partitions(self, name: str) -> int:
        """How many partitions `name` has (0 when it does not exist)."""
        topic = self._topic_metadata(name)
        return 0 if topic is None or topic.error is not None else len(topic.partitions)

    def end_offsets(self, name: str, *, committed: bool = False) -> dict[int, int]:
        """The high watermark of every partition of `name` (the offset the next record will get).

        With `committed`, the last stable offset instead: where a read_committed consumer stops,
        i.e. before the first record of a transaction still open.
        """
        isolation = "read_committed" if committed else "read_uncommitted"
        consumer = Consumer(
            client_config(
                self.bootstrap,
                connection=self.connection,
                **{"group.id": "govern-end-offsets", "isolation.level": isolation},
            )
        )
        try:
            result = {}
            for partition in range(self.partitions(name)):
                _, high = consumer.get_watermark_offsets(
                    TopicPartition(name, partition), timeout=self.timeout
                )
                result[partition] = high
            return result
        finally:
            consumer.close()

    def consume(
        self,
        name: str,
        count: int,
        *,
        timeout: float = CONSUME_TIMEOUT_S,
        config: dict[str, Any] | None = None,
    ) -> list[Any]:
        """Read `count` records of `name` from the beginning, failing after `timeout` seconds."""
        return consume(
            self.bootstrap, name, count, timeout=timeout, config={**self.connection, **(config or {})}
        )

    def close(self) -> None:
        """Nothing to release today; kept so callers can treat the admin as a resource."""

    def _topic_metadata(self, name: str) -> Any:
        # Ask for all topics: a metadata request naming a missing topic makes a broker with
        # auto.create.topics.enable (Kafka's default) create it.
        return self._admin.list_topics(timeout=self.timeout).topics.get(name)

    def _partitions_with_leader(self, name: str) -> int:
        topic = self._topic_metadata(name)
        if topic is None or topic.error is not None:
            return -1
        return sum(1 for partition in topic.partitions.values() if partition.leader >= 0)

    def _wait(self, condition: Callable[[], bool], what: str) -> None:
        deadline = time.monotonic() + self.timeout
        while not condition():
            if time.monotonic() > deadline:
                raise EnvironmentProblem(
                    f"timed out after {self.timeout:g} s waiting for {what} on {self.bootstrap}",
                    hint="the broker may be down or overloaded; see its log (`govern broker status`)",
                )
            time.sleep(0.05)


def consume(
    bootstrap: str,
    topic: str | Iterable[str],
    count: int,
    *,
    timeout: float = CONSUME_TIMEOUT_S,
    config: dict[str, Any] | None = None,
) -> list[Any]:
    """Read the first `count` records of `topic` (every partition, from the beginning).

    Partitions are assigned directly, not through a consumer group, so no group join slows it and
    no offsets are committed; it waits for topics that do not exist yet. Raises EnvironmentProblem
    naming how many arrived when the deadline passes, so tests fail loudly and in bounded time
    when the broker dies or the records never come. `config` may set e.g. `isolation.level`.
    """
    topics = [topic] if isinstance(topic, str) else list(topic)
    settings = {"group.id": "govern-consume", "enable.auto.commit": False, **(config or {})}
    consumer = Consumer(client_config(bootstrap, **settings))
    records: list[Any] = []
    deadline = time.monotonic() + timeout
    try:
        assigned = False
        while len(records) < count:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise EnvironmentProblem(
                    f"read {len(records)} of {count} record(s) from {', '.join(topics)} within {timeout:g} s",
                    hint="the broker may be down, or fewer records were written than expected",
                )
            if not assigned:
                partitions = _all_partitions(consumer, topics, min(remaining, 2.0))
                if not partitions:
                    time.sleep(min(0.1, max(remaining, 0)))
                    continue
                consumer.assign(partitions)
                assigned = True
            message = consumer.poll(min(remaining, 0.5))
            if message is None:
                continue
            if message.error() is not None:
                if message.error().fatal():
                    raise EnvironmentProblem(f"consumer failed: {message.error()}")
                continue
            records.append(message)
        return records
    finally:
        consumer.close()


def _all_partitions(consumer: Consumer, topics: list[str], timeout: float) -> list[TopicPartition]:
    """Every partition of `topics` from the beginning, or [] while any topic is missing."""
    try:
        metadata = consumer.list_topics(timeout=max(timeout, 0.1))
    except KafkaException:
        return []
    partitions = []
    for name in topics:
        found = metadata.topics.get(name)
        if found is None or found.error is not None or not found.partitions:
            return []
        partitions += [TopicPartition(name, number, OFFSET_BEGINNING) for number in sorted(found.partitions)]
    return partitions


def _result(future: Any, timeout: float, what: str) -> Any:
    try:
        return future.result(timeout=timeout)
    except KafkaException as error:
        raise EnvironmentProblem(
            f"could not {what}: {error.args[0] if error.args else error}",
            hint="check the broker log (`govern broker status` prints its path)",
        ) from error
    except TimeoutError as error:
        raise EnvironmentProblem(
            f"could not {what} within {timeout:g} s", hint="is the broker still up?"
        ) from error
