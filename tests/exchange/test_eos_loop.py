"""The pipelined exactly-once loop on real Kafka: an aborted transaction is redone with the batch
processed behind it, and nothing is applied or written twice."""

from __future__ import annotations

import secrets
from collections import Counter

import pytest
from confluent_kafka import Message, Producer
from exchange_testing import Running

from govern.kafka import KafkaAdmin, client_config
from services.common import Batch, EosLoop, ServiceConfig, StagedState
from services.common.topics import wait_for

pytestmark = pytest.mark.kafka

COUNT = 40


def test_an_aborted_transaction_redoes_its_batch_and_the_one_processed_behind_it(
    kafka_cluster: str, registry: str
) -> None:
    prefix = f"eos{secrets.token_hex(4)}-"
    config = ServiceConfig(kafka_cluster, registry, topic_prefix=prefix)
    admin = KafkaAdmin(kafka_cluster)
    source = admin.create_topic(f"{prefix}in", 1)
    out = admin.create_topic(f"{prefix}out", 1)
    small = admin.create_topic(f"{prefix}small", 1, {"max.message.bytes": "1000"})
    try:
        producer = Producer(client_config(kafka_cluster))
        for n in range(COUNT):
            producer.produce(source, key=str(n), value=str(n).encode())
        assert producer.flush(30) == 0

        applied: StagedState[int, int] = StagedState()
        seen: Counter[int] = Counter()

        def process(messages: list[Message], batch: Batch) -> None:
            for msg in messages:
                n = int(msg.value())
                seen[n] += 1
                applied[n] = applied.get(n, 0) + 1
                batch.produce(out, str(n), msg.value())
                if n == 17 and seen[n] == 1:  # over the topic's max.message.bytes: the commit aborts
                    batch.produce(small, "big", b"x" * 5000)

        loop = EosLoop(config, "eos-test", [source], process, states=lambda: (applied,), batch_size=5)
        with Running(loop):
            wait_for(lambda: len(applied.committed) == COUNT, timeout=60, what="every input committed")

        assert loop.aborted_batches >= 1 and seen[17] == 2
        # the batch after the aborted one was processed while it committed, and again after the abort
        assert any(seen[n] == 2 for n in range(20, COUNT))
        assert applied.committed == {n: 1 for n in range(COUNT)}  # no speculative write survived
        written = _read_committed(kafka_cluster, out, COUNT)
        assert sorted(written) == list(range(COUNT))  # each input answered exactly once
    finally:
        admin.delete_created_topics()


def _read_committed(bootstrap: str, topic: str, count: int) -> list[int]:
    from confluent_kafka import OFFSET_BEGINNING, Consumer, TopicPartition

    consumer = Consumer(
        client_config(
            bootstrap,
            **{"group.id": f"read-{secrets.token_hex(4)}", "isolation.level": "read_committed"},
        )
    )
    consumer.assign([TopicPartition(topic, 0, OFFSET_BEGINNING)])
    values: list[int] = []
    try:
        for _ in range(100):
            for msg in consumer.consume(100, 0.2):
                if msg.error() is None:
                    values.append(int(msg.value()))
            if len(values) >= count:
                break
        for msg in consumer.consume(100, 0.5):  # nothing more may follow
            if msg.error() is None:
                values.append(int(msg.value()))
    finally:
        consumer.close()
    return values
