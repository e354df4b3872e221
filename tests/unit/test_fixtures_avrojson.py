"""The JSON mapping of Avro values: exact round trips, fastavro-identical bytes, errors with paths."""

from __future__ import annotations

import io
import json
from decimal import Decimal, localcontext
from typing import Any

import fastavro
import pytest

from govern.avro import parse_schema
from govern.recording.avrojson import Codec, DecodeError, ValueMismatch


def codec(schema: Any) -> Codec:
    return Codec(parse_schema(json.dumps(schema), strict=False))


def fastavro_bytes(schema: Any, value: Any) -> bytes:
    buffer = io.BytesIO()
    fastavro.schemaless_writer(buffer, fastavro.parse_schema(schema), value)
    return buffer.getvalue()


DEC = {"type": "bytes", "logicalType": "decimal", "precision": 10, "scale": 3}
RECORD = {
    "type": "record",
    "name": "R",
    "namespace": "t",
    "fields": [
        {"name": "s", "type": "string"},
        {"name": "i", "type": "int"},
        {"name": "l", "type": "long"},
        {"name": "f", "type": "float"},
        {"name": "d", "type": "double"},
        {"name": "b", "type": "boolean"},
        {"name": "raw", "type": "bytes"},
        {"name": "fx", "type": {"type": "fixed", "name": "F4", "size": 4}},
        {"name": "e", "type": {"type": "enum", "name": "E", "symbols": ["A", "B"]}},
        {"name": "arr", "type": {"type": "array", "items": "long"}},
        {"name": "m", "type": {"type": "map", "values": "string"}},
        {"name": "opt", "type": ["null", "string"]},
        {"name": "multi", "type": ["null", "int", "long", "string"]},
        {"name": "amount", "type": DEC},
        {"name": "ts", "type": {"type": "long", "logicalType": "timestamp-millis"}},
        {"name": "day", "type": {"type": "int", "logicalType": "date"}},
        {"name": "id", "type": {"type": "string", "logicalType": "uuid"}},
    ],
}
JSON_VALUE = {
    "s": "héllo ☃",
    "i": -5,
    "l": 2**40,
    "f": 0.5,
    "d": -1.25e300,
    "b": True,
    "raw": "AAEC/w==",
    "fx": "AQIDBA==",
    "e": "B",
    "arr": [1, -2, 3],
    "m": {"k": "v"},
    "opt": None,
    "multi": {"long": 7},
    "amount": "-12.340",
    "ts": 1700000000123,
    "day": 19000,
    "id": "6a2f41a3-c54c-fce8-32d2-0324e1c32e22",
}
PY_VALUE = {
    **JSON_VALUE,
    "raw": b"\x00\x01\x02\xff",
    "fx": b"\x01\x02\x03\x04",
    "multi": ("long", 7),
    "amount": Decimal("-12.340"),
}


def test_bytes_are_those_fastavro_writes_and_decode_gives_the_json_back() -> None:
    c = codec(RECORD)
    data = c.encode(JSON_VALUE)
    assert data == fastavro_bytes(RECORD, PY_VALUE)
    assert c.decode(data) == JSON_VALUE


def test_iso_timestamps_dates_and_integers_encode_the_same() -> None:
    c = codec(RECORD)
    iso = {**JSON_VALUE, "ts": "2023-11-14T22:13:20.123Z", "day": "2022-01-08"}
    assert c.encode(iso) == c.encode(JSON_VALUE)
    assert c.encode({**JSON_VALUE, "ts": "2023-11-14T23:13:20.123+01:00"}) == c.encode(JSON_VALUE)


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("amount", 1.5, "expected a decimal as a JSON string"),
        ("amount", "1.2345", "more than 3 fractional digit"),
        ("amount", "12345678.9", "more than 10 digit"),
        ("amount", "1e3", "expected a decimal"),
        ("ts", "2023-11-14T22:13:20.1234Z", "finer than millis"),
        ("ts", "2023-11-14T22:13:20", "needs a UTC offset"),
        ("i", 2**31, "out of range for int"),
        ("i", True, "expected an integer"),
        ("e", "C", "not a symbol of enum t.E"),
        ("fx", "AQID", "needs 4 bytes"),
        ("raw", "not base64!", "invalid base64"),
        ("multi", 7, "needs a tagged value"),
        ("multi", {"double": 1.0}, "'double' is not a branch"),
        ("opt", 3, "expected a string"),
        ("f", 1e300, "out of range for float"),
    ],
)
def test_mismatches_name_the_field(field: str, value: Any, message: str) -> None:
    with pytest.raises(ValueMismatch) as caught:
        codec(RECORD).encode({**JSON_VALUE, field: value})
    assert caught.value.path == field
    assert message in caught.value.message


