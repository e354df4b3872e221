"""``AvroSchema`` (a parsed schema) and ``parse_schema``, with a bounded cache of parsed schemas."""

from __future__ import annotations

import json
import threading
from collections import OrderedDict
from collections.abc import Sequence
from functools import cached_property
from pathlib import Path
from typing import Any, Union

from govern.avro.jsonpos import Position
from govern.avro.model import Node
from govern.avro.parser import Names, SchemaSource, parse_document, read_source
from govern.avro.writer import canonical_form, fingerprint64, java_string

SchemaInput = Union[str, Path, dict, list, "AvroSchema"]

CACHE_SIZE = 512  # bounded: memory stays flat over any number of checks


class AvroSchema:
    """A parsed, validated Avro schema.

    ``root`` is the node graph the compatibility walk uses; ``json`` the decoded document,
    ``canonical`` its Parsing Canonical Form and ``fingerprint`` the CRC-64-AVRO of that;
    ``text`` is Avro Java's ``Schema.toString()`` (what Confluent stores). Equality and hash are
    by the full normalised document plus references, *not* by canonical form, because canonical
    form drops defaults and aliases, which decide compatibility.
    """

    __slots__ = ("root", "_json", "source", "references", "strict", "_src", "_names", "__dict__")

    def __init__(
        self,
        root: Node,
        src: SchemaSource,
        names: Names,
        references: tuple[AvroSchema, ...] = (),
        strict: bool = True,
    ) -> None:
        self.root = root
        self._json: Any = None  # the document's JSON value, decoded when first asked for
        self.source: str | None = src.file
        self.references = references
        self.strict = strict
        self._src = src
        self._names = names

    @property
    def json(self) -> Any:
        """The decoded JSON document (of this type alone for ``named``)."""
        if self._json is None:
            self._json = self._src.value
        return self._json

    # -- identity -------------------------------------------------------------------------------
    @cached_property
    def key(self) -> str:
        """Identity key: sorted-key compact JSON of the document and of each reference."""
        parts = [json.dumps(self.json, sort_keys=True, separators=(",", ":"), ensure_ascii=False)]
        parts.extend(ref.key for ref in self.references)
        return "\x00".join(parts)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, AvroSchema) and self.key == other.key

    def __hash__(self) -> int:
        return hash(self.key)

    def __repr__(self) -> str:
        return f"AvroSchema({self.name!r}{', file=' + repr(self.source) if self.source else ''})"

    # -- derived forms --------------------------------------------------------------------------
    @property
    def type(self) -> str:
        """The Avro type of the root (``record``, ``enum``, ``union``, ``string``, ...)."""
        return self.root.type

    @property
    def name(self) -> str:
        """Full name of a named root type, else the type name (``string``, ``array``, ``union``)."""
        return self.root.fullname or self.root.type

    @cached_property
    def canonical(self) -> str:
        """Avro Parsing Canonical Form."""
        return canonical_form(self.root)

    @cached_property
    def fingerprint(self) -> int:
        """CRC-64-AVRO (Rabin) fingerprint of the canonical form, unsigned."""
        return fingerprint64(self.canonical.encode("utf-8"))

    @cached_property
    def text(self) -> str:
        """Avro Java ``Schema.toString()``; types from references are written by name, as Confluent does."""
        return java_string(self.root, self._names.referenced)

    @property
    def named_types(self) -> dict[str, Node]:
        """Every named type this schema can see (its own and those of its references), by full name."""
        return dict(self._names.types)

    def named(self, fullname: str) -> AvroSchema:
        """The named type ``fullname`` defined in this document, as a schema of its own.

        For a file holding several types (a JSON array of them): positions stay those of the
        file; ``json`` is the type's own definition. KeyError when the name is not known here.
        """
        node = self._names.types[fullname]
        if node is self.root:
            return self
        sub = AvroSchema(node, self._src, self._names, self.references, self.strict)
        value = node.origin.value if isinstance(node.origin, SchemaSource) else self.json
        for token in node.pointer.split("/")[1:]:
            value = value[int(token)] if isinstance(value, list) else value[token]
        sub._json = value
        return sub

    # -- source positions -----------------------------------------------------------------------
    def position(self, pointer: str, *, key: bool = False) -> Position | None:
        """line:col of ``pointer`` in the text this schema was parsed from (None for dict input).

        Nodes defined in a reference live in that reference's document: use ``node_position``.
        """
        return self._src.position(pointer, key=key)

    @staticmethod
    def node_position(node: Node, pointer: str | None = None, *, key: bool = False) -> Position | None:
        """line:col of a node (or of ``pointer`` inside the document defining it)."""
        src = node.origin
        if not isinstance(src, SchemaSource):
            return None
        return src.position(node.pointer if pointer is None else pointer, key=key)

    def line(self, number: int) -> str:
        """One line of the source text (for showing offending lines)."""
        positions = self._src.positions
        return positions.line_text(number) if positions else ""


