"""The native record path (govern/recording/_recordfast.c) writes exactly the Python path's bytes.

Random schemas (tests/support/avro_generators.py) with random Avro bodies, and random corruptions of
them: the extension's JSON equals `Codec.decode` + `dumps_line` byte for byte, and wherever the
Python path fails or is unsure, the extension declines (None) instead of guessing. Whole batches
of confluent_kafka Messages give the lines record.py's Python path writes.
"""

from __future__ import annotations

import json
import math
import random
import shutil
import struct
from typing import Any

import orjson
import pytest
from avro_generators import PRIMITIVES, clean, gen_schema
from confluent_kafka import TIMESTAMP_CREATE_TIME, TIMESTAMP_LOG_APPEND_TIME, TIMESTAMP_NOT_AVAILABLE, Message
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from govern.avro import parse_schema
from govern.avro.model import Node
from govern.recording import native
from govern.recording.avrojson import Codec, DecodeError, _decimal_params, _write_long
from govern.recording.format import dumps_line
from govern.recording.record import PayloadDecoder, record_line


def test_the_extension_is_built_where_a_compiler_is() -> None:
    """Otherwise every test below would skip and a broken build would go unnoticed."""
    if shutil.which("gcc") is None and shutil.which("cc") is None:
        pytest.skip("no C compiler: the extension is optional")
    assert native._recordfast is not None, "govern/recording/_recordfast.c did not build (pip install -e .)"


ext = pytest.importorskip("govern.recording._recordfast")


