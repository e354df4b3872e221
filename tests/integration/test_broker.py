"""The broker the kafka_cluster fixture gives is a real Kafka: idempotence, groups, transactions.

Each behaviour is one a fake broker (librdkafka's mock cluster, an in-memory stub) would not show
faithfully; each test also checks the opposite case so it could fail.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from confluent_kafka import OFFSET_BEGINNING, Consumer, KafkaError, Producer, TopicPartition
from confluent_kafka.admin import AdminClient, ConfigResource

from govern.errors import EnvironmentProblem
from govern.kafka import BrokerError, JvmKafka, KafkaAdmin, client_config, consume
from govern.kafka.broker import processes_using

pytestmark = pytest.mark.kafka

FLUSH_TIMEOUT_S = 30.0
"""Deadline for a producer to get every delivery report."""

TRANSACTION_TIMEOUT_S = 30.0
"""Deadline for init/commit/abort of a transaction."""

REBALANCE_TIMEOUT_S = 45.0
"""Deadline for a consumer group to settle on a new assignment."""


def _produce(producer: Producer, topic: str, values: list[str], *, key: str = "k") -> None:
    errors: list[KafkaError] = []
    for value in values:
        producer.produce(
            topic, key=key, value=value, on_delivery=lambda err, _msg: err and errors.append(err)
        )
    remaining = producer.flush(FLUSH_TIMEOUT_S)
    assert remaining == 0, f"{remaining} record(s) undelivered after {FLUSH_TIMEOUT_S} s"
    assert errors == []


def _read_to_end(consumer: Consumer, topic: str, *, timeout: float = 30.0) -> list[str]:
    """Values read from partition 0 until the consumer's position reaches the end (bounded)."""
    values: list[str] = []
    deadline = time.monotonic() + timeout
    while True:
        assert time.monotonic() < deadline, f"did not reach the end of {topic} within {timeout} s"
        message = consumer.poll(0.2)
        if message is not None and message.error() is None:
            values.append(message.value().decode())
        assignment = consumer.assignment()
        if not assignment:
            continue
        _, high = consumer.get_watermark_offsets(TopicPartition(topic, 0), timeout=5)
        position = consumer.position([TopicPartition(topic, 0)])[0].offset
        if message is None and position >= 0 and position >= high:
            return values


def test_idempotent_producer_and_group_resumes_after_committed_offset(
    kafka_cluster: str, kafka_admin: KafkaAdmin, unique_topic: Callable[..., str]
) -> None:
    topic = kafka_admin.create_topic(unique_topic())
    group = unique_topic("group")
    producer = Producer(client_config(kafka_cluster, **{"enable.idempotence": True, "acks": "all"}))
    _produce(producer, topic, [f"v{i}" for i in range(10)])
    assert kafka_admin.end_offsets(topic) == {0: 10}

    settings = {"group.id": group, "auto.offset.reset": "earliest", "enable.auto.commit": False}
    first = Consumer(client_config(kafka_cluster, **settings))
    first.subscribe([topic])
    seen: list[str] = []
    deadline = time.monotonic() + 30
    while len(seen) < 4:
        assert time.monotonic() < deadline, f"first consumer read only {seen}"
        message = first.poll(0.5)
        if message is not None and message.error() is None:
            seen.append(message.value().decode())
            first.commit(message=message, asynchronous=False)
    first.close()
    assert seen == ["v0", "v1", "v2", "v3"]

    second = Consumer(client_config(kafka_cluster, **settings))
    try:
        committed = second.committed([TopicPartition(topic, 0)], timeout=10)
        assert committed[0].offset == 4
        second.subscribe([topic])
        rest: list[tuple[int, str]] = []
        deadline = time.monotonic() + 30
        while len(rest) < 6:
            assert time.monotonic() < deadline, f"second consumer read only {rest}"
            message = second.poll(0.5)
            if message is not None and message.error() is None:
                rest.append((message.offset(), message.value().decode()))
    finally:
        second.close()
    assert rest == [(offset, f"v{offset}") for offset in range(4, 10)]


