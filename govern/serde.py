"""Confluent wire format over fastavro: magic byte 0, 4-byte big-endian schema id, Avro binary body.

`Serializer(client, subject, schema)` registers (or looks up) the schema once and frames each
record; `Deserializer(client)` reads the id, fetches the writer schema once per id (the client
caches by id, this module caches the parsed fastavro schema) and decodes, optionally into a
reader schema. The bytes are interchangeable with confluent-kafka-python's AvroSerializer.
"""

from __future__ import annotations

import io
import json
import struct
import threading
from collections.abc import Sequence
from typing import Any

import fastavro
from fastavro.types import Schema as FastavroSchema

from govern.errors import InputError
from govern.registry.client import Client, Reference, RegisteredSchema, SchemaLike, schema_text
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


def _resolve_references(
    client: Client, references: Sequence[Reference], named: dict[str, Any], seen: set[Any]
) -> None:
    """Parse every referenced schema (dependencies first) into `named` so the main schema can use them."""
    for ref in references:
        key = (ref.subject, ref.version)
        if key in seen:
            continue
        seen.add(key)
        registered = client.get_version(ref.subject, ref.version if ref.version > 0 else "latest")
        _resolve_references(client, registered.references, named, seen)
        _parse(registered.schema, named)


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
        self._parsed: FastavroSchema | None = None
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
        named: dict[str, Any] = {}
        _resolve_references(self.client, self.references, named, set())
        try:
            self._parsed = _parse(self.schema, named)
        except (ValueError, fastavro.schema.SchemaParseException) as error:
            raise SerdeError(f"fastavro cannot use the schema for {self.subject}: {error}") from None
        self._registered = registered
        self._id = registered.id

    def __call__(self, record: Any) -> bytes:
        """Encode one record: header + Avro binary."""
        schema_id = self.schema_id
        buffer = io.BytesIO()
        try:
            fastavro.schemaless_writer(buffer, self._parsed, record)
        except (ValueError, TypeError, AttributeError, KeyError, OverflowError, struct.error) as error:
            raise SerdeError(f"record does not match the schema of {self.subject}: {error}") from None
        return frame(schema_id, buffer.getvalue())


class Deserializer:
    """Decodes Confluent-framed Avro bytes written with any schema id of the registry."""

    def __init__(self, client: Client, *, reader_schema: SchemaLike | None = None) -> None:
        self.client = client
        self._reader = _parse(schema_text(reader_schema), {}) if reader_schema is not None else None
        self._writers: dict[int, FastavroSchema] = {}
        self._lock = threading.Lock()

    def writer_schema(self, schema_id: int) -> FastavroSchema:
        """The parsed writer schema of an id (fetched once per id)."""
        parsed = self._writers.get(schema_id)
        if parsed is not None:
            return parsed
        try:
            schema = self.client.get_schema(schema_id)
        except NotFound:
            raise SerdeError(
                f"unknown schema id {schema_id}: the registry at {self.client.url} does not have it",
                hint="was the message written against another registry?",
            ) from None
        if schema.schema_type != "AVRO":
            raise SerdeError(f"schema id {schema_id} is {schema.schema_type}, not AVRO")
        named: dict[str, Any] = {}
        _resolve_references(self.client, schema.references, named, set())
        parsed = _parse(schema.schema, named)
        with self._lock:
            self._writers[schema_id] = parsed
        return parsed

    def __call__(self, data: bytes | bytearray | memoryview) -> Any:
        """Decode one message into Python values (dicts for records)."""
        schema_id, body = unframe(data)
        writer = self.writer_schema(schema_id)
        try:
            return fastavro.schemaless_reader(io.BytesIO(body), writer, self._reader)
        except fastavro.read.SchemaResolutionError as error:
            raise SerdeError(f"reader schema cannot read schema id {schema_id}: {error}") from None
        except (EOFError, StopIteration, ValueError, IndexError, UnicodeDecodeError, struct.error) as error:
            raise SerdeError(f"cannot decode the Avro body of schema id {schema_id}: {error!r}") from None
