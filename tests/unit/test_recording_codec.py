"""The Rust fixture codec (rust/govern_codec) against fastavro, and the bounds issue 17 asks for.

Differential: on generated schemas (tests/avro_generators.py) and values (fastavro's generator),
fastavro's Avro bytes decode to fixture JSON that our encoder turns back into the very same bytes,
and fastavro reads our bytes. Then one test per finding of the issue's security review.
"""

from __future__ import annotations

import base64
import io
import json
import random
import time
from pathlib import Path

import fastavro
import pytest
from avro_generators import QUICK, gen_schema
from fastavro.schema import UnknownType
from fastavro.utils import generate_many
from hypothesis import HealthCheck, given, reject, settings
from hypothesis import strategies as st

from govern import _native
from govern.avro import parse_schema
from govern.errors import InputError
from govern.recording import Codec, DecodeError, ReplayOptions, file_source, replay


def codec(schema: object) -> Codec:
    return Codec(parse_schema(json.dumps(schema), strict=False))


@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.randoms(use_true_random=False))
def test_round_trips_fastavro_bytes_on_generated_schemas(rng: random.Random) -> None:
    doc = gen_schema(rng, QUICK)
    try:  # fastavro does not fall back to the null namespace for a bare name, as Avro Java does
        parsed = fastavro.parse_schema(doc)
    except UnknownType:
        reject()
    ours = codec(doc)
    try:  # fastavro's generator can recurse without end through a recursive type
        records = list(generate_many(parsed, 3))
    except RecursionError:
        reject()
    for record in records:
        out = io.BytesIO()
        try:  # its generator can give a union value its writer refuses (a random string as a date)
            fastavro.schemaless_writer(out, parsed, record)
        except ValueError:
            reject()
        theirs = out.getvalue()
        try:
            value = ours.decode(theirs)
        except DecodeError as error:  # fastavro writes decimals beyond their precision; we refuse them
            assert "digit" in str(error)
            continue
        assert ours.encode(value) == theirs


def test_zero_size_items_are_bounded() -> None:  # a 7-byte array<null> body ran for 30 s before
    nulls = codec({"type": "array", "items": "null"})
    started = time.monotonic()
    with pytest.raises(DecodeError, match="items"):
        nulls.decode(bytes([0xFE, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x7F, 0x00]))
    empty = codec({"type": "array", "items": {"type": "record", "name": "E", "fields": []}})
    with pytest.raises(DecodeError):
        empty.decode(bytes([0xFE, 0xFF, 0xFF, 0xFF, 0x0F, 0x00]))
    assert time.monotonic() - started < 1


def test_an_over_long_varint_is_refused() -> None:  # a 2,100-byte varint crashed record
    ints = codec({"type": "record", "name": "R", "fields": [{"name": "n", "type": "int"}]})
    with pytest.raises(DecodeError, match="varint"):
        ints.decode(b"\xff" * 2100 + b"\x00")
    with pytest.raises(DecodeError, match="out of range for int"):
        ints.decode(b"\x80\x80\x80\x80\x80\x01")  # 11 bytes are refused, and beyond 32 bits too


def test_negative_zero_is_kept_in_a_float() -> None:
    floats = codec({"type": "float"})
    assert floats.compiled.encode(b"-0") == b"\x00\x00\x00\x80"  # a file's text -0, not Python's int 0
    assert floats.encode(-0.0) == b"\x00\x00\x00\x80"
    assert json.dumps(floats.decode(b"\x00\x00\x00\x80")) == "-0.0"


def test_a_decimal_given_as_a_json_integer_beyond_64_bits() -> None:
    decimal = codec({"type": "bytes", "logicalType": "decimal", "precision": 30, "scale": 2})
    body = decimal.encode(12345678901234567890123)
    assert decimal.decode(body) == "12345678901234567890123.00"


def test_a_decimal_scale_beyond_the_limits_is_refused(tmp_path: Path) -> None:
    schema = {"type": "bytes", "logicalType": "decimal", "precision": 2**32 + 1, "scale": 2**32 + 1}
    path = tmp_path / "f.jsonl"
    header = {
        "format": "govern.topic-fixture",
        "version": 1,
        "topics": [{"name": "t"}],
        "schemas": [{"name": "d", "schema": schema}],
    }
    path.write_text(json.dumps(header) + "\n" + json.dumps({"schema": "d", "value": "1"}) + "\n")
    with pytest.raises(InputError, match="precision"):
        replay([file_source(path)], bootstrap=None, registry_url=None, options=ReplayOptions(dry_run=True))


def test_many_map_keys_decode_in_linear_time() -> None:  # 100,000 keys took 15 s in C
    maps = codec({"type": "map", "values": "int"})
    value = {f"k{i}": i for i in range(100_000)}
    body = maps.encode(value)
    started = time.monotonic()
    assert maps.decode(body) == value
    assert time.monotonic() - started < 2


def _file(tmp_path: Path, line: str) -> Path:
    path = tmp_path / "f.jsonl"
    header = {
        "format": "govern.topic-fixture",
        "version": 1,
        "topics": [{"name": "t"}],
        "schemas": [{"name": "s", "schema": {"type": "array", "items": {"type": "array", "items": "int"}}}],
    }
    path.write_text(json.dumps(header) + "\n" + json.dumps({"value": None}) + "\n" + line + "\n")
    return path


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ('{"value": null, "partition": 4294967296}', "partition: 4294967296 is beyond 2147483647"),
        ('{"value": null, "headers": ' + "[" * 5000 + "]" * 5000 + "}", "invalid JSON: recursion limit"),
        (
            '{"schema": "s", "value": ' + "[" * 5000 + "]" * 5000 + "}",
            "value[0][0]: expected an integer (int)",
        ),
        ('{"schema": "s", "value": [[1], ["x"]]}', "value[1][0]: expected an integer (int)"),
    ],
)
def test_bad_lines_exit_2_naming_file_line_and_path(tmp_path: Path, line: str, message: str) -> None:
    path = _file(tmp_path, line)
    with pytest.raises(InputError) as caught:
        replay([file_source(path)], bootstrap=None, registry_url=None, options=ReplayOptions(dry_run=True))
    assert caught.value.message.startswith(f"{path}:3: ") and message in caught.value.message


class _Message:
    """What the recorder calls of a confluent-kafka Message."""

    def __init__(self, value: bytes) -> None:
        self._value = value

    def topic(self) -> str:
        return "t"

    def partition(self) -> int:
        return 0

    def offset(self) -> int:
        return 7

    def timestamp(self) -> tuple[int, int]:
        return (1, 1000)

    def key(self) -> bytes | None:
        return None

    def value(self) -> bytes:
        return self._value

    def headers(self) -> None:
        return None


def test_an_undecodable_message_is_kept_as_bytes_counted_and_warned() -> None:
    recorder = _native.Recorder()
    nulls = codec({"type": "array", "items": "null"})
    recorder.add_schema(9, "t-value@1", nulls.compiled)
    body = b"\x00\x00\x00\x00\x09" + bytes([0xFE, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x7F, 0x00])
    recorder.line(_Message(body))
    lines, count = recorder.take(wait=True)
    line = json.loads(lines)
    assert count == 1
    assert line["value"] == {"base64": base64.b64encode(body).decode()} and "schema" not in line
    assert recorder.undecoded == 1
    assert recorder.warnings[0][:4] == ("t", 0, 7, "value")
