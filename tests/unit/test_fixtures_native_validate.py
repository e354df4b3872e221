"""The native validator (govern/recording/_validatefast.c) against the Python path it speeds up.

Properties: where the C encoder gives bytes they are exactly the Python codec's; whatever Python
refuses, C refuses too (it leaves the line to Python, which words the error); the common shapes
(values in schema order, integers for times) are taken by C. Whole files validate to the same
spool tuples and plan, or fail with the same message, with and without GOVERN_NO_NATIVE=1.
"""

from __future__ import annotations

import base64
import gzip
import importlib
import json
import random
import string
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from avro_generators import QUICK, Profile, clean, gen_schema
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from govern.avro import parse_schema
from govern.avro.model import Node
from govern.errors import InputError
from govern.recording import (
    FixtureRecord,
    FixtureWriter,
    Header,
    ReplayOptions,
    SchemaEntry,
    TopicInfo,
    file_source,
)
from govern.recording._native import native_validator
from govern.recording.avrojson import Codec, ValueMismatch, _decimal_params, branch_name

replay_module = importlib.import_module("govern.recording.replay")
try:
    from govern.recording import _validatefast as native
except ImportError:
    native = None
needs_native = pytest.mark.skipif(native is None, reason="the C extension is not built (pip install -e .)")


@pytest.fixture
def native_on(monkeypatch: pytest.MonkeyPatch) -> None:
    """The native path on, also in a test run with GOVERN_NO_NATIVE=1 (both paths are compared)."""
    monkeypatch.delenv("GOVERN_NO_NATIVE", raising=False)


_INT = (-(2**31), 2**31 - 1)
_LONG = (-(2**63), 2**63 - 1)
NASTY: list[Any] = [
    None, True, False, 0, -1, 64, 2**31, -(2**31) - 1, 2**63, -(2**63) - 1, 2**64, 1.5, -0.0, 1e300, 3.4e38,
    "", "x", "NaN", "Infinity", "AAAA", "AAA", "QQ==", "not base64!", "1.23456789", "-12.5", "1e3", "+.5",
    ".", "2023-11-14T22:13:20Z", "A", "Z", [], [1], [None], {}, {"a": 1}, {"long": 1}, {"string": "x"},
    {"null": None}, {"a": 1, "b": 2},
]  # fmt: skip


def codec_of(schema: Any) -> Codec:
    return Codec(parse_schema(json.dumps(schema), strict=False))


def python_bytes(codec: Codec, value: Any) -> bytes | None:
    try:
        return codec.encode(value)
    except ValueMismatch:
        return None


def c_bytes(codec: Codec, text: str) -> bytes | None:
    assert native is not None
    return native.Program(codec.program()).encode(text.encode())


# ---------------------------------------------------------------------- random values