def test_nested_paths_unknown_and_missing_fields() -> None:
    c = codec(RECORD)
    with pytest.raises(ValueMismatch) as caught:
        c.encode({**JSON_VALUE, "arr": [1, "x"]})
    assert str(caught.value).startswith("arr[1]: expected an integer")
    with pytest.raises(ValueMismatch, match="unknown field 'zzz'"):
        c.encode({**JSON_VALUE, "zzz": 1})
    missing = dict(JSON_VALUE)
    del missing["s"]
    with pytest.raises(ValueMismatch, match="missing field 's'"):
        c.encode(missing)


def test_decimal_round_trips_exactly_at_large_precision() -> None:
    schema = {"type": "bytes", "logicalType": "decimal", "precision": 38, "scale": 18}
    c = codec(schema)
    cases = {
        "0.000000000000000001": "0.000000000000000001",
        "-99999999999999999999.999999999999999999": "-99999999999999999999.999999999999999999",
        "0": "0.000000000000000000",
        "1.5": "1.500000000000000000",
    }
    with localcontext() as context:
        context.prec = 60
        for text, expected in cases.items():
            assert c.decode(c.encode(text)) == expected
            assert c.encode(text) == fastavro_bytes(schema, Decimal(text))


def test_fixed_decimal_and_special_floats() -> None:
    fixed = {"type": "fixed", "name": "D", "size": 8, "logicalType": "decimal", "precision": 18, "scale": 2}
    c = codec(fixed)
    assert c.decode(c.encode("-1.05")) == "-1.05"
    assert c.encode("-1.05") == fastavro_bytes(fixed, Decimal("-1.05"))
    doubles = codec({"type": "array", "items": "double"})
    assert doubles.decode(doubles.encode(["NaN", "Infinity", "-Infinity", 1.5])) == [
        "NaN",
        "Infinity",
        "-Infinity",
        1.5,
    ]


def test_defaults_fill_missing_fields_including_bytes_and_union_defaults() -> None:
    schema = {
        "type": "record",
        "name": "D",
        "fields": [
            {"name": "a", "type": "string"},
            {"name": "b", "type": "bytes", "default": "\u00ff\u0000"},
            {"name": "c", "type": ["null", "string"], "default": None},
            {"name": "d", "type": ["long", "string"], "default": 5},
            {"name": "m", "type": {"type": "map", "values": "int"}, "default": {"x": 1}},
        ],
    }
    c = codec(schema)
    assert c.decode(c.encode({"a": "x"})) == {
        "a": "x",
        "b": "/wA=",
        "c": None,
        "d": {"long": 5},
        "m": {"x": 1},
    }
    assert c.encode({"a": "x"}) == fastavro_bytes(
        schema, {"a": "x", "b": b"\xff\x00", "c": None, "d": 5, "m": {"x": 1}}
    )


def test_recursive_schema() -> None:
    schema = {
        "type": "record",
        "name": "Node",
        "fields": [{"name": "v", "type": "int"}, {"name": "next", "type": ["null", "Node"], "default": None}],
    }
    c = codec(schema)
    value = {"v": 1, "next": {"v": 2, "next": None}}
    assert c.decode(c.encode(value)) == value


def test_decode_rejects_trailing_or_missing_bytes() -> None:
    c = codec("string")
    with pytest.raises(DecodeError):
        c.decode(c.encode("abc") + b"x")
    with pytest.raises(DecodeError):
        c.decode(b"\x08ab")


def test_trailing_zeros_beyond_the_scale_are_exact_and_accepted() -> None:
    c = codec(DEC)
    assert c.encode("1.5000") == c.encode("1.5") == c.encode("1.500")
    with pytest.raises(ValueMismatch, match="more than 3 fractional"):
        c.encode("1.5001")
