"""`govern record` writes the same bytes with the C extension as with GOVERN_NO_NATIVE=1, on real Kafka.

One topic holds everything the recorder meets: Avro values of a schema using every type, Avro
keys, values framed with an id the registry does not know, truncated Avro bodies, plain and binary
payloads, tombstones, duplicate/binary/null headers, aborted and committed transactions. Three
paths record it: the extension's own librdkafka consumer ("native"), the extension decoding
confluent-kafka's Messages ("process", where librdkafka cannot be opened) and Python alone
("python", the reference); every line must be identical byte for byte, and so must the header
and the summary. On one partition (a fixed order) whole files are compared, with schemas that
appear mid-recording, and every start, limit and follow option.
"""

from __future__ import annotations

import json
import math
import random
import re
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from confluent_kafka import Producer

from govern.kafka import KafkaAdmin, client_config
from govern.recording import RecordSummary, StartAt, native, record_topics
from govern.recording import record as record_module
from govern.recording.avrojson import Codec
from govern.registry import Client

pytestmark = [
    pytest.mark.kafka,
    pytest.mark.skipif(native._recordfast is None, reason="govern/recording/_recordfast.c is not built"),
]

RECENT = int(time.time() * 1000) - 60_000
VALUE = {
    "type": "record",
    "name": "Everything",
    "namespace": "io.test",
    "fields": [
        {"name": "s", "type": "string"},
        {"name": "i", "type": "int"},
        {"name": "l", "type": {"type": "long", "logicalType": "timestamp-micros"}},
        {"name": "f", "type": "float"},
        {"name": "d", "type": "double"},
        {"name": "ok", "type": "boolean"},
        {"name": "raw", "type": "bytes"},
        {"name": "fx", "type": {"type": "fixed", "name": "F3", "size": 3}},
        {"name": "dec", "type": {"type": "bytes", "logicalType": "decimal", "precision": 30, "scale": 6}},
        {
            "name": "fdec",
            "type": {
                "type": "fixed",
                "name": "F8",
                "size": 8,
                "logicalType": "decimal",
                "precision": 18,
                "scale": 2,
            },
        },
        {"name": "e", "type": {"type": "enum", "name": "E", "symbols": ["A", "B", "C"]}},
        {"name": "arr", "type": {"type": "array", "items": ["null", "double"]}},
        {"name": "m", "type": {"type": "map", "values": ["null", "long", "string", "io.test.F3"]}},
        {"name": "day", "type": {"type": "int", "logicalType": "date"}},
        {"name": "id", "type": {"type": "string", "logicalType": "uuid"}},
        {
            "name": "next",
            "type": ["null", "io.test.Everything"],
            "default": None,
        },
    ],
}
KEY = {"type": "record", "name": "Key", "namespace": "io.test", "fields": [{"name": "k", "type": "string"}]}
TEXT = 'aé☃\U0001f600"\\\n\t\x01/ '


def value(rng: random.Random, depth: int = 0) -> dict[str, Any]:
    def text() -> str:
        return "".join(rng.choices(TEXT, k=rng.randint(0, 20)))

    return {
        "s": text(),
        "i": rng.randint(-(2**31), 2**31 - 1),
        "l": rng.randint(-(2**63), 2**63 - 1),
        "f": rng.choice([0.1, -2.5e-7, 3.4e38, 1e-40, "NaN", "-Infinity"]),
        "d": rng.choice([rng.uniform(-1e300, 1e300), 1e16, 1.5e-5, -0.0, "Infinity", 5e-324]),
        "ok": rng.random() < 0.5,
        "raw": rng.choice(["", "AP8=", "AAECAwQFBgcICQ=="]),
        "fx": "AAEC",
        "dec": rng.choice(["0.000000", "-1.000001", "123456789012345678901234.123456", "-0.000001"]),
        "fdec": rng.choice(["0.00", "-9999999999999999.99", "9999999999999999.99", "1.50"]),
        "e": rng.choice(["A", "B", "C"]),
        "arr": [rng.choice([None, 1.25, -3e-9]) for _ in range(rng.randint(0, 4))],
        "m": {
            text() + str(n): rng.choice([None, {"long": n}, {"string": text()}, {"io.test.F3": "//79"}])
            for n in range(rng.randint(0, 4))
        },  # fmt: skip
        "day": rng.randint(-1000, 30000),
        "id": text(),
        "next": value(rng, depth + 1) if depth < 2 and rng.random() < 0.4 else None,
    }