class Values:
    """Random fixture-JSON values of a schema (docs/fixtures.md §2), valid unless `mutate` hits."""

    def __init__(self, rng: random.Random, mutate: float = 0.0) -> None:
        self.rng = rng
        self.mutate = mutate

    def of(self, node: Node, depth: int = 0) -> Any:
        rng = self.rng
        if rng.random() < self.mutate:
            return rng.choice(NASTY)
        kind, logical = node.type, node.logical_type
        if logical == "decimal" and kind in ("bytes", "fixed") and (params := _decimal_params(node)):
            return self.decimal(*params)
        if kind == "null":
            return None
        if kind == "boolean":
            return rng.random() < 0.5
        if kind in ("int", "long"):
            low, high = _INT if kind == "int" else _LONG
            return rng.choice([low, high, 0, -1, 63, 64, -65, rng.randint(low, high), rng.randint(-300, 300)])
        if kind in ("float", "double"):
            return rng.choice(
                [
                    "NaN",
                    "Infinity",
                    "-Infinity",
                    0.0,
                    -0.0,
                    1,
                    -7,
                    0.1,
                    1e-310,
                    3.4028234e38,
                    rng.uniform(-1e6, 1e6),
                ]
                + ([1e300, -2.5e-300, 2**70] if kind == "double" else [])
            )
        if kind == "string":
            return self.text()
        if kind in ("bytes", "fixed"):
            size = node.size if kind == "fixed" else rng.randint(0, 12)
            return base64.b64encode(bytes(rng.randrange(256) for _ in range(size))).decode()
        if kind == "enum":
            return rng.choice(node.symbols)
        if kind == "array":
            return [self.of(node.items, depth + 1) for _ in range(self.count(depth))]  # type: ignore[arg-type]
        if kind == "map":
            return {self.text(): self.of(node.values, depth + 1) for _ in range(self.count(depth))}  # type: ignore[arg-type]
        if kind == "union":
            nulls = [b for b in node.branches if b.type == "null"]
            others = [b for b in node.branches if b.type != "null"]
            if nulls and (not others or rng.random() < 0.3 or depth > 4):
                return None
            branch = rng.choice(others)
            inner = self.of(branch, depth + 1)
            return inner if len(others) <= 1 else {branch_name(branch): inner}
        out = {}
        for f in node.fields:  # a field with a default is sometimes left out
            if not (f.has_default and (rng.random() < 0.2 or depth > 4)):
                out[f.name] = self.of(f.type, depth + 1)
        return out

    def count(self, depth: int) -> int:
        return 0 if depth > 4 else self.rng.choice([0, 1, 2, 3, 70])

    def text(self) -> str:
        alphabet = string.ascii_letters + 'é☃\U0001f600"\\\n\t\x00/'
        return "".join(self.rng.choice(alphabet) for _ in range(self.rng.randint(0, 12)))

    def decimal(self, precision: int, scale: int) -> Any:
        digits = self.rng.randint(1, precision)
        unscaled = self.rng.randint(-(10**digits) + 1, 10**digits - 1)
        if scale == 0 and self.rng.random() < 0.3:
            return unscaled  # a JSON integer is accepted too
        sign, text = "-" if unscaled < 0 else "", str(abs(unscaled)).rjust(scale + 1, "0")
        return f"{sign}{text[: len(text) - scale]}.{text[len(text) - scale :]}" if scale else f"{sign}{text}"


def texts(value: Any, rng: random.Random) -> list[str]:
    """The JSON of a value as written by different writers: compact, spaced, ASCII-escaped."""
    return [
        json.dumps(value, ensure_ascii=False, separators=(",", ":")),
        json.dumps(value, ensure_ascii=True, indent=rng.choice([None, 1])),
    ]


SCHEMA_PROFILE = Profile(max_fields=8, max_depth=4, p_nested=0.45, extras=False)


# ---------------------------------------------------------------------- the encoder


@needs_native
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.randoms(use_true_random=False), st.sampled_from([0.0, 0.0, 0.05, 0.3]))
def test_c_bytes_are_python_bytes_and_c_refuses_what_python_refuses(
    rng: random.Random, mutate: float
) -> None:
    schema = clean(gen_schema(rng, SCHEMA_PROFILE if rng.random() < 0.7 else QUICK))
    try:
        codec = codec_of(schema)
    except ValueMismatch:  # a generated default the mapping refuses (e.g. "xxxx" for a decimal)
        assume(False)
    values = Values(rng, mutate)
    for _ in range(5):
        value = values.of(codec.schema.root)
        expected = python_bytes(codec, value)
        for text in texts(value, rng):
            got = c_bytes(codec, text)
            if expected is None:
                assert got is None, (schema, text)
            elif mutate == 0.0:  # a valid value in schema order, integers for times: C's own
                assert got == expected, (schema, text)
            else:
                assert got in (None, expected), (schema, text)


RECORD_AB = {
    "type": "record",
    "name": "R",
    "fields": [{"name": "a", "type": "int"}, {"name": "b", "type": "int"}],
}
DEC_38 = {"type": "bytes", "logicalType": "decimal", "precision": 38, "scale": 18}
FIXED_DEC = {"type": "fixed", "name": "D", "size": 20, "logicalType": "decimal", "precision": 40, "scale": 2}


