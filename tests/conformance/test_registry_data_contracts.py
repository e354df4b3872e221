"""Data contracts end to end: govern's registry stores them, confluent-kafka's rule executors run them.

A CEL CONDITION rule makes Confluent's serializer refuse a bad record; JSONata migration rules
let consumers pinned to a major version (`use.latest.with.metadata`) read records written under
the other compatibility group, in both directions (UPGRADE and DOWNGRADE).
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

pytest.importorskip("celpy", reason="confluent-kafka[rules] is not installed")
from confluent_kafka.schema_registry import SchemaRegistryClient  # noqa: E402
from confluent_kafka.schema_registry.avro import AvroDeserializer, AvroSerializer  # noqa: E402
from confluent_kafka.schema_registry.common.serde import RuleConditionError  # noqa: E402
from confluent_kafka.schema_registry.rules.cel.cel_executor import CelExecutor  # noqa: E402
from confluent_kafka.schema_registry.rules.jsonata.jsonata_executor import JsonataExecutor  # noqa: E402
from confluent_kafka.serialization import MessageField, SerializationContext, SerializationError  # noqa: E402

from govern.registry import Client, IncompatibleSchema  # noqa: E402
from govern.registry.server.run import serve_in_thread  # noqa: E402

CelExecutor.register()
JsonataExecutor.register()

MAJOR = "application.major.version"
PAYMENT = json.dumps(
    {
        "type": "record",
        "name": "Payment",
        "fields": [{"name": "id", "type": "string"}, {"name": "amount", "type": "int"}],
    }
)
ORDER_V1 = json.dumps(
    {
        "type": "record",
        "name": "Order",
        "fields": [{"name": "id", "type": "string"}, {"name": "amount", "type": "int"}],
    }
)
ORDER_V2 = json.dumps(
    {
        "type": "record",
        "name": "Order",
        "fields": [{"name": "id", "type": "string"}, {"name": "total", "type": "int"}],
    }
)
UPGRADE = "$merge([$sift($, function($v, $k) {$k != 'amount'}), {'total': $.'amount'}])"
DOWNGRADE = "$merge([$sift($, function($v, $k) {$k != 'total'}), {'amount': $.'total'}])"


@pytest.fixture
def url() -> Iterator[str]:
    with serve_in_thread() as base:
        yield base


def test_cel_condition_makes_the_serializer_refuse_a_bad_record(url: str) -> None:
    rules = {
        "domainRules": [
            {
                "name": "positiveAmount",
                "kind": "CONDITION",
                "mode": "WRITE",
                "type": "CEL",
                "expr": "message.amount > 0",
            }
        ]
    }
    with Client(url) as client:
        registered = client.register("payments-value", PAYMENT, rule_set=rules)
        assert client.get_latest("payments-value").rule_set == rules
    serializer = AvroSerializer(
        SchemaRegistryClient({"url": url}),
        PAYMENT,
        conf={"auto.register.schemas": False, "use.latest.version": True},
    )
    context = SerializationContext("payments", MessageField.VALUE)
    good = serializer({"id": "p1", "amount": 5}, context)
    assert good[1:5] == registered.id.to_bytes(4, "big")
    with pytest.raises(SerializationError) as refused:
        serializer({"id": "p2", "amount": -3}, context)
    assert isinstance(refused.value.__cause__, RuleConditionError)
    assert "message.amount > 0" in str(refused.value.__cause__)


def test_jsonata_migrations_cross_compatibility_groups(url: str) -> None:
    with Client(url) as client:
        client.set_config("BACKWARD", subject="orders-value", compatibility_group=MAJOR)
        client.register("orders-value", ORDER_V1, metadata={"properties": {MAJOR: "1"}})
        with pytest.raises(IncompatibleSchema):  # renaming a field breaks BACKWARD inside major 1
            client.register("orders-value", ORDER_V2)
        rules = {
            "migrationRules": [
                {
                    "name": "amountToTotal",
                    "kind": "TRANSFORM",
                    "type": "JSONATA",
                    "mode": "UPGRADE",
                    "expr": UPGRADE,
                },
                {
                    "name": "totalToAmount",
                    "kind": "TRANSFORM",
                    "type": "JSONATA",
                    "mode": "DOWNGRADE",
                    "expr": DOWNGRADE,
                },
            ]
        }
        v2 = client.register("orders-value", ORDER_V2, metadata={"properties": {MAJOR: "2"}}, rule_set=rules)
        assert v2.version == 2  # accepted: major 2 is checked only against major 2 (none yet)
        assert client.get_latest_with_metadata("orders-value", {MAJOR: "1"}).version == 1

    registry = SchemaRegistryClient({"url": url})
    context = SerializationContext("orders", MessageField.VALUE)

    def serializer(major: str) -> AvroSerializer:
        conf = {"auto.register.schemas": False, "use.latest.with.metadata": {MAJOR: major}}
        return AvroSerializer(registry, None, conf=conf)

    def deserializer(major: str) -> AvroDeserializer:
        return AvroDeserializer(registry, None, conf={"use.latest.with.metadata": {MAJOR: major}})

    written_v1 = serializer("1")({"id": "o1", "amount": 7}, context)
    written_v2 = serializer("2")({"id": "o2", "total": 9}, context)
    assert deserializer("2")(written_v1, context) == {"id": "o1", "total": 7}  # UPGRADE
    assert deserializer("1")(written_v2, context) == {"id": "o2", "amount": 9}  # DOWNGRADE
