"""How a team tests one service with Kafka alone, driven by a committed hand-written fixture.

The service under test is a tiny consume-transform-produce function: it reads deposit, withdraw
and exchange requests and publishes a fee for each (0.1 % of the amount, exact decimals). The
fixture tests/data/topics/transaction-request.jsonl is replayed into a fresh topic (schemas
registered in the session's embedded registry), the function runs, and `topic_reader` hands the
output back decoded for plain assertions. No mocks: real Kafka, real registry, real wire format.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

from confluent_kafka import Consumer, Producer

from govern.kafka import KafkaAdmin, client_config
from govern.registry import Client
from govern.serde import Deserializer, Serializer

FIXTURE = Path(__file__).resolve().parents[1] / "data" / "topics" / "transaction-request.jsonl"

FEE = {
    "type": "record",
    "name": "Fee",
    "namespace": "io.example",
    "fields": [
        {"name": "guid", "type": "string"},
        {"name": "fee", "type": {"type": "bytes", "logicalType": "decimal", "precision": 24, "scale": 8}},
        {"name": "currency", "type": "string"},
    ],
}


def charge_fees(bootstrap: str, registry: str, source: str, target: str, *, expect: int) -> None:
    """The service under test: one fee per request, tombstones skipped."""
    with Client(registry) as client:
        decode, encode = Deserializer(client), Serializer(client, f"{target}-value", FEE)
        consumer = Consumer(
            client_config(bootstrap, **{"group.id": f"fees-{source}", "auto.offset.reset": "earliest"})
        )
        producer = Producer(client_config(bootstrap))
        consumer.subscribe([source])
        seen, deadline = 0, time.monotonic() + 30
        while seen < expect and time.monotonic() < deadline:
            message = consumer.poll(0.5)
            if message is None or message.error():
                continue
            seen += 1
            if message.value() is None:
                continue
            request = decode(message.value())
            fee = (request["amount"] * Decimal("0.001")).quantize(Decimal("0.00000001"))
            producer.produce(
                target,
                encode({"guid": str(request["guid"]), "fee": fee, "currency": request["currency"]}),
                message.key(),
            )
        producer.flush(10)
        consumer.close()


def test_fees_for_replayed_requests(
    kafka_cluster: str,
    kafka_admin: KafkaAdmin,
    registry: str,
    replay: Callable[..., object],
    topic_reader: Callable[..., list[dict]],
    unique_topic: Callable[..., str],
) -> None:
    requests, fees = unique_topic("requests"), kafka_admin.create_topic(unique_topic("fees"), 1)

    replay(FIXTURE, topic=requests)  # creates the topic with the recorded 3 partitions
    charge_fees(kafka_cluster, registry, requests, fees, expect=5)

    out = {r["value"]["guid"][-4:]: r for r in topic_reader(fees, count=4)}
    assert {k: (r["key"], r["value"]["fee"], r["value"]["currency"]) for k, r in out.items()} == {
        "0001": ("acc-1", "0.10000000", "USD"),
        "0002": ("acc-1", "0.00012346", "BTC"),
        "0003": ("acc-2", "2.50000000", "EUR"),
        "0004": ("acc-3", "0.00000000", "BTC"),
    }


def test_replay_of_in_line_records_and_reading_them_back(
    replay: Callable[..., object], topic_reader: Callable[..., list[dict]], unique_topic: Callable[..., str]
) -> None:
    topic = unique_topic("inline")
    schemas = {"fee": FEE}
    replay(
        [
            {
                "key": "a",
                "schema": "fee",
                "value": {"guid": "g1", "fee": "1.5", "currency": "USD"},
                "headers": [["h", "1"], ["h", {"base64": "AP8="}]],
                "timestamp": "2026-01-01T00:00:00Z",
            },
            {"key": "a", "value": None},
        ],
        topic=topic,
        schemas=schemas,
    )
    first, tombstone = topic_reader(topic)
    assert first["value"] == {"guid": "g1", "fee": "1.50000000", "currency": "USD"}
    assert first["headers"] == [["h", "1"], ["h", {"base64": "AP8="}]]
    assert first["timestamp"] == 1767225600000
    assert tombstone["value"] is None and tombstone["key"] == "a"