@needs_native
@pytest.mark.parametrize(
    ("schema", "text"),
    [
        ({"type": "long", "logicalType": "timestamp-millis"}, '"2023-11-14T22:13:20.123Z"'),  # ISO: Python's
        ({"type": "int", "logicalType": "date"}, '"2022-01-08"'),
        (RECORD_AB, '{"b": 2, "a": 1}'),  # another key order
        ("bytes", '"\\u0041AAA"'),  # an escaped base64 string
        ("double", "1e400"),  # beyond double: Python takes it as infinity (json), C does not decide
        ({"type": "bytes", "logicalType": "decimal", "precision": 60, "scale": 2}, '"1' + "0" * 45 + '"'),
        ({"type": "map", "values": "int"}, '{"a": 1, "a": 2}'),  # Python keeps the last
        (RECORD_AB, '{"a": 1, "a": 3, "b": 2}'),
    ],
)  # fmt: skip
def test_shapes_left_to_python_are_left(schema: Any, text: str) -> None:
    codec = codec_of(schema)
    assert python_bytes(codec, json.loads(text)) is not None
    assert c_bytes(codec, text) is None


@needs_native
@pytest.mark.parametrize(
    ("schema", "text"),
    [
        ("int", "2147483648"),
        ("int", "true"),
        ("int", "1.0"),
        ("long", "9223372036854775808"),
        ("float", "1e39"),
        ("float", '"nan"'),
        ("string", '"\\ud800"'),
        ("string", "null"),
        ("bytes", '"QQ"'),
        ({"type": "fixed", "name": "F", "size": 2}, '"QQ=="'),
        ({"type": "enum", "name": "E", "symbols": ["A"]}, '"B"'),
        ({"type": "bytes", "logicalType": "decimal", "precision": 4, "scale": 2}, '"123.4"'),
        ({"type": "bytes", "logicalType": "decimal", "precision": 4, "scale": 2}, '"1.234"'),
        ({"type": "bytes", "logicalType": "decimal", "precision": 4, "scale": 2}, "1.5"),
        (["null", "int", "string"], "5"),
        (["null", "int", "string"], '{"long": 5}'),
        (["null", "int", "string"], '{"int": 5, "string": "x"}'),
        (["int", "string"], "null"),
        ({"type": "record", "name": "R", "fields": [{"name": "a", "type": "int"}]}, "{}"),
        ({"type": "record", "name": "R", "fields": [{"name": "a", "type": "int"}]}, '{"a": 1, "b": 2}'),
        ({"type": "array", "items": "int"}, "[1, 2,]"),
        ("string", '"a" "b"'),
    ],
)
def test_what_python_refuses_c_refuses(schema: Any, text: str) -> None:
    codec = codec_of(schema)
    try:
        refused = python_bytes(codec, json.loads(text)) is None
    except json.JSONDecodeError:
        refused = True
    assert refused
    assert c_bytes(codec, text) is None


@needs_native
def test_special_floats_decimals_and_defaults_are_the_python_bytes() -> None:
    cases = [
        ({"type": "array", "items": "float"}, ["NaN", "Infinity", "-Infinity", 0.1, -0.0, 3]),
        ({"type": "array", "items": "double"}, ["NaN", 1e-310, 2**70, 5e-324]),
        (DEC_38, "-99999999999999999999.999999999999999999"),
        (FIXED_DEC, "-1.05"),
        ({"type": "bytes", "logicalType": "decimal", "precision": 10, "scale": 3}, "-0.000"),
        ({"type": "bytes", "logicalType": "decimal", "precision": 10, "scale": 3}, "1.5000"),
        ({"type": "array", "items": "long"}, list(range(200))),
        ({"type": "map", "values": "string"}, {f"k{i}": "v" for i in range(100)}),
        (
            {"type": "record", "name": "D", "fields": [
                {"name": "a", "type": "string"},
                {"name": "b", "type": "bytes", "default": "\u00ff\u0000"},
                {"name": "c", "type": ["null", "string"], "default": None},
                {"name": "d", "type": ["long", "string"], "default": 5},
                {"name": "e", "type": "int"},
                {"name": "m", "type": {"type": "map", "values": "int"}, "default": {"x": 1}},
            ]},
            {"a": "x", "e": 3},
        ),
    ]  # fmt: skip
    for schema, value in cases:
        codec = codec_of(schema)
        assert c_bytes(codec, json.dumps(value)) == codec.encode(value), schema