def seed(bootstrap: str, registry: str, topic: str) -> None:
    rng = random.Random(11)
    with Client(registry) as client:
        value_id = client.register(f"{topic}-value", VALUE).id
        key_id = client.register(f"{topic}-key", KEY).id
    codec = codec_for(VALUE)
    key_codec = codec_for(KEY)

    def framed(schema_id: int, body: bytes) -> bytes:
        return b"\x00" + schema_id.to_bytes(4, "big") + body

    producer = Producer(client_config(bootstrap, **{"enable.idempotence": True, "linger.ms": 5}))
    for i in range(3000):
        kind = i % 20
        key: bytes | None = f"k{i % 13}".encode()
        body = framed(value_id, codec.encode(value(rng)))
        if kind == 1:
            key = framed(key_id, key_codec.encode({"k": f"key-{i}"}))
        elif kind == 2:
            body = framed(999_999, body[5:])  # an id the registry does not know
        elif kind == 3:
            body = body[:-1]  # truncated Avro: kept as base64, counted undecoded
        elif kind == 4:
            body = "plain text é".encode()
        elif kind == 5:
            body, key = b"\xff\x00\xfe", b"\xc3\x28"  # binary value, non-UTF-8 key
        elif kind == 6:
            body, key = None, None  # a tombstone without key
        headers = [("h", b"1"), ("h", b"\xff"), ("n", None), ("é", "ü".encode())] if i % 3 == 0 else None
        producer.produce(topic, body, key, partition=i % 3, timestamp=RECENT + i, headers=headers)
    producer.flush(30)

    for commit in (False, True):  # an aborted transaction (skipped by read_committed), a committed one
        tx = Producer(client_config(bootstrap, **{"transactional.id": f"seed-{topic}-{commit}"}))
        tx.init_transactions(30)
        tx.begin_transaction()
        for i in range(50):
            tx.produce(topic, framed(value_id, codec.encode(value(rng))), b"tx", partition=i % 3)
        if commit:
            tx.commit_transaction(30)
        else:
            tx.abort_transaction(30)


def codec_for(schema: dict[str, Any]) -> Codec:
    from govern.avro import parse_schema

    return Codec(parse_schema(json.dumps(schema)))


PATHS = ("native", "process", "python")


LOOPS_RUN: list[str] = []


def use_path(monkeypatch: pytest.MonkeyPatch, path: str) -> None:
    """Make record_topics run one of PATHS (see the module docstring), and note which loop ran."""
    monkeypatch.undo()
    for name in ("_native_loop", "_loop"):
        loop = getattr(record_module, name)

        def spy(*args: Any, _loop: Any = loop, _name: str = name, **kwargs: Any) -> Any:
            LOOPS_RUN.append(_name)
            return _loop(*args, **kwargs)

        monkeypatch.setattr(record_module, name, spy)
    if path == "python":
        monkeypatch.setenv("GOVERN_NO_NATIVE", "1")
    else:
        monkeypatch.delenv("GOVERN_NO_NATIVE", raising=False)
    if path == "process":
        monkeypatch.setattr(record_module, "native_consumer", lambda *args: None)
    elif path == "native" and native._LIBRDKAFKA is None:
        pytest.skip("librdkafka could not be opened: the native consumer is off")


