"""Turning a submitted schema into its stored form and identity key, through `govern.avro`.

The registry stores the schema as compact JSON of the parsed schema (so whitespace and key order
of the submission do not create new ids, as in Confluent), and identifies it by a hash over
(type, stored text, references). Parsing is the expensive part of a lookup, so results are kept
in small LRU caches: by submission text, and (for compatibility history) by schema id.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from govern.registry.errors import InvalidSchema
from govern.registry.store import Reference

CACHEABLE_TEXT = 64 * 1024  # submissions larger than this are parsed every time, not cached
K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class LRU(Generic[K, V]):
    """A thread-safe bounded mapping that forgets the least recently used entry."""

    def __init__(self, capacity: int) -> None:
        self._capacity = capacity
        self._data: OrderedDict[K, V] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: K) -> V | None:
        with self._lock:
            value = self._data.get(key)
            if value is not None:
                self._data.move_to_end(key)
            return value

    def put(self, key: K, value: V) -> None:
        with self._lock:
            self._data[key] = value
            self._data.move_to_end(key)
            while len(self._data) > self._capacity:
                self._data.popitem(last=False)


@dataclass(frozen=True, slots=True)
class ParsedSchema:
    """A submitted schema after parsing: what to store, how to identify it, and the model."""

    schema_type: str
    text: str
    identity: str
    references: tuple[Reference, ...]
    avro: Any  # govern.avro.AvroSchema


def _compact(value: object, *, normalize: bool) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False, sort_keys=normalize)


def identity_of(
    schema_type: str,
    text: str,
    references: Sequence[Reference],
    metadata: dict[str, Any] | None = None,
    rule_set: dict[str, Any] | None = None,
) -> str:
    """The dedup key: equal keys get the same schema id across all subjects.

    As in Confluent, a schema's data contract (metadata, rule set) is part of its identity: the
    same text with other rules is another schema (another id, and a new version)."""
    digest = hashlib.sha256()
    digest.update(schema_type.encode())
    digest.update(b"\0")
    digest.update(text.encode())
    for ref in references:
        digest.update(f"\0{ref.name}\0{ref.subject}\0{ref.version}".encode())
    if metadata is not None or rule_set is not None:  # keys of contract-free schemas stay as they were
        digest.update(b"\0contract\0" + _compact([metadata, rule_set], normalize=True).encode())
    return digest.hexdigest()


class SchemaParser:
    """Parses submissions (strictly) and stored schemas (leniently), with caches."""

    def __init__(self, capacity: int = 4096) -> None:
        self._submitted: LRU[tuple[object, ...], ParsedSchema] = LRU(capacity)
        self._stored: LRU[int, Any] = LRU(max(capacity, 16384))

    def parse_submitted(
        self,
        schema_type: str,
        text: str,
        references: tuple[Reference, ...],
        reference_texts: Callable[[], list[str]],
        *,
        normalize: bool,
        strict: bool = True,
    ) -> ParsedSchema:
        """Parse a schema a client sent; raise `InvalidSchema` (42201) with the parser's reason."""
        key = (schema_type, text, references, normalize, strict)
        cached = self._submitted.get(key)
        if cached is not None:
            return cached
        from govern.avro import SchemaParseError, parse_schema

        try:
            try:
                json.loads(text)
            except ValueError as error:
                raise InvalidSchema(f"Invalid schema: not valid JSON: {error}") from None
            try:
                avro = parse_schema(text, references=reference_texts(), strict=strict)
            except SchemaParseError as error:
                raise InvalidSchema(f"Invalid schema: {error.reason} (at {error.pointer or '/'})") from None
            except (ValueError, TypeError, KeyError) as error:  # an engine bug is still about the input
                raise InvalidSchema(f"Invalid schema: {error}") from None
            stored = avro.text  # Avro Java Schema.toString(), as Confluent stores it
            if normalize:
                stored = _compact(json.loads(stored), normalize=True)
        except RecursionError:
            raise InvalidSchema("Invalid schema: nested too deeply") from None
        try:
            stored.encode("utf-8")
        except UnicodeEncodeError:
            raise InvalidSchema(
                "Invalid schema: contains a lone UTF-16 surrogate (not valid Unicode)"
            ) from None
        parsed = ParsedSchema(
            schema_type, stored, identity_of(schema_type, stored, references), references, avro
        )
        if len(text) <= CACHEABLE_TEXT:  # bound memory: never keep many huge submissions around
            self._submitted.put(key, parsed)
        else:
            from govern.avro import clear_cache

            clear_cache()  # govern.avro caches by text (512 entries): keep huge ones out of it too
        return parsed

    def parse_stored(self, schema_id: int, text: str, reference_texts: Callable[[], list[str]]) -> Any:
        """The model of a stored schema (lenient parsing: old schemas are never re-validated)."""
        cached = self._stored.get(schema_id)
        if cached is not None:
            return cached
        from govern.avro import parse_schema

        avro = parse_schema(text, references=reference_texts(), strict=False)
        self._stored.put(schema_id, avro)
        return avro