# ---------------------------------------------------------------------- whole files


HEADER_SCHEMAS = [
    SchemaEntry(
        "v",
        {"type": "record", "name": "V", "namespace": "t", "fields": [
            {"name": "n", "type": "long"},
            {"name": "s", "type": ["null", "string"], "default": None},
            {"name": "at", "type": {"type": "long", "logicalType": "timestamp-millis"}},
        ]},
        "src-value",
    ),
    SchemaEntry("k", "string"),
]  # fmt: skip


def random_line(rng: random.Random, n: int) -> Any:
    """A record line, usually valid, in the shapes of docs/fixtures.md §1.2 (a str when raw text)."""
    roll = rng.random()
    if roll < 0.02:
        return rng.choice(["", "   ", "{not json}", '{"value": null', "[1]", '{"value": NaN}'])
    line: dict[str, Any] = {}
    if rng.random() < 0.6:
        line["topic"] = rng.choice(["src", "src", "other", ""])
    for name in ("partition", "offset"):
        if rng.random() < 0.7:
            line[name] = rng.choice([0, 1, 2, 7, None, -1, 2**70] if rng.random() < 0.1 else [0, 1, 2])
    if rng.random() < 0.7:
        line["timestamp"] = rng.choice(
            [1_700_000_000_000 + n, -5, None, "2026-01-05T10:00:00Z", "nope", True]
        )
    if rng.random() < 0.5:
        line["timestamp_type"] = rng.choice(["create", "log_append", None, "other"])
    avro_key = rng.random() < 0.2
    if avro_key:
        line["key_schema"] = rng.choice(["k", "k", "missing"])
    if rng.random() < 0.9:
        line["key"] = (
            rng.choice(["k1", "é", None, 5])
            if avro_key
            else rng.choice([f"k{n}", "ké☃", None, {"base64": "AP8="}, {"base64": "!"}, 5, ""])
        )
    if rng.random() < 0.8:
        line["schema"] = rng.choice(["v"] * 8 + ["missing", None])
    value: Any = {"n": n, "at": rng.choice([1_700_000_000_000, "2023-11-14T22:13:20Z", "bad"])}
    if rng.random() < 0.5:
        value["s"] = rng.choice(["x", None, 5])
    if rng.random() < 0.1:
        value = dict(reversed(value.items()))
    line["value"] = value if line.get("schema") else rng.choice([None, "text", {"base64": "AAEC"}, value])
    if rng.random() < 0.5:
        line["headers"] = rng.choice(
            [[], None, [["h", "v"], ["h", None], ["b", {"base64": "AP8="}]], [["h"]], {}, [["é", "☃"]]]
        )
    if rng.random() < 0.1:
        line["sheme"] = "v"
    if rng.random() < 0.3:  # the schema (or the topic) after the value: any key order is JSON
        line = dict(rng.sample(list(line.items()), len(line)))
    return line


def write_fixture(path: Path, rng: random.Random, count: int, valid_only: bool) -> Path:
    head = Header(tuple(HEADER_SCHEMAS), (TopicInfo("src", 2),)).to_json()
    lines = [json.dumps(head)]
    for n in range(count):
        line = random_line(rng, n)
        lines.append(line if isinstance(line, str) else json.dumps(line, ensure_ascii=rng.random() < 0.5))
    data = ("\n".join(lines) + "\n").encode()
    if path.name.endswith(".gz"):
        data = gzip.compress(data)
    path.write_bytes(data)
    while valid_only:  # drop every invalid line (found by the Python path), keep the rest
        try:
            validate(path, native_path=False)
        except InputError as error:
            del lines[int(error.message.split(":")[1]) - 1]
            data = ("\n".join(lines) + "\n").encode()
            path.write_bytes(gzip.compress(data) if path.name.endswith(".gz") else data)
        else:
            break
    return path


