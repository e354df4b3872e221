"""Replay's first pass: read and validate every record line into the spool, before anything is sent.

Each source's lines go to the codec extension a block at a time (`_native.Lines`: parse, check the
line's shape, encode key and value through their schemas); what comes back is appended to one
temporary spool file as `u32 source, u32 length, batch`. Nothing is held in memory beyond a
block. The first invalid line stops the replay with `file:line: field: reason` (exit 2); a spool
that cannot be written stops it with exit 3.
"""

from __future__ import annotations

import errno
import gzip
import struct
import zlib
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from govern import _native
from govern.errors import EnvironmentProblem, InputError
from govern.recording.format import FixtureReader, FixtureRecord, Header, SchemaEntry, dumps_line
from govern.recording.schemas import FixtureSchemas

__all__ = [
    "Plan",
    "RecordSource",
    "file_source",
    "records_source",
    "spool_batches",
    "spool_problem",
    "validate",
]

READ_BLOCK = 1 << 20
"""Bytes of a file handed to the extension at once (it keeps a line cut at the end for the next)."""
_BATCH = struct.Struct("<II")  # source index, batch length


class Unreadable(Exception):
    """A source's records could not be read on; `validate` words it with the line reached."""


@dataclass
class RecordSource:
    """A header and its record lines as JSON Lines: `chunks()` yields the bytes after the header
    (cut anywhere; line `first_line` first); `where(line)` words a line's place in errors
    (`file:line`)."""

    label: str
    header: Header
    chunks: Callable[[], Iterator[bytes]]
    where: Callable[[int], str]
    close: Callable[[], None] = lambda: None
    first_line: int = 1


def _file_chunks(reader: FixtureReader) -> Iterator[bytes]:
    """The file after its header, READ_BLOCK bytes at a time; Unreadable when it cannot be read."""
    try:
        raw = reader.open_records()
    except OSError as error:
        raise InputError(
            f"{reader.path}: cannot read: {error}", hint="the file is damaged or cut short"
        ) from None
    with raw:
        while True:
            try:
                chunk = raw.read(READ_BLOCK)
            except (EOFError, gzip.BadGzipFile, zlib.error, OSError) as error:
                raise Unreadable(str(error)) from None
            if not chunk:
                return
            yield chunk


def file_source(path: Path | str) -> RecordSource:
    """A fixture file as a source (the header is read and checked here)."""
    reader = FixtureReader(path)
    return RecordSource(
        str(path), reader.header, lambda: _file_chunks(reader), reader.where, reader.close, first_line=2
    )


def records_source(
    header: Header, records: Iterable[FixtureRecord | dict[str, Any]], label: str = "records"
) -> RecordSource:
    """In-memory records (objects, or plain JSON dicts in the file's shape) as a source: written as
    lines and validated like a file's; errors name `label[i]`."""

    def chunks() -> Iterator[bytes]:
        for item in records:
            data = item.to_json() if isinstance(item, FixtureRecord) else item
            yield dumps_line(data) + b"\n"

    return RecordSource(label, header, chunks, lambda i: f"{label}[{i}]")


@dataclass
class Plan:
    """What validation learned: per source its topics, schema slots and recorded partitions."""

    sources: list[RecordSource]
    schemas: list[FixtureSchemas] = field(default_factory=list)
    topics: list[list[str]] = field(default_factory=list)  # per source: source topics by index
    slots: list[list[tuple[int, SchemaEntry, str]]] = field(default_factory=list)  # (topic, entry, kind)
    partitions: list[list[int]] = field(default_factory=list)  # per source, per topic: needed partitions
    counts: list[list[tuple[int, int, int]]] = field(default_factory=list)  # (topic, partition or -1, n)
    count: int = 0


def validate(sources: Sequence[RecordSource], topic: str | None, spool: IO[bytes]) -> Plan:
    """Validate every source into `spool` (unbuffered, as replay opens it: no tail is left to fail
    later); InputError (exit 2) naming the first bad line, EnvironmentProblem (exit 3) when the
    spool cannot be written."""
    plan = Plan(list(sources))
    for index, source in enumerate(sources):
        schemas = FixtureSchemas(source.header, f"{source.label}:1")
        compiled = {name: codec.compiled for name, codec in schemas.codecs.items()}
        topics = source.header.topics
        default = topics[0].name if len(topics) == 1 else topic
        lines = _native.Lines(compiled, default, source.first_line)
        try:
            for chunk in source.chunks():
                _spool(spool, index, *lines.feed(chunk))
            _spool(spool, index, *lines.finish())
        except _native.LineError as error:
            number, message = error.args
            raise InputError(
                f"{source.where(number)}: {message}",
                hint="make the value match its schema; the JSON mapping is in docs/fixtures.md"
                if "(schema '" in message
                else "see docs/fixtures.md",
            ) from None
        except Unreadable as error:
            raise InputError(
                f"{source.where(lines.line)}: cannot read: {error}", hint="the file is damaged or cut short"
            ) from None
        recorded = {info.name: info.partitions or 0 for info in topics}
        plan.schemas.append(schemas)
        plan.topics.append(lines.topics)
        needed = zip(lines.topics, lines.partitions, strict=True)
        plan.partitions.append([max(seen, recorded.get(name, 0)) for name, seen in needed])
        plan.counts.append(lines.counts)
        plan.slots.append([(t, schemas.entries[name], kind) for t, kind, name in lines.slots])
        plan.count += lines.count
    return plan


def _spool(spool: IO[bytes], index: int, batch: bytes, count: int) -> None:
    if count:
        try:
            _write_all(spool, _BATCH.pack(index, len(batch)))
            _write_all(spool, batch)
        except OSError as error:
            raise spool_problem(error) from None


def spool_problem(error: OSError) -> EnvironmentProblem:
    """The exit-3 error of a spool that cannot be created or written."""
    return EnvironmentProblem(
        f"cannot write replay's temporary spool file: {error.strerror or error}",
        hint="it holds every validated record until they are produced; point TMPDIR at a "
        "file system with room (about the fixture's size)",
    )


def _write_all(spool: IO[bytes], data: bytes) -> None:
    """All of `data`: an unbuffered file may take part of it per call."""
    view = memoryview(data)
    while view:
        written = spool.write(view)
        if not written:  # a regular file takes at least a byte, or raises
            raise OSError(errno.EIO, "the spool took no bytes")
        view = view[written:]


def spool_batches(spool: IO[bytes]) -> Iterator[tuple[int, bytes]]:
    """(source index, batch) of the spool written by `validate`, from its start."""
    spool.seek(0)
    while head := spool.read(_BATCH.size):
        index, size = _BATCH.unpack(head)
        yield index, spool.read(size)
