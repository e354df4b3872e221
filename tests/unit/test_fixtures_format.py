"""The fixture file format: header and record parsing, file:line errors, atomic writes, validation."""

from __future__ import annotations

import gzip
import json
from pathlib import Path
from typing import Any

import pytest

from govern.errors import EnvironmentProblem, InputError
from govern.recording import (
    FixtureReader,
    FixtureRecord,
    FixtureWriter,
    Header,
    ReplayOptions,
    SchemaEntry,
    TopicInfo,
    file_source,
    replay,
)

ROOT = Path(__file__).resolve().parents[2]
SCHEMA = {"type": "record", "name": "V", "fields": [{"name": "n", "type": "long"}]}


def write(path: Path, header: dict[str, Any], *lines: Any) -> Path:
    text = (
        json.dumps(header)
        + "\n"
        + "".join((x if isinstance(x, str) else json.dumps(x)) + "\n" for x in lines)
    )
    path.write_text(text)
    return path


def header(**extra: Any) -> dict[str, Any]:
    return {
        "format": "govern.topic-fixture",
        "version": 1,
        "topics": [{"name": "t", "partitions": 1}],
        "schemas": [{"name": "v", "schema": SCHEMA}],
        **extra,
    }


def validate(path: Path) -> None:
    """Run replay's validation pass alone: no registry, no broker, so it must fail before both."""
    replay([file_source(path)], bootstrap=None, registry_url=None, options=ReplayOptions(dry_run=True))


def test_writer_reader_round_trip_gzip(tmp_path: Path) -> None:
    path = tmp_path / "f.jsonl.gz"
    record = FixtureRecord(
        {"n": 1},
        "k",
        schema="v",
        topic="t",
        partition=0,
        offset=3,
        timestamp=5,
        timestamp_type="create",
        headers=[("h", "x"), ("h", {"base64": "AP8="}), ("n", None)],
    )
    with FixtureWriter(path) as writer:
        writer.write(record)
        writer.commit(
            Header((SchemaEntry("v", SCHEMA, "t-value", 1, 9),), (TopicInfo("t", 1, {0: 3}, {0: 4}),))
        )
    with gzip.open(path, "rt") as raw:
        assert json.loads(raw.readline())["schemas"][0]["id"] == 9
    with FixtureReader(path) as reader:
        assert reader.header.topics[0].end_offsets == {0: 4}
        assert [r for _, r in reader.records()] == [record]
    assert [p.name for p in tmp_path.iterdir()] == ["f.jsonl.gz"]


def test_a_failed_write_leaves_no_file(tmp_path: Path) -> None:
    path = tmp_path / "f.jsonl"
    with pytest.raises(RuntimeError), FixtureWriter(path) as writer:
        writer.write(FixtureRecord(None))
        raise RuntimeError("broker died")
    assert list(tmp_path.iterdir()) == []


def _written(path: Path, guess: Header | None, final: Header, *, fail: bool = False) -> bytes:
    """The bytes FixtureWriter writes for two records and `final`, with `guess` expected first."""
    with FixtureWriter(path) as writer:
        if guess is not None:
            writer.expect(lambda: guess)
        writer.write(FixtureRecord({"n": 1}, "k", schema="v", topic="t", partition=0, offset=0))
        writer.write(FixtureRecord(None, topic="t"))
        writer.write_lines(b'{"value":"x"}\n{"value":"y"}\n', 2)
        if fail:
            raise RuntimeError("broker died")
        writer.commit(final)
    return gzip.decompress(path.read_bytes()) if path.name.endswith(".gz") else path.read_bytes()


@pytest.mark.parametrize("name", ["f.jsonl", "f.jsonl.gz"])
def test_a_guessed_header_gives_the_same_bytes(tmp_path: Path, name: str) -> None:
    """FixtureWriter.expect: a guess of the right length is overwritten in place (no copy of the
    records); one of another length (a schema met later) is dropped by the copy; same bytes."""
    entry = SchemaEntry("v", SCHEMA, "t-value", 1, 9)
    topics = (TopicInfo("t", 1, {0: 3}, {0: 4}),)
    final = Header((entry,), topics, "2026-11-25T08:00:00.123Z")
    same_length = Header((entry,), topics, "2026-11-25T07:59:58.000Z")
    shorter = Header((), topics, "2026-11-25T07:59:58.000Z")
    expected = _written(tmp_path / name, None, final)
    assert expected.startswith(json.dumps(final.to_json(), separators=(",", ":")).encode() + b"\n")
    for guess in (same_length, shorter, final):
        (tmp_path / name).unlink()
        assert _written(tmp_path / name, guess, final) == expected
        assert [p.name for p in tmp_path.iterdir()] == [name]
    (tmp_path / name).unlink()
    with pytest.raises(RuntimeError):
        _written(tmp_path / name, same_length, final, fail=True)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ('{"value": null', "truncated line"),
        ("{value: 1}\n", "invalid JSON"),
        ({"value": 1}, "value: expected null, a string"),
        ({"value": {"n": "x"}, "schema": "v"}, "value.n: expected an integer (long), got the string 'x'"),
        ({"value": {"n": 1}, "schema": "nope"}, "unknown schema 'nope'"),
        ({"value": None, "shema": "v"}, "unknown key 'shema'"),
        ({"key": "k"}, 'missing "value"'),
        ({"value": None, "headers": [["h"]]}, "headers[0]: expected a [name, value] pair"),
        ({"value": None, "headers": [["h", {"base64": "!"}]]}, "invalid base64"),
        ({"value": None, "timestamp": "yesterday"}, "invalid ISO-8601 timestamp"),
        ({"value": None, "partition": -1}, "partition: expected an integer >= 0"),
    ],
)
def test_bad_lines_fail_validation_naming_file_and_line(tmp_path: Path, line: Any, message: str) -> None:
    path = tmp_path / "bad.jsonl"
    write(path, header(), {"value": None}, {"value": {"n": 1}, "schema": "v"})
    with path.open("a") as out:
        out.write(line if isinstance(line, str) else json.dumps(line) + "\n")
    with pytest.raises(InputError) as caught:
        validate(path)
    assert caught.value.message.startswith(f"{path}:4: "), caught.value.message
    assert message in caught.value.message


