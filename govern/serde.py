"""Confluent wire format: magic byte 0, 4-byte big-endian schema id, Avro binary body.

`Serializer(client, subject, schema)` registers (or looks up) the schema once and frames each
record, written by the Rust codec (rust/govern_codec's `Writer`, over the schema compiled as for
govern.recording) from Python values as fastavro takes them, with fastavro's exact bytes: dicts,
`Decimal` for decimals, int or datetime for timestamps, bytes, None, enums as str, a union's
branch chosen as fastavro chooses it. Like fastavro, a record may omit a field with a default or
a nullable one and may carry keys its schema does not name. `Deserializer(client)` reads the id,
fetches the writer schema once per id (the client caches by id, this module the parsed schema)
and decodes with fastavro, optionally into a reader schema (fastavro is the one reader with
schema resolution). The bytes are interchangeable with confluent-kafka-python's AvroSerializer.
"""

from __future__ import annotations

import io
import json
import struct
import threading
from collections.abc import Sequence
from typing import Any

import fastavro
from fastavro._logical_readers import LOGICAL_READERS
from fastavro._logical_writers import LOGICAL_WRITERS
from fastavro.types import Schema as FastavroSchema

from govern import _native
from govern.avro import SchemaParseError, parse_schema
from govern.errors import InputError
from govern.registry.client import Client, Reference, RegisteredSchema, Schema, SchemaLike, schema_text
from govern.registry.errors import NotFound

MAGIC_BYTE = 0
HEADER = struct.Struct(">bI")

__all__ = ["MAGIC_BYTE", "Deserializer", "SerdeError", "Serializer", "frame", "unframe"]


class SerdeError(InputError):
    """Bytes that are not a Confluent Avro message, or a record that does not fit its schema."""


def frame(schema_id: int, body: bytes) -> bytes:
    """Prefix an Avro body with the Confluent header (magic byte 0 + big-endian id)."""
    if not 0 <= schema_id < 2**32:
        raise SerdeError(f"schema id {schema_id} does not fit in 4 bytes")
    return HEADER.pack(MAGIC_BYTE, schema_id) + body


def unframe(data: bytes | bytearray | memoryview) -> tuple[int, bytes]:
    """Split a Confluent-framed message into (schema id, Avro body); SerdeError when not framed."""
    raw = bytes(data)
    if len(raw) < HEADER.size:
        raise SerdeError(
            f"message too short for the Confluent wire format: {len(raw)} bytes, need at least {HEADER.size}",
            hint="the payload was not written by a schema-registry serializer",
        )
    if raw[0] != MAGIC_BYTE:
        raise SerdeError(
            f"invalid magic byte {raw[0]:#04x}: expected 0x00 (Confluent wire format)",
            hint="the payload was not written by a schema-registry Avro serializer",
        )
    return struct.unpack_from(">I", raw, 1)[0], raw[HEADER.size :]


def _parse(text: str, named: dict[str, Any]) -> FastavroSchema:
    return fastavro.parse_schema(json.loads(text), named_schemas=named, _ignore_default_error=True)


def _referenced(client: Client, references: Sequence[Reference], seen: set[Any], out: list[str]) -> list[str]:
    """The text of every referenced schema, dependencies first, appended to `out`."""
    for ref in references:
        key = (ref.subject, ref.version)
        if key in seen:
            continue
        seen.add(key)
        registered = client.get_version(ref.subject, ref.version if ref.version > 0 else "latest")
        _referenced(client, registered.references, seen, out)
        out.append(registered.schema)
    return out


def _resolve_references(client: Client, references: Sequence[Reference], named: dict[str, Any]) -> None:
    """Parse every referenced schema (dependencies first) into `named` so the main schema can use them."""
    for text in _referenced(client, references, set(), []):
        _parse(text, named)


def _logical(kind: str, value: Any) -> Any:
    """fastavro's conversion of a logical value given as an object (datetime, date, time, UUID)."""
    prepare = LOGICAL_WRITERS.get(kind)
    if prepare is None:
        raise TypeError(f"{type(value).__name__} is not a value of {kind}")
    return prepare(value, {})


def _logical_reader(kind: str) -> Any:
    """fastavro's reader of a logical type (its value from the raw int or str), None if it has none."""
    return LOGICAL_READERS.get(kind)


def _coder(subject: str, text: str, references: list[str], logical: Any, kind: str) -> Any:
    """The Rust codec's `Writer` or `Reader` (`kind`) for a schema, SerdeError if it cannot be used."""
    # imported here: govern.recording decodes through this module (an import cycle otherwise)
    from govern.recording.codec import program

    try:
        parsed = parse_schema(text, references=references, strict=False)
        return getattr(_native, kind)(program(parsed.root), logical)
    except (SchemaParseError, ValueError) as error:
        raise SerdeError(f"cannot use the schema of {subject}: {error}") from None