def test_no_native_env_turns_it_off(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GOVERN_NO_NATIVE", "1")
    assert native.extension() is None
    monkeypatch.setenv("GOVERN_NO_NATIVE", "0")
    assert native.extension() is ext


def codec(schema: Any) -> Codec:
    return Codec(parse_schema(json.dumps(schema), strict=False))


def python_json(c: Codec, body: bytes) -> bytes | None:
    try:
        return dumps_line(c.decode(body))
    except DecodeError:
        return None


def native_json(c: Codec, body: bytes) -> bytes | None:
    return ext.decode(native.compile_program(c.schema.root), body)


# ---------------------------------------------------------------------- random Avro bodies

TEXT = 'aZ09 _-"\\/\b\f\n\r\t\x00\x01\x1f\x7fé☃\u2028\U0001f600'


class BodyGen:
    """Writes a random valid Avro body for a schema node: every value the extension handles itself
    (distinct map keys, decimals of at most 16 bytes), in varied encodings (negative block counts,
    several blocks, multi-byte varints)."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng

    def long(self, buf: bytearray, low: int, high: int) -> None:
        rng = self.rng
        value = rng.choice(
            [0, -1, 1, 63, 64, -65, low, high, rng.randint(-1000, 1000), rng.randint(low, high)]
        )
        _write_long(value, buf)

    def text(self) -> bytes:
        return "".join(self.rng.choices(TEXT, k=self.rng.randint(0, 12))).encode()

    def blocks(self, buf: bytearray, count: int, item: Any) -> None:
        rng = self.rng
        written = 0
        while written < count:
            n = rng.randint(1, count - written)
            chunk = bytearray()
            for _ in range(n):
                item(chunk)
            if rng.random() < 0.3:  # a negative count carries the block's size in bytes
                _write_long(-n, buf)
                _write_long(len(chunk), buf)
            else:
                _write_long(n, buf)
            buf += chunk
            written += n
        buf.append(0)

    def write(self, node: Node, buf: bytearray, depth: int = 0) -> None:  # noqa: C901 - one branch per type
        rng, kind = self.rng, node.type
        deep = depth > 6
        if kind == "null":
            return
        if kind == "boolean":
            buf.append(rng.randint(0, 1))
        elif kind == "int":
            self.long(buf, -(2**31), 2**31 - 1)
        elif kind == "long":
            self.long(buf, -(2**63), 2**63 - 1)
        elif kind == "float":
            buf += rng.choice([struct.pack("<f", rng.uniform(-1e6, 1e6)), rng.randbytes(4)])
        elif kind == "double":
            special = [0.0, -0.0, math.inf, -math.inf, math.nan, 1e16, 1e-5, 1.5e-7, 5e-324, 0.1]
            buf += struct.pack("<d", rng.choice(special)) if rng.random() < 0.3 else rng.randbytes(8)
        elif kind in ("string", "bytes"):
            is_decimal = node.logical_type == "decimal" and _decimal_params(node)
            data = rng.randbytes(rng.randint(0, 16)) if kind == "bytes" else self.text()
            if is_decimal and rng.random() < 0.3:
                data = rng.choice([b"", b"\x80", b"\xff", b"\x7f" + b"\xff" * 15, b"\x80" + b"\x00" * 15])
            _write_long(len(data), buf)
            buf += data
        elif kind == "fixed":
            buf += rng.randbytes(node.size)
        elif kind == "enum":
            _write_long(rng.randrange(len(node.symbols)), buf)
        elif kind == "array":
            self.blocks(buf, 0 if deep else rng.randint(0, 3), lambda b: self.write(node.items, b, depth + 1))
        elif kind == "map":
            keys = list(dict.fromkeys(self.text() for _ in range(0 if deep else rng.randint(0, 3))))
            it = iter(keys)

            def entry(b: bytearray) -> None:
                key = next(it)
                _write_long(len(key), b)
                b += key
                self.write(node.values, b, depth + 1)  # type: ignore[arg-type]

            self.blocks(buf, len(keys), entry)
        elif kind == "record":
            for field in node.fields:
                self.write(field.type, buf, depth + 1)
        elif kind == "union":
            choices = range(len(node.branches))
            nulls = [i for i in choices if node.branches[i].type == "null"]
            index = nulls[0] if deep and nulls else rng.choice(choices)
            _write_long(index, buf)
            self.write(node.branches[index], buf, depth + 1)
        else:
            raise AssertionError(kind)


def without_defaults(doc: Any) -> Any:
    """Decoding never reads defaults, and Codec refuses a few the generator writes (e.g. "xxxx"
    for a decimal fixed): drop them."""
    if isinstance(doc, dict):
        return {k: without_defaults(v) for k, v in doc.items() if not (k == "default" and "name" in doc)}
    if isinstance(doc, list):
        return [without_defaults(v) for v in doc]
    return doc


def random_schema(rng: random.Random) -> Codec:
    doc = without_defaults(clean(gen_schema(rng)))
    # every primitive, time and decimal type at least once, beside what the generator drew
    doc["fields"] += [{"name": f"p_{kind}", "type": kind} for kind in PRIMITIVES]
    doc["fields"].append({"name": "p_fixed_decimal", "type": {"type": "fixed", "name": "FD", "size": 16,
                          "logicalType": "decimal", "precision": 38, "scale": 5}})  # fmt: skip
    doc["fields"].append({"name": "p_decimal", "type": {"type": "bytes", "logicalType": "decimal",
                          "precision": 40, "scale": 3}})  # fmt: skip
    return codec(doc)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.randoms(use_true_random=False))
def test_random_schemas_and_bodies_decode_to_the_python_paths_bytes(rng: random.Random) -> None:
    c = random_schema(rng)
    program = native.compile_program(c.schema.root)
    gen = BodyGen(rng)
    for _ in range(20):
        buf = bytearray()
        gen.write(c.schema.root, buf)
        body = bytes(buf)
        expected = python_json(c, body)
        assert expected is not None  # the generator writes valid bodies only
        assert ext.decode(program, body) == expected


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.randoms(use_true_random=False))
def test_corrupted_bodies_are_declined_or_identical_never_guessed(rng: random.Random) -> None:
    """Truncations, flipped bytes, inserted bytes: where Python fails, the extension declines."""
    c = random_schema(rng)
    program = native.compile_program(c.schema.root)
    buf = bytearray()
    BodyGen(rng).write(c.schema.root, buf)
    for _ in range(30):
        body = bytearray(buf)
        roll = rng.random()
        if roll < 0.3:
            del body[rng.randrange(len(body) + 1) :]
        elif roll < 0.7 and body:
            body[rng.randrange(len(body))] = rng.choice(
                [0x00, 0x01, 0x7F, 0x80, 0xFF, 0xC0, 0xED, rng.randrange(256)]
            )
        else:
            at = rng.randrange(len(body) + 1)
            body[at:at] = rng.randbytes(rng.randint(1, 3))
        got = ext.decode(program, bytes(body))
        expected = python_json(c, bytes(body))
        if expected is None:
            assert got is None
        else:
            assert got in (None, expected)


def test_doubles_are_written_as_orjson_writes_them() -> None:
    c = codec(
        {
            "type": "record",
            "name": "D",
            "fields": [{"name": "d", "type": "double"}, {"name": "f", "type": "float"}],
        }
    )
    rng = random.Random(5)
    for i in range(20000):
        d = rng.uniform(-1, 1) * 10.0 ** rng.randint(-330, 308) if i % 2 else None
        body = (struct.pack("<d", d) if d is not None else rng.randbytes(8)) + rng.randbytes(4)
        assert native_json(c, body) == python_json(c, body), body


@pytest.mark.parametrize(
    ("schema", "body", "why"),
    [
        ("long", b"\x80", "truncated varint"),
        ("long", b"\xff" * 10 + b"\x01", "varint of more than 64 bits"),
        ("long", b"\xff" * 9 + b"\x03", "10th varint byte beyond bit 63"),
        ("string", b"\x06ab", "string runs past the end"),
        ("string", b"\x04\xc3\x28", "invalid UTF-8"),
        ("string", b"\x06\xed\xa0\x80", "an encoded surrogate"),
        ("string", b"\x04\xc0\x80", "an overlong form"),
        ("string", b"\x01", "negative length"),
        (["null", "string", "long"], b"\x06", "union index out of range"),
        (["null", "string"], b"\x01", "negative union index"),
        ("boolean", b"\x02", "boolean byte 2"),
        ({"type": "enum", "name": "E", "symbols": ["A"]}, b"\x02", "enum index out of range"),
        ({"type": "fixed", "name": "F", "size": 4}, b"\x00\x00", "short fixed"),
        ({"type": "map", "values": "long"}, b"\x04\x02a\x02\x02a\x04\x00", "duplicate map keys"),
        ({"type": "array", "items": "long"}, b"\xfe\xff\xff\xff\x0f\x02", "absurd block count"),
        (
            {"type": "bytes", "logicalType": "decimal", "precision": 60, "scale": 2},
            b"\x22" + b"\x01" * 17,
            "a 17-byte decimal",
        ),  # fmt: skip
        ("double", b"\x00" * 7, "short double"),
        ("long", b"\x02\x00", "trailing bytes"),
    ],
)
def test_unusual_or_malformed_bodies_are_left_to_python(schema: Any, body: bytes, why: str) -> None:
    c = codec({"type": "record", "name": "R", "fields": [{"name": "v", "type": schema}]})
    assert native_json(c, body) is None, why
    # valid, but Python's answer is not the common case (a dict, a big int): Python decodes them
    if why in (
        "duplicate map keys",
        "a 17-byte decimal",
        "varint of more than 64 bits",
        "10th varint byte beyond bit 63",
    ):
        assert python_json(c, body) is not None
    else:
        assert python_json(c, body) is None


def test_recursive_schema_and_depth_limit() -> None:
    c = codec(
        {
            "type": "record",
            "name": "Node",
            "fields": [
                {"name": "v", "type": "long"},
                {"name": "next", "type": ["null", "Node"], "default": None},
            ],
        }  # fmt: skip
    )
    body = b"\x02\x02" * 50 + b"\x02\x00"
    assert native_json(c, body) == python_json(c, body)
    deep = b"\x02\x02" * 300 + b"\x02\x00"  # beyond the extension's depth: Python decides
    assert native_json(c, deep) is None


def test_wrong_programs_are_refused() -> None:
    with pytest.raises(ValueError, match="out of range"):
        ext.Program([(native.ARRAY, 5, 0)], [], ())
    with pytest.raises(ValueError, match="out of range"):
        ext.Program([(native.ENUM, 2, 0)], [], (b'"A"',))
    with pytest.raises(ValueError, match="unknown op"):
        ext.Program([(99, 0, 0)], [], ())


# ---------------------------------------------------------------------- whole batches of messages

VALUE_SCHEMA = {
    "type": "record",
    "name": "V",
    "fields": [{"name": "s", "type": "string"}, {"name": "n", "type": ["null", "long"]}],
}


class StaticClient:
    """The registry calls PayloadDecoder makes, answered from a dict of id -> schema."""

    def __init__(self, schemas: dict[int, Any]) -> None:
        self.schemas = schemas

    def get_schema(self, schema_id: int) -> Any:
        from govern.registry import NotFound

        if schema_id not in self.schemas:
            raise NotFound(f"schema {schema_id}")
        return type(
            "S", (), {"schema_type": "AVRO", "schema": json.dumps(self.schemas[schema_id]), "references": []}
        )

    def get_schema_versions(self, schema_id: int) -> list[tuple[str, int]]:
        return [("t-value", schema_id)]


def framed(schema_id: int, value: Any) -> bytes:
    return b"\x00" + schema_id.to_bytes(4, "big") + codec(VALUE_SCHEMA).encode(value)


def messages() -> list[Message]:
    good = framed(1, {"s": 'x\n"é', "n": 5})
    rows: list[dict[str, Any]] = [
        {"key": b"acc-1", "value": good, "headers": [("a", b"1"), ("a", b"\xff\x00"), ("b", None)]},
        {"key": b"\xff\xfe", "value": good, "timestamp": (TIMESTAMP_LOG_APPEND_TIME, 7)},
        {"key": None, "value": None, "timestamp": (TIMESTAMP_NOT_AVAILABLE, 0)},  # tombstone
        {
            "key": b"\x00\x00\x00\x00\x01" + codec(VALUE_SCHEMA).encode({"s": "k", "n": None}),
            "value": b"plain",
        },
        {"key": b"k", "value": framed(2, {"s": "y", "n": None})},  # an id the registry does not know
        {"key": b"k", "value": good[:-1]},  # truncated: kept as base64, counted undecoded
        {"key": b"k", "value": b"\x00\x00\x00\x00\x01"},  # too short to be framed
        {"key": b"", "value": good, "headers": []},
    ]
    out = []
    for offset, row in enumerate(rows * 3):
        kind, stamp = row.get("timestamp", (TIMESTAMP_CREATE_TIME, 1_700_000_000_000 + offset))
        out.append(
            Message(
                topic="t",
                partition=offset % 2,
                offset=offset,
                key=row["key"],
                value=row["value"],
                headers=row.get("headers"),
                timestamp=(kind, stamp),
            )  # fmt: skip
        )
    return out


def python_lines(batch: list[Message]) -> tuple[bytes, int]:
    decoder = PayloadDecoder(StaticClient({1: VALUE_SCHEMA}))  # type: ignore[arg-type]
    lines = b"".join(
        dumps_line(record_line(m, m.topic(), m.partition(), m.offset(), decoder.decode)) + b"\n"
        for m in batch
    )
    return lines, decoder.undecoded


def native_lines(batch: list[Message], end: int = -1) -> tuple[bytes, int, list[int]]:
    """Like record.py's loop: native lines, and the Python path for each message left over."""
    recorder = ext.Recorder()
    decoder = PayloadDecoder(StaticClient({1: VALUE_SCHEMA}), recorder)  # type: ignore[arg-type]
    for partition in (0, 1):
        recorder.add_partition("t", partition, end, native.partition_prefix("t", partition))
    out, left, i = b"", [], 0
    while i < len(batch):
        lines, i, written = recorder.process(batch, i, 1000)
        out += lines
        if i < len(batch):
            m = batch[i]
            left.append(i)
            out += dumps_line(record_line(m, m.topic(), m.partition(), m.offset(), decoder.decode)) + b"\n"
            i += 1
    assert sum(n for _, _, n in recorder.counts()) == len(batch) - len(left)
    return out, decoder.undecoded, left


def test_a_batch_gives_the_python_paths_lines_and_leaves_it_the_unusual_messages() -> None:
    batch = messages()
    expected, undecoded = python_lines(batch)
    got, got_undecoded, left = native_lines(batch)
    assert got == expected
    assert got_undecoded == undecoded == 6  # unknown id and truncated body, three times each
    # first framed value: its schema is loaded by Python, then native; unknown id, truncated: Python
    assert left == [0, 4, 5, 12, 13, 20, 21]


def test_the_last_offset_of_a_partition_goes_to_python() -> None:
    batch = messages()
    got, _, left = native_lines(batch, end=20)
    assert got == python_lines(batch)[0]
    assert {19, 20, 21, 22, 23} <= set(left)  # offsets end - 1 and beyond: the Python loop ends it
    assert 18 not in left


def test_limit_and_lines_of_other_message_types() -> None:
    recorder = ext.Recorder()
    recorder.add_partition("t", 0, -1, native.partition_prefix("t", 0))
    batch = [Message(topic="t", partition=0, offset=i, key=None, value=b"v") for i in range(5)]
    lines, index, written = recorder.process(batch, 1, 2)
    assert (index, written) == (3, 2)
    assert lines.count(b"\n") == 2
    assert orjson.loads(lines.splitlines()[0])["offset"] == 1
    assert recorder.process([object()], 0, 10)[1:] == (0, 0)  # not a Message: Python handles it
    other = Message(topic="other", partition=0, offset=0, value=b"v")
    assert recorder.process([other], 0, 10)[1:] == (0, 0)  # a partition it was not told about


def test_large_maps_and_their_duplicate_keys() -> None:
    """Beyond 16 keys the duplicate check sorts (and the key list grows past its stack space)."""
    c = codec(
        {"type": "record", "name": "M", "fields": [{"name": "m", "type": {"type": "map", "values": "int"}}]}
    )

    def body(keys: list[str]) -> bytes:
        buf = bytearray()
        for block in (keys[:10], keys[10:]):  # two blocks
            _write_long(len(block), buf)
            for n, key in enumerate(block):
                _write_long(len(key.encode()), buf)
                buf += key.encode()
                _write_long(n, buf)
        buf.append(0)
        return bytes(buf)

    keys = [f"k{n:02d}" for n in range(40)]
    assert native_json(c, body(keys)) == python_json(c, body(keys))
    repeated = [*keys[:30], "k03", *keys[31:]]
    assert native_json(c, body(repeated)) is None
    assert python_json(c, body(repeated)) is not None


def test_the_native_consumer_is_used_only_when_it_can_take_the_whole_config(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """No broker needed: the client connects in the background. A callback librdkafka cannot take
    as text, a setting it refuses, or GOVERN_NO_NATIVE, means confluent-kafka's consumer (None)."""
    from govern.recording.record import consumer_config

    if native._LIBRDKAFKA is None:
        pytest.skip("librdkafka could not be opened")
    recorder = ext.Recorder()
    config = consumer_config("127.0.0.1:1")
    consumer = native.native_consumer(recorder, config)
    assert consumer is not None
    assert consumer.fetch(10, 0) == 0
    consumer.close()
    with pytest.raises(RuntimeError, match="closed"):
        consumer.fetch(10, 0)
    assert native.native_consumer(recorder, {**config, "error_cb": print}) is None
    assert native.native_consumer(recorder, {**config, "no.such.setting": "1"}) is None
    assert native.native_consumer(None, config) is None
    monkeypatch.setenv("GOVERN_NO_NATIVE", "1")
    assert native.native_consumer(recorder, config) is None