class _LRU:
    """A small thread-safe LRU map: memory stays flat however many schemas are checked."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.data: OrderedDict[Any, AvroSchema] = OrderedDict()
        self.lock = threading.Lock()

    def get(self, key: Any) -> AvroSchema | None:
        with self.lock:
            value = self.data.get(key)
            if value is not None:
                self.data.move_to_end(key)
            return value

    def put(self, key: Any, value: AvroSchema) -> None:
        with self.lock:
            self.data[key] = value
            self.data.move_to_end(key)
            while len(self.data) > self.size:
                self.data.popitem(last=False)


_cache = _LRU(CACHE_SIZE)


def clear_cache() -> None:
    """Forget every cached parsed schema."""
    with _cache.lock:
        _cache.data.clear()


def parse_schema(
    source: SchemaInput,
    *,
    references: Sequence[SchemaInput] = (),
    strict: bool = True,
    file: str | None = None,
) -> AvroSchema:
    """Parse an Avro schema from JSON text (``str``), a decoded JSON value, a ``Path`` or an AvroSchema.

    A ``str`` is always JSON *text* (``'"string"'``, ``'{"type": ...}'``), never a file name.
    ``references`` are schemas whose named types this one may use by name (Confluent schema
    references), parsed leniently and in order. ``strict`` is Confluent's treatment of a new
    schema: names validated and field defaults checked against their types.
    ``file`` names where JSON text came from (positions then read ``file:line:col``; e.g.
    ``<commit12>:schemas/a.avsc`` for a file at a git commit, parsed from its text, no file written).
    Source positions are computed only when asked for (an error, a finding that prints them).
    Raises ``SchemaParseError`` (an ``InputError``) naming the JSON pointer and file:line:col.
    """
    if isinstance(source, AvroSchema) and not references:
        return source
    cache_key: Any = None
    if isinstance(source, str) and not references:
        cache_key = (source, strict, file)
    elif isinstance(source, (dict, list)) and not references:
        cache_key = ("\x00json", json.dumps(source, sort_keys=True, separators=(",", ":")), strict, file)
    if cache_key is not None:
        hit = _cache.get(cache_key)
        if hit is not None:
            return hit
    parsed: list[AvroSchema] = []
    for ref in references:  # in order: a later reference may use types of the earlier ones
        parsed.append(parse_schema(ref, references=tuple(parsed), strict=False))
    refs = tuple(parsed)
    src = source._src if isinstance(source, AvroSchema) else read_source(source, file)
    names = Names()
    for ref in refs:
        names.ambiguous = names.ambiguous or ref._names.ambiguous
        for full, node in ref._names.types.items():
            if full in names.types and names.types[full] is not node:
                continue
            names.types[full] = node
            names.referenced.add(full)
    root = parse_document(src, names, strict)
    if names.ambiguous:
        _mark_ambiguous(root)
    schema = AvroSchema(root, src, names, refs, strict)
    if cache_key is not None:
        _cache.put(cache_key, schema)
    return schema


def _mark_ambiguous(root: Node) -> None:
    """Mark every node reachable from ``root`` as ``ambiguous`` (see ``Node.ambiguous``)."""
    stack, seen = [root], set()
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        node.ambiguous = True
        stack.extend(f.type for f in node.fields)
        stack.extend(node.branches)
        stack.extend(n for n in (node.items, node.values) if n is not None)


def ensure_schema(source: SchemaInput, *, strict: bool = False) -> AvroSchema:
    """An ``AvroSchema`` for any accepted input (already-parsed schemas pass through)."""
    if isinstance(source, AvroSchema):
        return source
    return parse_schema(source, strict=strict)