def validate(
    path: Path | list[Path], *, native_path: bool, topic: str | None = None
) -> tuple[list[Any], Any]:
    """replay's validation pass over files: the spool tuples and the plan."""
    sources = [file_source(p) for p in (path if isinstance(path, list) else [path])]
    for source in sources:
        if not native_path:
            source.reader = None  # the pure-Python path, as without the extension
    with tempfile.TemporaryFile(buffering=0) as spool:  # a file: the C code writes to its descriptor
        try:
            plan = replay_module._validate(sources, ReplayOptions(topic=topic), spool)
        finally:
            for source in sources:
                source.close()
        spool.seek(0)
        try:  # with its further segments (a file validated on two threads)
            spooled = list(replay_module._spooled(spool, plan.segments))
        finally:
            plan.close()
    return spooled, (
        plan.count,
        plan.routes,
        plan.route_sources,
        plan.source_partitions,
        [(i, e.name, subject) for i, e, subject, _ in plan.slots],
    )


def outcome(path: Path | list[Path], native_path: bool, topic: str | None = None) -> Any:
    try:
        return validate(path, native_path=native_path, topic=topic)
    except InputError as error:
        return ("error", error.message, error.hint)


@needs_native
@pytest.mark.usefixtures("native_on")
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    st.randoms(use_true_random=False),
    st.sampled_from(["f.jsonl", "f.jsonl.gz"]),
    st.booleans(),
    st.sampled_from([None, "elsewhere"]),
)
def test_files_give_the_same_spool_and_plan_or_the_same_error(
    tmp_path_factory: pytest.TempPathFactory,
    rng: random.Random,
    name: str,
    valid_only: bool,
    topic: str | None,
) -> None:
    folder = tmp_path_factory.mktemp("native")
    path: Path | list[Path] = write_fixture(folder / name, rng, rng.randint(1, 60), valid_only)
    if rng.random() < 0.3:  # several files in one replay: routes and slots are shared
        path = [path, write_fixture(folder / f"2{name}", rng, rng.randint(1, 30), valid_only)]  # type: ignore[list-item]
    expected = outcome(path, native_path=False, topic=topic)
    assert outcome(path, native_path=True, topic=topic) == expected
    with two_threads():  # plain files split in two halves, whatever their size
        assert outcome(path, native_path=True, topic=topic) == expected
    if valid_only:
        assert expected[0] != "error"


@contextmanager
def two_threads(read_block: int | None = None) -> Iterator[list[int]]:
    """Every plain file validated on two threads (replay's _Ahead), however small; yields the lines
    each second thread took, as its join reported them."""
    taken: list[int] = []
    join = replay_module._Ahead.join

    def counted(ahead: Any, records: Any) -> int:
        taken.append(join(ahead, records))
        return taken[-1]

    saved = replay_module.SPLIT_MIN_BYTES, replay_module.READ_BLOCK, join
    replay_module.SPLIT_MIN_BYTES = 0
    replay_module.READ_BLOCK = read_block or replay_module.READ_BLOCK
    replay_module._Ahead.join = counted  # type: ignore[method-assign]
    try:
        yield taken
    finally:
        replay_module.SPLIT_MIN_BYTES, replay_module.READ_BLOCK, replay_module._Ahead.join = saved


def many_lines(path: Path, count: int, change: Any = lambda n, record: record) -> Path:
    """A valid plain file of `count` records (of ~80 to ~700 bytes), each passed through `change`."""
    with FixtureWriter(path) as writer:
        for n in range(count):
            value = {"n": n, "s": "é" * (n % 300), "at": 1_700_000_000_000 + n}
            record = FixtureRecord(value, f"k{n}", "v", topic="src", partition=n % 3, timestamp=n)
            record.headers = [("h", "x"), ("h", None)] if n % 7 else []
            writer.write(change(n, record))
        writer.commit(Header(tuple(HEADER_SCHEMAS), (TopicInfo("src", 2),)))
    return path