@pytest.mark.parametrize(
    ("head", "message"),
    [
        ({"format": "other", "version": 1}, "not a fixture file"),
        ({"format": "govern.topic-fixture", "version": 2}, "format version 2 is not supported"),
        (
            header(
                schemas=[{"name": "v", "schema": {"type": "record", "name": "V", "fields": [{"name": 1}]}}]
            ),
            "not a valid Avro schema",
        ),
        (
            header(schemas=[{"name": "v", "schema": SCHEMA, "references": [{"name": "X", "subject": "x"}]}]),
            "references X",
        ),
        (header(schemas=[{"name": "v", "path": "missing.avsc"}]), "cannot read"),
        (header(schemas=[{"name": "v"}]), "exactly one"),
    ],
)
def test_bad_headers_fail_at_line_1(tmp_path: Path, head: dict[str, Any], message: str) -> None:
    path = write(tmp_path / "h.jsonl", head, {"value": None})
    with pytest.raises(InputError) as caught:
        validate(path)
    assert caught.value.message.startswith(f"{path}:1: ")
    assert message in caught.value.message


def test_hand_written_fixture_with_paths_references_iso_times_and_untagged_optionals() -> None:
    path = ROOT / "tests/data/topics/transaction-request.jsonl"
    with FixtureReader(path) as reader:
        names = [s.name for s in reader.header.schemas]
        assert "io.govern.exchange.TransactionType" in names
    validate(path)  # every value encodes through the exchange's real schemas


def test_records_without_topic_need_one(tmp_path: Path) -> None:
    head = header(topics=[])
    path = write(tmp_path / "n.jsonl", head, {"value": None})
    with pytest.raises(InputError, match="names no topic"):
        validate(path)
    replay(
        [file_source(path)], bootstrap=None, registry_url=None, options=ReplayOptions(dry_run=True, topic="x")
    )


def test_an_empty_or_missing_file(tmp_path: Path) -> None:
    (tmp_path / "e.jsonl").write_text("")
    with pytest.raises(InputError, match="empty file"):
        FixtureReader(tmp_path / "e.jsonl")
    with pytest.raises(InputError, match="cannot open"):
        FixtureReader(tmp_path / "missing.jsonl")


def test_a_gzip_file_cut_short_is_an_input_error(tmp_path: Path) -> None:
    path = tmp_path / "f.jsonl.gz"
    with FixtureWriter(path) as writer:
        for n in range(2000):
            writer.write(FixtureRecord({"n": n}, schema="v", topic="t"))
        writer.commit(Header((SchemaEntry("v", SCHEMA),), (TopicInfo("t", 1),)))
    data = path.read_bytes()
    path.write_bytes(data[: len(data) * 2 // 3])
    with pytest.raises(InputError, match="cannot read"):
        validate(path)


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full, a device whose writes fail")
def test_a_spool_that_cannot_be_written_is_exit_3_not_a_traceback(tmp_path: Path) -> None:
    from govern.recording.validate import validate as validate_into

    path = write(tmp_path / "ok.jsonl", header(), *({"value": {"n": i}, "schema": "v"} for i in range(3)))
    with open("/dev/full", "wb", buffering=0) as full, pytest.raises(EnvironmentProblem) as caught:
        validate_into([file_source(path)], None, full)
    assert caught.value.message == "cannot write replay's temporary spool file: No space left on device"
    assert "TMPDIR" in (caught.value.hint or "")


def test_a_spool_that_cannot_be_created_is_exit_3(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = write(tmp_path / "ok.jsonl", header(), {"value": {"n": 1}, "schema": "v"})
    monkeypatch.setattr("tempfile.tempdir", str(tmp_path / "missing"))  # as a TMPDIR gone away
    with pytest.raises(EnvironmentProblem, match="cannot write replay's temporary spool file"):
        validate(path)