def recorded(
    path: Path, topic: str, bootstrap: str, registry: str, monkeypatch: pytest.MonkeyPatch, which: str
) -> tuple[RecordSummary, dict[str, Any], list[bytes]]:
    """Summary, header without its time, and the record lines in (partition, offset) order."""
    use_path(monkeypatch, which)
    LOOPS_RUN.clear()
    summary = record_topics([topic], path, bootstrap=bootstrap, registry_url=registry)
    assert LOOPS_RUN == ["_native_loop" if which == "native" else "_loop"]
    header_line, *lines = path.read_bytes().splitlines()
    header = json.loads(header_line)
    header.pop("recorded_at")
    positions = [json.loads(line) for line in lines]
    order = sorted(range(len(lines)), key=lambda n: (positions[n]["partition"], positions[n]["offset"]))
    return summary, header, [lines[n] for n in order]


def test_native_and_python_record_write_identical_files(
    kafka_cluster: str,
    kafka_admin: KafkaAdmin,
    registry: str,
    unique_topic: Callable[..., str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    topic = kafka_admin.create_topic(unique_topic("everything"), 3)
    seed(kafka_cluster, registry, topic)
    theirs, header2, lines2 = recorded(
        tmp_path / "python.jsonl", topic, kafka_cluster, registry, monkeypatch, "python"
    )
    assert theirs.records == 3050  # the aborted transaction's 50 are not there
    for which in ("native", "process"):
        ours, header, lines = recorded(
            tmp_path / f"{which}.jsonl", topic, kafka_cluster, registry, monkeypatch, which
        )
        assert ours.records == theirs.records
        assert len(lines) == len(lines2) == 3050
        for mine, reference in zip(lines, lines2, strict=True):
            assert mine == reference
        assert header == header2
        assert ours.per_partition == theirs.per_partition
        assert ours.undecoded == theirs.undecoded == 300  # unknown id and truncated, 150 each
        assert [s.name for s in ours.schemas] == [s.name for s in theirs.schemas]
    values = [json.loads(line)["value"] for line in lines]
    assert any(isinstance(v, dict) and v.get("d") == "Infinity" for v in values)  # the mapping held
    assert any(
        isinstance(v, dict) and isinstance(v.get("d"), float) and math.isfinite(v["d"]) for v in values
    )


V2 = {**VALUE, "fields": [*VALUE["fields"], {"name": "extra", "type": "string", "default": "x"}]}


def seed_one_partition(bootstrap: str, registry: str, topic: str) -> None:
    """600 records on one partition: keys plain, binary and Avro (its schema first met at 150),
    values of VALUE, then of V2 (registered and first used at 300: a schema the header guessed
    after the first batch does not list), ids the registry lacks, truncated bodies, plain and
    binary values, tombstones, duplicate, binary, empty and null headers."""
    rng = random.Random(5)
    with Client(registry) as client:
        v1 = client.register(f"{topic}-value", VALUE).id
    codec, codec2, key_codec = codec_for(VALUE), codec_for(V2), codec_for(KEY)
    producer = Producer(client_config(bootstrap, **{"enable.idempotence": True, "linger.ms": 5}))
    key_id = v2 = 0
    for i in range(600):
        if i == 150:
            with Client(registry) as client:
                key_id = client.register(f"{topic}-key", KEY).id
        if i == 300:
            producer.flush(30)
            with Client(registry) as client:
                v2 = client.register(f"{topic}-value", V2).id
        kind = i % 11
        key: bytes | None = f"k{i % 7}".encode()
        if i >= 300:
            body = b"\x00" + v2.to_bytes(4, "big") + codec2.encode({**value(rng), "extra": f"e{i}"})
        else:
            body = b"\x00" + v1.to_bytes(4, "big") + codec.encode(value(rng))
        if kind == 1 and key_id:
            key = b"\x00" + key_id.to_bytes(4, "big") + key_codec.encode({"k": f"key-{i}"})
        elif kind == 2:
            body = b"\x00" + (888_888).to_bytes(4, "big") + body[5:]
        elif kind == 3:
            body = body[:-2]
        elif kind == 4:
            body, key = "plain é".encode(), b"\xff\xfe"
        elif kind == 5:
            body = None
        elif kind == 6:
            body, key = b"", None
        headers = None
        if i % 4 == 0:
            headers = [("h", b"1"), ("h", b"\xff\x00"), ("n", None), ("e", b""), ("é", "ü".encode())]
        producer.produce(topic, body, key, partition=0, timestamp=RECENT + i, headers=headers)
    producer.flush(30)


def whole_file(path: Path) -> bytes:
    """The file's bytes, its recording time blanked (the only thing that differs between runs)."""
    return re.sub(rb'"recorded_at":"[^"]*"', b'"recorded_at":""', path.read_bytes(), count=1)


@pytest.mark.parametrize(
    ("start", "max_messages", "follow", "expected"),
    [
        (StartAt.beginning(), None, False, 600),
        (StartAt.offset(280), None, False, 320),  # starts before V2 and the last key schema
        (StartAt.offset(310), 100, False, 100),
        (StartAt.time(RECENT + 450), None, False, 150),
        (StartAt.beginning(), 1, False, 1),
        (StartAt.beginning(), 350, True, 350),  # follow: stops at max_messages
        (StartAt.offset(590), None, True, 10),  # follow: stops after `timeout` s without records
    ],
)
def test_one_partition_whole_files_are_identical(
    kafka_cluster: str,
    kafka_admin: KafkaAdmin,
    registry: str,
    unique_topic: Callable[..., str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    start: StartAt,
    max_messages: int | None,
    follow: bool,
    expected: int,
) -> None:
    topic = kafka_admin.create_topic(unique_topic("one"), 1)
    seed_one_partition(kafka_cluster, registry, topic)
    files, summaries = {}, {}
    for which in PATHS:
        use_path(monkeypatch, which)
        LOOPS_RUN.clear()
        path = tmp_path / f"{which}.jsonl"
        summaries[which] = record_topics(
            [topic],
            path,
            bootstrap=kafka_cluster,
            registry_url=registry,
            start=start,
            max_messages=max_messages,
            follow=follow,
            timeout=1.0 if follow else 30.0,
        )
        files[which] = whole_file(path)
        assert LOOPS_RUN == ["_native_loop" if which == "native" else "_loop"]
    assert summaries["python"].records == expected
    assert files["native"] == files["python"]
    assert files["process"] == files["python"]
    for which in ("native", "process"):
        assert summaries[which].records == summaries["python"].records
        assert summaries[which].per_partition == summaries["python"].per_partition
        assert summaries[which].undecoded == summaries["python"].undecoded
        assert summaries[which].schemas == summaries["python"].schemas
    if start.kind == "beginning" and max_messages is None:
        names = [s.name for s in summaries["python"].schemas]
        assert names == [f"{topic}-key@1", f"{topic}-value@1", f"{topic}-value@2"]


@pytest.mark.parametrize("which", PATHS)
def test_no_progress_is_an_environment_problem_and_leaves_no_file(
    kafka_cluster: str,
    kafka_admin: KafkaAdmin,
    unique_topic: Callable[..., str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    which: str,
) -> None:
    """An end offset that never comes (as when the broker stops answering mid-recording): after
    `timeout` seconds without a record every path gives up the same way (exit 3), leaving no file."""
    from govern.errors import EnvironmentProblem

    topic = kafka_admin.create_topic(unique_topic("stall"), 1)
    producer = Producer(client_config(kafka_cluster, **{"linger.ms": 1}))
    for n in range(3):
        producer.produce(topic, b"x%d" % n, partition=0)
    producer.flush(30)
    use_path(monkeypatch, which)
    plan = record_module._plan

    def beyond_the_end(*args: Any) -> Any:
        infos, assignment, ends = plan(*args)
        return infos, assignment, {slot: end + 1 for slot, end in ends.items()}

    monkeypatch.setattr(record_module, "_plan", beyond_the_end)
    with pytest.raises(EnvironmentProblem, match=rf"no progress for 1 s while reading {topic}\[0\]"):
        record_topics([topic], tmp_path / "out.jsonl", bootstrap=kafka_cluster, timeout=1.0)
    assert list(tmp_path.iterdir()) == []