@needs_native
@pytest.mark.usefixtures("native_on")
@pytest.mark.parametrize("read_block", [4096, None])
def test_two_threads_give_the_records_and_plan_of_one(tmp_path: Path, read_block: int | None) -> None:
    # the second half meets a new topic (Python sets it up, in file order) and a line C leaves to
    # Python (an ISO-8601 time): the second thread stops at the first, the main pass goes on there
    def change(n: int, record: FixtureRecord) -> FixtureRecord:
        if n == 3500:
            record.value["at"] = "2023-11-14T22:13:20Z"
        if n >= 4000 and n % 2:
            record.topic = "other"
        return record

    path = many_lines(tmp_path / "f.jsonl", 5000, change)
    expected = validate(path, native_path=False)
    with two_threads(read_block) as taken:
        assert validate(path, native_path=True) == expected
    assert len(taken) == 1 and 0 < taken[0] < 2500  # the split is near line 2500; 3502 stopped it
    with two_threads(read_block) as taken:
        both = validate([path, path], native_path=True)  # a second file: its own split
    assert both == validate([path, path], native_path=False)
    assert len(taken) == 2


@needs_native
@pytest.mark.usefixtures("native_on")
@pytest.mark.parametrize(("bad", "where"), [(1200, "first half"), (4200, "second half")])
def test_two_threads_report_the_first_invalid_line_in_file_order(
    tmp_path: Path, bad: int, where: str
) -> None:
    def change(n: int, record: FixtureRecord) -> FixtureRecord:
        if n in (bad, 4600):  # a later invalid line too: never the one reported
            record.value["n"] = "x"
        return record

    path = many_lines(tmp_path / "f.jsonl", 5000, change)
    expected = outcome(path, native_path=False)
    assert expected[0] == "error" and f":{bad + 2}: value.n" in expected[1]  # line 1 is the header
    with two_threads() as taken:
        assert outcome(path, native_path=True) == expected
    assert taken == ([] if where == "first half" else [taken[0]])


@needs_native
@pytest.mark.usefixtures("native_on")
def test_blocks_of_many_lines_spool_in_batches_with_the_same_tuples(tmp_path: Path) -> None:
    path = tmp_path / "big.jsonl"
    with FixtureWriter(path) as writer:
        for n in range(5000):
            value = {"n": n, "s": "é" * (n % 300 if n % 50 else 3000), "at": n}  # some longer than 4 KiB
            headers = [("h", "x")] if n % 7 else []
            record = FixtureRecord(value, f"k{n}", "v", topic="src", partition=n % 3, timestamp=n)
            record.headers = headers
            writer.write(record)
        writer.commit(Header(tuple(HEADER_SCHEMAS), (TopicInfo("src", 2),)))
    original = replay_module.READ_BLOCK
    replay_module.READ_BLOCK = 4096  # lines cross block boundaries
    try:
        assert validate(path, native_path=True) == validate(path, native_path=False)
    finally:
        replay_module.READ_BLOCK = original


def recompress(data: bytes, change: Any) -> bytes:
    return gzip.compress(change(gzip.decompress(data)))


