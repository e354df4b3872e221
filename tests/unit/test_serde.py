"""Confluent wire format: framing, errors on foreign bytes, serializer/deserializer with a fake registry."""

from __future__ import annotations

import json
import struct

import pytest

from govern.registry import RegisteredSchema, Schema, SchemaNotFound
from govern.registry.store import Reference
from govern.serde import Deserializer, SerdeError, Serializer, frame, unframe

ORDER = {
    "type": "record",
    "name": "Order",
    "namespace": "shop",
    "fields": [{"name": "id", "type": "string"}, {"name": "amount", "type": "long"}],
}


class FakeClient:
    """Just enough of govern.registry.Client for the serde."""

    url = "http://fake"

    def __init__(self) -> None:
        self.schemas: dict[int, Schema] = {}
        self.subjects: dict[tuple[str, int], RegisteredSchema] = {}
        self.calls = 0

    def register(self, subject, schema, *, references=(), normalize=False):
        for sid, known in self.schemas.items():
            if known.schema == schema:
                return RegisteredSchema(sid, schema, subject, 1)
        sid = len(self.schemas) + 1
        self.schemas[sid] = Schema(schema, "AVRO", tuple(references))
        version = sum(1 for s, _ in self.subjects if s == subject) + 1
        self.subjects[(subject, version)] = RegisteredSchema(
            sid, schema, subject, version, "AVRO", tuple(references)
        )
        return RegisteredSchema(sid, schema, subject, version)

    def lookup(self, subject, schema, *, references=(), normalize=False):
        for registered in self.subjects.values():
            if registered.subject == subject and registered.schema == schema:
                return registered
        raise SchemaNotFound("Schema not found")

    def get_schema(self, schema_id):
        self.calls += 1
        if schema_id not in self.schemas:
            raise SchemaNotFound(f"Schema {schema_id} not found")
        return self.schemas[schema_id]

    def get_version(self, subject, version):
        return self.subjects[(subject, version)]


def test_frame_layout() -> None:
    assert frame(1, b"\x06abc") == b"\x00\x00\x00\x00\x01\x06abc"
    assert unframe(b"\x00\x00\x00\x01\x00xyz") == (256, b"xyz")
    with pytest.raises(SerdeError):
        frame(-1, b"")


@pytest.mark.parametrize(
    ("payload", "match"),
    [
        (b"", "too short"),
        (b"\x00\x00\x01", "too short"),
        (b"\x01\x00\x00\x00\x01\x02", "invalid magic byte 0x01"),
    ],
)
def test_foreign_bytes_are_clear_errors(payload: bytes, match: str) -> None:
    with pytest.raises(SerdeError, match=match):
        unframe(payload)
    with pytest.raises(SerdeError, match=match):
        Deserializer(FakeClient())(payload)


def test_roundtrip_and_writer_schema_cache() -> None:
    client = FakeClient()
    serialize = Serializer(client, "orders-value", ORDER)
    payload = serialize({"id": "o-1", "amount": 4200})
    assert payload == b"\x00\x00\x00\x00\x01\x06o-1\xd0\x41"  # the bytes confluent-kafka-python writes
    deserialize = Deserializer(client)
    assert deserialize(payload) == {"id": "o-1", "amount": 4200}
    assert deserialize(payload) == {"id": "o-1", "amount": 4200}
    assert client.calls == 1


def test_unknown_id_and_truncated_body() -> None:
    client = FakeClient()
    with pytest.raises(SerdeError, match="unknown schema id 9"):
        Deserializer(client)(struct.pack(">bI", 0, 9) + b"\x02")
    payload = Serializer(client, "s", ORDER)({"id": "o-1", "amount": 1})
    with pytest.raises(SerdeError, match="cannot decode"):
        Deserializer(client)(payload[:-2])


def test_record_not_matching_schema() -> None:
    with pytest.raises(SerdeError, match="does not match"):
        Serializer(FakeClient(), "s", ORDER)({"id": "o-1"})


def test_lookup_instead_of_register() -> None:
    client = FakeClient()
    with pytest.raises(SchemaNotFound):
        Serializer(client, "s", ORDER, auto_register=False)({"id": "x", "amount": 1})
    Serializer(client, "s", ORDER)({"id": "x", "amount": 1})
    assert Serializer(client, "s", ORDER, auto_register=False).schema_id == 1


def test_reader_schema_projection() -> None:
    client = FakeClient()
    v2 = {**ORDER, "fields": [*ORDER["fields"], {"name": "currency", "type": "string", "default": "EUR"}]}
    payload = Serializer(client, "s", ORDER)({"id": "o", "amount": 5})
    assert Deserializer(client, reader_schema=v2)(payload) == {"id": "o", "amount": 5, "currency": "EUR"}
    incompatible = {**ORDER, "fields": [{"name": "other", "type": "int"}]}
    with pytest.raises(SerdeError, match="reader schema cannot read"):
        Deserializer(client, reader_schema=incompatible)(payload)


def test_schema_references_are_resolved() -> None:
    client = FakeClient()
    money = {
        "type": "record",
        "name": "Money",
        "namespace": "m",
        "fields": [{"name": "units", "type": "long"}],
    }
    client.register("money", json.dumps(money))
    order = {"type": "record", "name": "Priced", "fields": [{"name": "price", "type": "m.Money"}]}
    serialize = Serializer(client, "priced", order, references=[Reference("m.Money", "money", 1)])
    payload = serialize({"price": {"units": 3}})
    assert Deserializer(client)(payload) == {"price": {"units": 3}}