class Serializer:
    """Turns records into Confluent-framed Avro bytes for one subject and schema.

    The schema is registered on first use (`auto_register=True`, as Confluent's default) or
    looked up (`auto_register=False`, raising `SchemaNotFound` if absent). `metadata` and
    `rule_set` are its data contract, sent with it; `contract` is the one the registry holds for
    the version used (govern does not execute rules: confluent-kafka's rule executors do).
    """

    def __init__(
        self,
        client: Client,
        subject: str,
        schema: SchemaLike,
        *,
        references: Sequence[Reference] = (),
        auto_register: bool = True,
        normalize: bool = False,
        metadata: dict[str, Any] | None = None,
        rule_set: dict[str, Any] | None = None,
    ) -> None:
        self.client = client
        self.metadata, self.rule_set = metadata, rule_set
        self._registered: RegisteredSchema | None = None
        self.subject = subject
        self.schema = schema_text(schema)
        self.references = tuple(references)
        self.auto_register = auto_register
        self.normalize = normalize
        self._id: int | None = None
        self._writer: Any = None
        self._lock = threading.Lock()

    @property
    def schema_id(self) -> int:
        """The registry id of the schema (registering or looking it up on first access)."""
        if self._id is None:
            with self._lock:
                if self._id is None:
                    self._prepare()
        assert self._id is not None
        return self._id

    @property
    def contract(self) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
        """(metadata, rule set) of the registered version this serializer writes with."""
        self.schema_id  # noqa: B018 - registers or looks up on first use
        assert self._registered is not None
        return self._registered.metadata, self._registered.rule_set

    def _prepare(self) -> None:
        call = self.client.register if self.auto_register else self.client.lookup
        contract = {"metadata": self.metadata, "rule_set": self.rule_set}
        registered = call(
            self.subject,
            self.schema,
            references=self.references,
            normalize=self.normalize,
            **{k: v for k, v in contract.items() if v is not None},
        )
        references = _referenced(self.client, self.references, set(), [])
        self._writer = _coder(self.subject, self.schema, references, _logical, "Writer")
        self._registered = registered
        self._id = registered.id

    def __call__(self, record: Any) -> bytes:
        """Encode one record: header + Avro binary."""
        schema_id = self.schema_id
        try:
            body = self._writer.write(record)
        except _native.Mismatch as error:
            path, message = error.args
            where = f"{self.subject}, at {path}" if path else self.subject
            raise SerdeError(f"record does not match the schema of {where}: {message}") from None
        return frame(schema_id, body)


class Deserializer:
    """Decodes Confluent-framed Avro bytes written with any schema id of the registry."""

    def __init__(self, client: Client, *, reader_schema: SchemaLike | None = None) -> None:
        self.client = client
        self._reader = _parse(schema_text(reader_schema), {}) if reader_schema is not None else None
        self._writers: dict[int, FastavroSchema] = {}
        self._bodies: dict[int, Any] = {}  #: schema id -> the Rust reader of its bodies
        self._lock = threading.Lock()

    def _registered(self, schema_id: int) -> Schema:
        try:
            schema = self.client.get_schema(schema_id)
        except NotFound:
            raise SerdeError(
                f"unknown schema id {schema_id}: the registry at {self.client.url} does not have it",
                hint="was the message written against another registry?",
            ) from None
        if schema.schema_type != "AVRO":
            raise SerdeError(f"schema id {schema_id} is {schema.schema_type}, not AVRO")
        return schema

    def writer_schema(self, schema_id: int) -> FastavroSchema:
        """The parsed writer schema of an id (fetched once per id)."""
        parsed = self._writers.get(schema_id)
        if parsed is not None:
            return parsed
        schema = self._registered(schema_id)
        named: dict[str, Any] = {}
        _resolve_references(self.client, schema.references, named)
        parsed = _parse(schema.schema, named)
        with self._lock:
            self._writers[schema_id] = parsed
        return parsed

    def _body_reader(self, schema_id: int) -> Any:
        """The Rust reader of an id's bodies (built once per id)."""
        reader = self._bodies.get(schema_id)
        if reader is None:
            schema = self._registered(schema_id)
            references = _referenced(self.client, schema.references, set(), [])
            reader = _coder(f"schema id {schema_id}", schema.schema, references, _logical_reader, "Reader")
            with self._lock:
                self._bodies[schema_id] = reader
        return reader

    def __call__(self, data: bytes | bytearray | memoryview) -> Any:
        """Decode one message into Python values (dicts for records), as fastavro reads them."""
        schema_id, body = unframe(data)
        if self._reader is None:
            reader = self._body_reader(schema_id)
            try:
                return reader.read(body)
            except _native.DecodeError as error:
                raise SerdeError(f"cannot decode the Avro body of schema id {schema_id}: {error}") from None
        writer = self.writer_schema(schema_id)
        try:
            return fastavro.schemaless_reader(io.BytesIO(body), writer, self._reader)
        except fastavro.read.SchemaResolutionError as error:
            raise SerdeError(f"reader schema cannot read schema id {schema_id}: {error}") from None
        except (EOFError, StopIteration, ValueError, IndexError, UnicodeDecodeError, struct.error) as error:
            raise SerdeError(f"cannot decode the Avro body of schema id {schema_id}: {error!r}") from None
