"""The replay spool: the C and Python writers write the same bytes, and what either writes reads back."""

from __future__ import annotations

import io
import logging
import struct
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from govern.kafka.admin import LIBRDKAFKA_LOGGER
from govern.recording import spool
from govern.recording._native import librdkafka_settings

native = spool._native

INT32 = st.integers(0, 2**31 - 1)
BLOB = st.none() | st.binary(max_size=300)
HEADERS = st.lists(st.tuples(st.text(max_size=12), BLOB), max_size=4).map(tuple)
RECORD = st.tuples(
    INT32,
    st.integers(-1, 2**31 - 1),
    st.integers(-(2**63), 2**63 - 1),
    BLOB,
    st.integers(-1, 2**31 - 1),
    BLOB,
    st.integers(-1, 2**31 - 1),
    HEADERS,
)


def read_back(data: bytes) -> list[Any]:
    return list(spool.records(io.BytesIO(data)))


def test_the_extension_is_built_and_finds_librdkafka(monkeypatch: pytest.MonkeyPatch) -> None:
    # Fails (rather than skips) where the build silently went without it: replay would be slow.
    monkeypatch.delenv("GOVERN_NO_NATIVE", raising=False)
    assert native is not None, "govern.recording._native_replay is not built: run pip install -e ."
    enabled, how = spool.native_status()
    assert enabled and "librdkafka 2." in how, how


@given(st.lists(RECORD, max_size=20))
def test_c_and_python_writers_agree_and_both_read_back(batch: list[Any]) -> None:
    python = spool._pack(batch)
    assert native.pack(batch) == python  # so the native producer reads Python-written spools too
    assert read_back(python) == batch


def test_edge_records_round_trip_through_the_c_writer() -> None:
    batch = [
        (0, 2, 1_700_000_000_000, b"acc-1", -1, b"\x00body", 3, (("trace", b"t"), ("trace", b"again"))),
        (1, -1, -1, None, -1, None, -1, ()),  # no partition, no timestamp, no key, a tombstone
        (2, 0, 0, b"", 0, b"", -1, (("bin", bytes([0, 255])), ("none", None), ("ünï", b"\xff"))),
        (3, 7, 2**63 - 1, b"k" * 70_000, 1, b"v" * 200_000, 2, ()),  # bigger than the first buffer
    ]
    assert read_back(native.pack(batch)) == batch
    # other bytes-like values (the validation pass may hand those over) are written as their bytes
    loose = [(0, 0, 5, bytearray(b"k"), -1, memoryview(b"v"), -1, [("h", bytearray(b"x"))])]
    assert read_back(native.pack(loose)) == [(0, 0, 5, b"k", -1, b"v", -1, (("h", b"x"),))]


def test_batches_follow_one_another() -> None:
    out = io.BytesIO()
    first = [(0, 0, 1, b"a", -1, b"b", -1, ())] * 3
    second = [(1, 1, 2, None, -1, b"c", 0, (("h", None),))]
    spool.dump(first, out)
    spool.dump(second, out)
    assert read_back(out.getvalue()) == first + second


