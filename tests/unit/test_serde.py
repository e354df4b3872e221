"""Confluent wire format: framing, errors on foreign bytes, serializer/deserializer with a fake registry."""

from __future__ import annotations

import dataclasses
import io
import json
import random
import struct
from datetime import UTC, date, datetime
from decimal import Decimal
from uuid import UUID

import fastavro
import pytest
from avro_generators import QUICK, gen_schema
from fastavro.schema import UnknownType
from fastavro.utils import generate_many
from hypothesis import HealthCheck, given, reject, settings
from hypothesis import strategies as st

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


# ---------------------------------------------------------------- the Rust writer against fastavro


def _fastavro_body(schema: object, value: object) -> bytes:
    out = io.BytesIO()
    fastavro.schemaless_writer(out, fastavro.parse_schema(schema), value)
    return out.getvalue()


def _ours(schema: object, value: object) -> bytes:
    return unframe(Serializer(FakeClient(), "s", schema)(value))[1]


NOT_RECURSIVE = dataclasses.replace(QUICK, recursion=False)  # fastavro's value generator recurses forever


@settings(max_examples=80, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.randoms(use_true_random=False))
def test_same_bytes_and_values_as_fastavro_on_generated_schemas(rng: random.Random) -> None:
    doc = gen_schema(rng, NOT_RECURSIVE)
    client = FakeClient()
    serialize, deserialize = Serializer(client, "s", doc), Deserializer(client)
    try:  # fastavro does not fall back to the null namespace for a bare name, as Avro Java does
        parsed = fastavro.parse_schema(doc)
    except UnknownType:
        reject()
    for value in generate_many(parsed, 4):
        theirs = _fastavro_body(doc, value)
        expected = fastavro.schemaless_reader(io.BytesIO(theirs), fastavro.parse_schema(doc), None)
        framed = frame(serialize.schema_id, theirs)
        try:
            ours = unframe(serialize(value))[1]
        except SerdeError as error:  # fastavro writes decimals beyond their precision; we refuse them
            assert "digit" in str(error), error
            with pytest.raises(SerdeError, match="precision"):
                deserialize(framed)
            continue
        assert ours == theirs, value
        try:
            assert _same(deserialize(framed), expected)
        except SerdeError as error:  # raw bytes for a decimal, beyond its precision: fastavro rounds
            assert "digit" in str(error), error


def _same(a: object, b: object) -> bool:
    """Equal values of the same types all the way down (NaN equal to itself)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return list(a) == list(b) and all(_same(a[k], b[k]) for k in a)  # type: ignore[index]
    if isinstance(a, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))  # type: ignore[arg-type]
    if isinstance(a, float):
        return a == b or (a != a and b != b)  # noqa: PLR0124
    if isinstance(a, Decimal):
        return a.as_tuple() == b.as_tuple()  # type: ignore[attr-defined]
    return a == b


MONEY = {"type": "bytes", "logicalType": "decimal", "precision": 24, "scale": 8}


@pytest.mark.parametrize(
    "amount",
    ["0", "-0.00000001", "1.5", "-1.28E-6", "-0.00000128", "-327.68", "1234567890123456.5", "1E+3", "0E-8"],
)
def test_decimals_are_exact_and_byte_identical(amount: str) -> None:
    schema = {"type": "record", "name": "R", "fields": [{"name": "a", "type": MONEY}]}
    value = {"a": Decimal(amount)}
    assert _ours(schema, value) == _fastavro_body(schema, value)


def test_logical_objects_and_unions_as_fastavro_takes_them() -> None:
    when = datetime(2026, 12, 6, 18, 0, 0, 123000, tzinfo=UTC)
    schema = {
        "type": "record",
        "name": "R",
        "fields": [
            {"name": "at", "type": {"type": "long", "logicalType": "timestamp-millis"}},
            {"name": "day", "type": {"type": "int", "logicalType": "date"}},
            {"name": "id", "type": {"type": "string", "logicalType": "uuid"}},
            {"name": "x", "type": ["null", "int", "float", "double", "string"]},
            {"name": "f", "type": ["float", "double"]},
            {"name": "named", "type": ["null", "string", "long"]},
            {"name": "opt", "type": ["null", "string"]},  # missing, no default: null, as fastavro
            {
                "name": "fix",
                "type": {
                    "type": "fixed",
                    "name": "F",
                    "size": 2,
                    "logicalType": "decimal",
                    "precision": 4,
                    "scale": 2,
                },
            },  # fmt: skip
        ],
    }
    value = {"at": when, "day": date(2026, 12, 6), "id": UUID(int=7), "x": 2.5, "f": 1.0,
             "named": ("long", 5), "fix": Decimal("-1.28"), "extra": "ignored, as fastavro does"}  # fmt: skip
    assert _ours(schema, value) == _fastavro_body(schema, value)


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ({"a": Decimal("1.000000001")}, "at a: decimal 1.000000001 has more than 8 fractional digit"),
        ({"a": 1.5}, "at a: expected a Decimal, got float"),
        ({"a": Decimal("NaN")}, "at a: decimal NaN is not finite"),
        ({"a": Decimal("1"), "tags": ["x", 3]}, r"at tags\[1\]: expected a str, got int"),
        ({"a": Decimal("1"), "rate": {"side": "BUY"}}, "at rate.side: 'BUY' is not a symbol of enum Side"),
        ({}, "missing field 'a' of R"),
    ],
)
def test_a_value_that_does_not_fit_names_its_field_path(value: dict, message: str) -> None:
    schema = {
        "type": "record",
        "name": "R",
        "fields": [
            {"name": "a", "type": MONEY},
            {"name": "tags", "type": {"type": "array", "items": "string"}, "default": []},
            {"name": "rate", "type": ["null", {"type": "record", "name": "Rate", "fields": [
                {"name": "side", "type": {"type": "enum", "name": "Side", "symbols": ["BID", "ASK"]}}]}],
             "default": None},
        ],
    }  # fmt: skip
    with pytest.raises(SerdeError, match=message):
        Serializer(FakeClient(), "s", schema)(value)


def test_bytes_in_a_union_with_an_array_go_where_fastavro_puts_them() -> None:
    # fastavro writes any sequence but a str as an array, bytes included (each byte a number)
    doc = {
        "type": "record",
        "name": "R",
        "fields": [{"name": "v", "type": ["null", {"type": "array", "items": "long"}, "bytes"]}],
    }
    client = FakeClient()
    serialize = Serializer(client, "s", doc)
    for value in ({"v": b"\x01\x02"}, {"v": [1, 2]}, {"v": bytearray(b"\x03")}, {"v": None}):
        assert unframe(serialize(value))[1] == _fastavro_body(doc, value), value
