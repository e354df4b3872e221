"""govern serves a `_schemas` topic written in Confluent's format, and writes that format itself.

The topic is filled from tests/data/registry/confluent_schemas_topic.jsonl (Confluent's record
format: several subjects and versions, a shared schema, soft and permanent deletes, configs, a
mode); govern must serve the same ids, versions, configs and modes, and what it writes must be
records Confluent writes (canonical keys, its value fields), read back the same by a new instance.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest
from confluent_kafka import Consumer, Producer, TopicPartition
from registry_stores import kafka_store

from govern.registry.server.run import serve_in_thread

pytestmark = pytest.mark.kafka

DATA = Path(__file__).resolve().parents[1] / "data" / "registry" / "confluent_schemas_topic.jsonl"


def fill(bootstrap: str, topic: str) -> None:
    producer = Producer({"bootstrap.servers": bootstrap, "enable.idempotence": True})
    for line in DATA.read_text().splitlines():
        record = json.loads(line)
        value = None if record["value"] is None else record["value"].encode()
        producer.produce(topic, key=record["key"].encode(), value=value, partition=0)
    assert producer.flush(30) == 0


def records(bootstrap: str, topic: str) -> list[tuple[dict[str, Any], Any, bytes]]:
    """Every committed record of the topic: (key, value or None, raw key bytes)."""
    settings = {"group.id": "interop", "isolation.level": "read_committed", "enable.partition.eof": True}
    consumer = Consumer({"bootstrap.servers": bootstrap, **settings})
    consumer.assign([TopicPartition(topic, 0, 0)])
    found = []
    while True:
        message = consumer.poll(10)
        assert message is not None, "no end of partition within 10 s"
        if message.error() is not None:
            break  # the end of the partition
        value = None if message.value() is None else json.loads(message.value())
        found.append((json.loads(message.key()), value, message.key()))
    consumer.close()
    return found


@pytest.fixture
def topic(kafka_admin: Any, unique_topic: Any) -> str:
    name = unique_topic("schemas")
    kafka_admin.create_topic(name, partitions=1, config={"cleanup.policy": "compact"})
    return name


def test_govern_serves_a_confluent_topic_and_writes_its_format(kafka_cluster: str, topic: str) -> None:
    fill(kafka_cluster, topic)
    with serve_in_thread(kafka_store(kafka_cluster, topic)) as url:
        get = lambda path, **params: httpx.get(url + path, params=params)  # noqa: E731
        assert get("/subjects").json() == ["frozen-value", "orders-value", "payments-value"]
        assert get("/subjects", deleted="true").json() == [
            "frozen-value",
            "legacy-value",
            "orders-value",
            "payments-value",
            "users-value",
        ]
        assert get("/subjects/orders-value/versions").json() == [1, 2]
        assert [get(f"/subjects/orders-value/versions/{v}").json()["id"] for v in (1, 2)] == [1, 2]
        assert get("/subjects/payments-value/versions/1").json()["id"] == 1
        assert get("/schemas/ids/1/subjects").json() == ["orders-value", "payments-value"]
        assert get("/subjects/users-value/versions").status_code == 404  # soft-deleted
        assert get("/subjects/users-value/versions/1", deleted="true").json()["id"] == 3
        assert get("/subjects/legacy-value/versions", deleted="true").json() == [2]  # v1 permanently deleted
        assert get("/schemas/ids/4").status_code == 404
        assert get("/config").json() == {"compatibilityLevel": "FULL"}
        assert get("/config/orders-value").json() == {"compatibilityLevel": "BACKWARD"}
        assert get("/mode/frozen-value").json() == {"mode": "READONLY"}
        refused = httpx.post(url + "/subjects/frozen-value/versions", json={"schema": '"int"'})
        assert refused.json()["error_code"] == 42205

        # govern writes: a new version, a schema known from a soft-deleted subject, a config, a delete
        order3 = {
            "type": "record",
            "name": "Order",
            "namespace": "shop",
            "fields": [
                {"name": "id", "type": "string"},
                {"name": "note", "type": ["null", "string"], "default": None},
                {"name": "qty", "type": "int", "default": 1},
            ],
        }
        answer = httpx.post(url + "/subjects/orders-value/versions", json={"schema": json.dumps(order3)})
        answer = answer.json()
        assert (answer["id"], answer["version"]) == (7, 3)  # ids continue after the topic's highest
        user = get("/subjects/users-value/versions/1", deleted="true").json()["schema"]
        again = httpx.post(url + "/subjects/people-value/versions", json={"schema": user}).json()
        assert again["id"] == 3  # the same schema keeps its id across subjects, as in Confluent
        httpx.put(url + "/config/payments-value", json={"compatibility": "NONE"}).raise_for_status()
        httpx.delete(url + "/subjects/payments-value").raise_for_status()
        served = {s: get(f"/subjects/{s}/versions", deleted="true").json() for s in get("/subjects").json()}

    written = records(kafka_cluster, topic)[len(DATA.read_text().splitlines()) :]
    by_key = {raw: value for _, value, raw in written if value is not None}
    orders3 = by_key[b'{"keytype":"SCHEMA","subject":"orders-value","version":3,"magic":1}']
    assert orders3 == {
        "subject": "orders-value",
        "version": 3,
        "id": 7,
        "schema": json.dumps(order3, separators=(",", ":")),
        "deleted": False,
    }
    config = by_key[b'{"keytype":"CONFIG","subject":"payments-value","magic":0}']
    assert config == {"compatibilityLevel": "NONE"}
    deleted = by_key[b'{"keytype":"SCHEMA","subject":"payments-value","version":1,"magic":1}']
    assert deleted["deleted"] is True and deleted["id"] == 1
    assert {key["keytype"] for key, _, _ in written} <= {"SCHEMA", "CONFIG", "MODE", "NOOP"}

    # a new instance reads what govern wrote back the same way
    with serve_in_thread(kafka_store(kafka_cluster, topic)) as url:
        assert {
            s: httpx.get(f"{url}/subjects/{s}/versions", params={"deleted": "true"}).json()
            for s in httpx.get(url + "/subjects").json()
        } == served
        version = httpx.get(url + "/subjects/payments-value/versions/1", params={"deleted": "true"})
        assert version.json()["id"] == 1
        assert httpx.get(url + "/config/payments-value").json() == {"compatibilityLevel": "NONE"}