def test_read_committed_consumer_sees_only_committed_transactions(
    kafka_cluster: str, kafka_admin: KafkaAdmin, unique_topic: Callable[..., str]
) -> None:
    topic = kafka_admin.create_topic(unique_topic())
    producer = Producer(client_config(kafka_cluster, **{"transactional.id": unique_topic("tx")}))
    producer.init_transactions(TRANSACTION_TIMEOUT_S)

    producer.begin_transaction()
    _produce(producer, topic, ["committed-1", "committed-2"])
    producer.commit_transaction(TRANSACTION_TIMEOUT_S)

    producer.begin_transaction()
    _produce(producer, topic, ["aborted-1", "aborted-2"])
    producer.abort_transaction(TRANSACTION_TIMEOUT_S)

    producer.begin_transaction()
    _produce(producer, topic, ["committed-3"])
    producer.commit_transaction(TRANSACTION_TIMEOUT_S)

    def read(isolation: str) -> list[str]:
        consumer = Consumer(
            client_config(
                kafka_cluster,
                **{
                    "group.id": unique_topic(isolation),
                    "auto.offset.reset": "earliest",
                    "isolation.level": isolation,
                    "enable.auto.commit": False,
                    "fetch.wait.max.ms": 100,  # control records need their own fetch to move the position
                },
            )
        )
        try:
            consumer.assign([TopicPartition(topic, 0, OFFSET_BEGINNING)])  # no group join: faster
            return _read_to_end(consumer, topic)
        finally:
            consumer.close()

    assert read("read_committed") == ["committed-1", "committed-2", "committed-3"]
    # The aborted records are really in the log: a read_uncommitted consumer sees them.
    assert read("read_uncommitted") == ["committed-1", "committed-2", "aborted-1", "aborted-2", "committed-3"]


@pytest.mark.parametrize("protocol", ["classic", "consumer"])
def test_group_rebalances_partitions_between_two_consumers_and_back(
    kafka_cluster: str, kafka_admin: KafkaAdmin, unique_topic: Callable[..., str], protocol: str
) -> None:
    """Two members split four partitions; when one leaves the other owns all of them.

    `consumer` is the KIP-848 group protocol (new in Kafka 4), `classic` the join/sync one.
    """
    partitions = 4
    topic = kafka_admin.create_topic(unique_topic(), partitions=partitions)
    settings = {
        "group.id": unique_topic("group"),
        "auto.offset.reset": "earliest",
        "group.protocol": protocol,
    }
    if protocol == "classic":
        settings.update({"session.timeout.ms": 10_000, "heartbeat.interval.ms": 500})
    one = Consumer(client_config(kafka_cluster, **settings))
    two = Consumer(client_config(kafka_cluster, **settings))
    try:
        one.subscribe([topic])
        _poll_until(lambda: len(one.assignment()) == partitions, [one], "first member to own all partitions")

        two.subscribe([topic])
        _poll_until(
            lambda: (
                len(one.assignment()) >= 1
                and len(two.assignment()) >= 1
                and len(one.assignment()) + len(two.assignment()) == partitions
            ),
            [one, two],
            "both members to share the partitions",
        )
        owned_one = {tp.partition for tp in one.assignment()}
        owned_two = {tp.partition for tp in two.assignment()}
        assert owned_one.isdisjoint(owned_two)
        assert owned_one | owned_two == set(range(partitions))

        two.close()
        _poll_until(
            lambda: len(one.assignment()) == partitions, [one], "the remaining member to own everything"
        )
    finally:
        one.close()
        two.close()


def _poll_until(condition: Callable[[], bool], consumers: list[Consumer], what: str) -> None:
    deadline = time.monotonic() + REBALANCE_TIMEOUT_S
    while not condition():
        assert time.monotonic() < deadline, f"timed out after {REBALANCE_TIMEOUT_S} s waiting for {what}"
        for consumer in consumers:
            consumer.poll(0.1)


def test_admin_helpers_create_read_and_delete_topics(
    kafka_cluster: str, kafka_admin: KafkaAdmin, unique_topic: Callable[..., str]
) -> None:
    topic = kafka_admin.create_topic(unique_topic(), partitions=3, config={"cleanup.policy": "compact"})
    assert kafka_admin.partitions(topic) == 3
    resource = ConfigResource(ConfigResource.Type.TOPIC, topic)
    admin_client = AdminClient(client_config(kafka_cluster))  # keep a reference while the future runs
    described = admin_client.describe_configs([resource])[resource].result(10)
    assert described["cleanup.policy"].value == "compact"

    producer = Producer(client_config(kafka_cluster))
    for key in "abcdef":
        producer.produce(topic, key=key, value=f"value-{key}")
    assert producer.flush(FLUSH_TIMEOUT_S) == 0
    offsets = kafka_admin.end_offsets(topic)
    assert set(offsets) == {0, 1, 2} and sum(offsets.values()) == 6

    records = kafka_admin.consume(topic, 6)
    assert sorted(record.value().decode() for record in records) == [f"value-{key}" for key in "abcdef"]
    started = time.monotonic()
    with pytest.raises(EnvironmentProblem, match="read 6 of 7 record"):
        kafka_admin.consume(topic, 7, timeout=2)
    assert time.monotonic() - started < 10

    kafka_admin.delete_topic(topic)
    assert topic not in kafka_admin.list_topics()
    assert kafka_admin.partitions(topic) == 0