@needs_native
@pytest.mark.usefixtures("native_on")
def test_the_native_path_takes_the_usual_lines_itself(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "f.jsonl"
    with FixtureWriter(path) as writer:
        for n in range(3000):
            value = {"n": n, "s": None if n % 2 else f"s{n}", "at": 1_700_000_000_000 + n}
            writer.write(FixtureRecord(value, f"k{n}", "v", topic="src", partition=n % 2, timestamp=n))
        writer.commit(Header(tuple(HEADER_SCHEMAS), (TopicInfo("src", 2),)))
    lines: list[int] = []
    entry = replay_module._Records.entry

    def counted(records: Any, line: int, record: FixtureRecord) -> Any:
        lines.append(line)
        return entry(records, line, record)

    monkeypatch.setattr(replay_module._Records, "entry", counted)
    assert len(validate(path, native_path=True)[0]) == 3000
    assert lines == [2]  # Python sets up the route and the schema slot on line 2; C takes the rest


@needs_native
@pytest.mark.usefixtures("native_on")
@pytest.mark.parametrize("native_path", [True, False])
@pytest.mark.parametrize(
    ("damage", "message"),
    [
        (lambda data: data[: len(data) * 2 // 3], "cannot read"),  # a .gz cut short
        (lambda data: recompress(data, lambda text: text[:-2000] + b"\xff\xfe" + text[-2000:]),
         "cannot read: 'utf-8' codec can't decode"),
        (lambda data: recompress(data, lambda text: text.replace(b'"n":1500,', b'"n":"x",')),
         ":1502: value.n"),
    ],
)  # fmt: skip
def test_damaged_files_fail_with_the_python_message(
    tmp_path: Path, native_path: bool, damage: Any, message: str
) -> None:
    path = tmp_path / "f.jsonl.gz"
    with FixtureWriter(path) as writer:
        for n in range(2000):
            writer.write(FixtureRecord({"n": n, "at": n}, schema="v", topic="src"))
        writer.commit(Header(tuple(HEADER_SCHEMAS), (TopicInfo("src", 2),)))
    path.write_bytes(damage(path.read_bytes()))
    with pytest.raises(InputError) as caught:
        validate(path, native_path=native_path)
    assert message in caught.value.message
    assert outcome(path, native_path=True) == outcome(path, native_path=False)


@needs_native
@pytest.mark.usefixtures("native_on")
def test_an_invalid_line_just_before_undecodable_bytes_fails_as_python_does(tmp_path: Path) -> None:
    """The Python reader decodes 8 KiB ahead: the damaged bytes fail it before the invalid line."""
    head = json.dumps(Header(tuple(HEADER_SCHEMAS), (TopicInfo("src", 2),)).to_json())
    good = json.dumps({"schema": "v", "value": {"n": 1, "at": 1}})
    bad = json.dumps({"schema": "v", "value": {"n": "x", "at": 1}})
    path = tmp_path / "f.jsonl"
    path.write_bytes(f"{head}\n{good}\n{bad}\n".encode() + b"\xff\n" + f"{good}\n".encode() * 3)
    expected = outcome(path, native_path=False)
    assert "cannot read" in expected[1]
    assert outcome(path, native_path=True) == expected


def test_without_the_built_extension_replay_takes_the_python_path(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("GOVERN_NO_NATIVE", raising=False)
    monkeypatch.setitem(sys.modules, "govern.recording._validatefast", None)  # import fails as if not built
    monkeypatch.delattr(sys.modules["govern.recording"], "_validatefast", raising=False)
    assert native_validator() is None
    path = tmp_path / "f.jsonl"
    with FixtureWriter(path) as writer:
        writer.write(FixtureRecord({"n": 1, "at": 2}, "k", "v", topic="src"))
        writer.commit(Header(tuple(HEADER_SCHEMAS), (TopicInfo("src", 2),)))
    assert len(validate(path, native_path=True)[0]) == 1


def test_govern_no_native_turns_the_native_path_off(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("GOVERN_NO_NATIVE", "1")
    assert native_validator() is None
    monkeypatch.setenv("GOVERN_NO_NATIVE", "0")
    assert native_validator() is native


def test_the_program_makes_the_python_choices() -> None:
    program = codec_of(
        {"type": "record", "name": "R", "fields": [
            {"name": "d", "type": {"type": "bytes", "logicalType": "decimal", "precision": 4, "scale": 9}},
            {"name": "t", "type": {"type": "long", "logicalType": "timestamp-millis"}},
            {"name": "o", "type": ["null", "R"], "default": None},
            {"name": "u", "type": ["null", "int", {"type": "enum", "name": "E", "symbols": ["A"]}]},
        ]}
    ).program()  # fmt: skip
    assert program[0] == (
        "record",
        ((b"d", 1, None), (b"t", 2, None), (b"o", 3, b"\x00"), (b"u", 4, None)),
    )
    assert program[1] == ("bytes",)  # scale > precision: not a decimal, as Avro says
    assert program[2] == ("time-long",)
    assert program[3] == ("optional", 0, 1, 0)  # the recursion is a reference to the root
    assert program[4] == ("tagged", 0, ((b"int", 1, 5), (b"E", 2, 6)))