def test_dump_uses_python_when_native_is_disabled(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[object] = []
    monkeypatch.delenv("GOVERN_NO_NATIVE", raising=False)
    monkeypatch.setattr(spool, "_pack", lambda batch: calls.append(batch) or b"")
    spool.dump([], io.BytesIO())
    assert calls == []  # the C writer served
    monkeypatch.setenv("GOVERN_NO_NATIVE", "1")
    spool.dump([], io.BytesIO())
    assert calls == [[]]
    assert spool.native_status() == (False, "GOVERN_NO_NATIVE is set")
    assert spool.native_producer({"bootstrap.servers": "127.0.0.1:1"}, []) is None


def test_without_the_extension_everything_runs_in_python(monkeypatch: pytest.MonkeyPatch) -> None:
    """What a machine without a C compiler gets (the build skips the optional extension)."""
    monkeypatch.delenv("GOVERN_NO_NATIVE", raising=False)
    monkeypatch.setattr(spool, "_native", None)
    monkeypatch.setattr(spool, "_VERSION", None)
    monkeypatch.setattr(spool, "_WHERE", "not built")
    batch = [(0, 1, 2, b"k", -1, None, -1, (("h", None),))]
    out = io.BytesIO()
    spool.dump(batch, out)
    assert read_back(out.getvalue()) == batch
    assert spool.native_status() == (False, "not built")
    assert spool.native_producer({"bootstrap.servers": "127.0.0.1:1"}, []) is None


@pytest.mark.parametrize(
    ("record", "error"),
    [
        ((0, 0, 0, b"k", -1, b"v", -1), "tuple of 8"),
        ((0, 0, 0, "k", -1, b"v", -1, ()), "key must be bytes"),
        ((-1, 0, 0, b"k", -1, b"v", -1, ()), "route -1 out of range"),
        ((0, -2, 0, b"k", -1, b"v", -1, ()), "partition -2 out of range"),
        ((0, 0, 2**63, b"k", -1, b"v", -1, ()), "int too big|out of range"),
        ((0, 0, 0, b"k", -1, b"v", -1, (("h",),)), "header must be a"),
        ((0, 0, 0, b"k", -1, b"v", -1, ((1, b"x"),)), "header name"),
    ],
)
def test_the_c_writer_refuses_what_the_reader_could_not_read(record: tuple[Any, ...], error: str) -> None:
    with pytest.raises((TypeError, ValueError, OverflowError), match=error):
        native.pack([record])


def test_a_truncated_spool_is_an_error_not_fewer_records() -> None:
    data = native.pack([(0, 0, 1, b"key", -1, b"value", -1, ())])
    with pytest.raises(ValueError, match="corrupt"):
        read_back(data[:-2])
    with pytest.raises(ValueError, match="corrupt"):
        read_back(data[:5])
    size, count = struct.unpack_from("<II", data)
    with pytest.raises(ValueError, match="corrupt"):  # a batch claiming more bytes than its records use
        read_back(struct.pack("<II", size + 4, count) + data[8:] + b"\0\0\0\0")


def test_config_for_the_native_producer(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GOVERN_NO_NATIVE", raising=False)
    assert librdkafka_settings({"a": True, "b": 10, "c": "x"}) == {"a": "true", "b": "10", "c": "x"}
    assert librdkafka_settings({"logger": LIBRDKAFKA_LOGGER}) == {}  # forwarded by the extension itself
    assert librdkafka_settings({"error_cb": print}) is None
    # a Python callback librdkafka cannot take as text: confluent-kafka's Producer must serve
    assert spool.native_producer({"bootstrap.servers": "x", "error_cb": print}, []) is None
    with pytest.raises(spool.NativeKafkaError, match="No such configuration property"):
        spool.native_producer({"bootstrap.servers": "x", "no.such.setting": "1"}, [])


@pytest.mark.parametrize("kind", ["producer", "consumer"])
def test_librdkafkas_log_lines_reach_the_python_logger(
    kind: str, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Both extensions buffer librdkafka's log lines on its threads and forward them on return."""
    from govern.recording import native as record_native

    monkeypatch.delenv("GOVERN_NO_NATIVE", raising=False)
    unreachable = {"bootstrap.servers": "127.0.0.1:1", "reconnect.backoff.ms": "10"}
    caplog.set_level(logging.DEBUG, logger=LIBRDKAFKA_LOGGER.name)
    if kind == "producer":
        client = spool.native_producer(unreachable, [])
        assert client is not None, "the native producer is built here (see the test above)"
        with pytest.raises(spool.NativeKafkaError):
            client.connect(0.5)  # logs "Connect to ... failed" meanwhile
    else:
        extension = record_native.extension()
        if extension is None:
            pytest.skip("the record extension is not built (no C compiler)")
        client = record_native.native_consumer(extension.Recorder(), {**unreachable, "group.id": "g"})
        assert client is not None
        client.assign([("t", 0, 0)])  # needs the cluster: it connects (sparse connections otherwise wait)
        client.fetch(1, 0.5)  # no broker: nothing fetched, but the failed connects were logged
    client.close()
    refused = [
        r
        for r in caplog.records
        if r.name == LIBRDKAFKA_LOGGER.name and "Connection refused" in r.getMessage()
    ]
    assert refused and refused[0].levelno == logging.ERROR  # syslog level 3 (FAIL) -> ERROR