@pytest.mark.slow
def test_end_offsets_high_watermark_versus_last_stable_offset(
    kafka_cluster: str, kafka_admin: KafkaAdmin, unique_topic: Callable[..., str]
) -> None:
    topic = kafka_admin.create_topic(unique_topic())
    producer = Producer(client_config(kafka_cluster, **{"transactional.id": unique_topic("txn")}))
    producer.init_transactions(30)
    producer.begin_transaction()
    for i in range(3):
        producer.produce(topic, value=f"open-{i}".encode())
    producer.flush(30)
    # An open transaction: its records are in the log, but a read_committed reader stops before them.
    assert kafka_admin.end_offsets(topic) == {0: 3}
    assert kafka_admin.end_offsets(topic, committed=True) == {0: 0}
    producer.commit_transaction(30)
    # The broker writes the commit marker just after commit_transaction returns.
    deadline = time.monotonic() + 10
    while kafka_admin.end_offsets(topic, committed=True) != {0: 4} and time.monotonic() < deadline:
        time.sleep(0.05)
    assert kafka_admin.end_offsets(topic, committed=True) == {0: 4}  # 3 records + the commit marker
    missing = unique_topic("missing")
    assert kafka_admin.partitions(missing) == 0
    assert missing not in kafka_admin.list_topics()  # asking did not create it


def test_a_broker_that_dies_fails_fast_with_its_log(tmp_path: Path) -> None:
    """A second, private broker is killed; liveness checks and reads fail loudly within their bounds."""
    provider = JvmKafka(tmp_path / "kafka")
    bootstrap = provider.start()
    try:
        assert provider.broker is not None
        provider.check_alive()
        provider.broker._process.kill()  # type: ignore[union-attr]
        provider.broker._process.wait(10)  # type: ignore[union-attr]
        with pytest.raises(BrokerError) as raised:
            provider.check_alive()
        assert "exited" in raised.value.message
        assert raised.value.log_tail, "the error must carry the broker log's last lines"
        assert str(raised.value.log_path) in str(raised.value)
        started = time.monotonic()
        with pytest.raises(EnvironmentProblem, match="read 0 of 1 record"):
            consume(bootstrap, "anything", 1, timeout=3)
        assert time.monotonic() - started < 15
    finally:
        provider.stop()


@pytest.mark.docker
def test_testcontainers_provider_gives_a_working_kafka() -> None:
    """Only where a Docker engine answers (skipped otherwise by the govern plugin)."""
    from govern.kafka import TestcontainersKafka

    provider = TestcontainersKafka()
    bootstrap = provider.start()
    try:
        admin = KafkaAdmin(bootstrap)
        topic = admin.create_topic(f"govern-docker-{time.monotonic_ns()}")
        producer = Producer(client_config(bootstrap))
        _produce(producer, topic, ["hello"])
        assert [record.value() for record in consume(bootstrap, topic, 1)] == [b"hello"]
    finally:
        provider.stop()


_INNER_SESSION = """
import time
from confluent_kafka import Producer
from govern.kafka import client_config

def test_1_broker_is_killed(kafka_provider):
    kafka_provider.broker._process.kill()
    kafka_provider.broker._process.wait(10)

def test_2_later_test_fails_loudly(kafka_cluster):
    producer = Producer(client_config(kafka_cluster))
    producer.produce("t", b"v")
    assert producer.flush(60) == 0
"""


@pytest.mark.slow
def test_a_broker_dying_mid_session_fails_later_tests_fast_and_leaves_no_java(tmp_path: Path) -> None:
    """A pytest session of its own whose broker dies after the first test."""
    (tmp_path / "test_inner.py").write_text(_INNER_SESSION)
    env = {key: value for key, value in os.environ.items() if key != "KAFKA_BOOTSTRAP_SERVERS"}
    env["GOVERN_KAFKA_PROVIDER"] = "jvm"
    started = time.monotonic()
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "--basetemp",
            str(tmp_path / "base"),
        ],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert done.returncode == 1, done.stdout + done.stderr
    assert "test_2_later_test_fails_loudly" in done.stdout and "1 passed" in done.stdout
    assert "exited with code" in done.stdout and "last lines of" in done.stdout
    assert time.monotonic() - started < 60, "the dead broker must not make the test wait for its timeouts"
    assert processes_using(tmp_path / "base") == []
