"""What a contract's `value_schema` / `key_schema` names, as a `SchemaRef`, and its parse.

A contract names a schema by a path to a file (its main schema), a full type name defined
anywhere under the schemas folder, an Avro primitive, or a list of paths / type names (a topic
carrying several event types: their union).
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from pathlib import Path

from govern.avro import AvroSchema, SchemaParseError, parse_schema
from govern.avro.model import PRIMITIVES
from govern.catalog.model import SchemaRef
from govern.catalog.sources import SchemaIndex
from govern.errors import InputError


class Ambiguous(Exception):
    """A file whose main schema is not clear: it holds several top-level types."""

    def __init__(self, names: list[str]) -> None:
        super().__init__(", ".join(names))
        self.names = names


def named_ref(index: SchemaIndex, name: str, rel: str | None = None) -> SchemaRef:
    """The named type `name` (from `rel`, else from the file whose definition counts); memoised."""
    rel = rel or index.owner[name]
    known = index.refs.get((name, rel))
    if known is None:
        schema = index.definition(name, rel)
        pointer = index.files[rel].defines[name]
        known = index.refs[(name, rel)] = SchemaRef(
            name=name,
            file=Path(rel),
            schema=schema,
            expand=lambda: index.expanded(schema, rel),
            references=index.references(schema, rel) if pointer else tuple(n for n, _ in index.uses(rel)),
            pointer=pointer,
            named=True,
        )
    return known


class NamedTypes(Mapping[str, SchemaRef]):
    """Every named type of the index by full name, each made into a SchemaRef when first asked."""

    def __init__(self, index: SchemaIndex) -> None:
        self.index = index

    def __getitem__(self, name: str) -> SchemaRef:
        if name not in self.index.owner:
            raise KeyError(name)
        return named_ref(self.index, name)

    def __iter__(self) -> Iterator[str]:
        return iter(self.index.owner)

    def __len__(self) -> int:
        return len(self.index.owner)


def file_ref(index: SchemaIndex, rel: str) -> SchemaRef:
    """The main schema of file `rel`; `Ambiguous` when it holds several top-level types."""
    source = index.files[rel]
    document = source.document
    if isinstance(document, list) and source.defines:
        candidates = source.main_candidates()
        if len(candidates) != 1:
            raise Ambiguous(candidates or [n for n, p in source.defines.items() if p.count("/") == 1])
        return named_ref(index, candidates[0], rel)
    if isinstance(document, dict) and "" in source.defines.values():
        return named_ref(index, next(n for n, p in source.defines.items() if p == ""), rel)
    kind = document if isinstance(document, str) else "union" if isinstance(document, list) else None
    if kind is None and isinstance(document, dict):
        kind = document.get("type") if isinstance(document.get("type"), str) else "schema"
    return SchemaRef(
        name=str(kind),
        file=Path(rel),
        schema=document,
        expand=lambda: index.expanded(document, rel),
        references=index.references(document, rel),
    )


def primitive_ref(name: str) -> SchemaRef:
    return SchemaRef(name=name, file=None, schema=name, expand=lambda: name)


def union_ref(index: SchemaIndex, types: list[SchemaRef]) -> SchemaRef:
    """The union of event types, registered as Confluent recommends: full names plus references."""
    names = [t.name for t in types]
    return SchemaRef(
        name="union",
        file=None,
        schema=names,
        expand=lambda: index.expanded(names),
        references=tuple(names),
        types=tuple(names),
    )


def is_primitive(value: str) -> bool:
    return value in PRIMITIVES


def parse_ref(index: SchemaIndex, ref: SchemaRef) -> AvroSchema:
    """`ref` parsed by `govern.avro`, positions in the files that define each part."""
    if ref.types:
        files: list[str] = []
        for name in ref.types:
            owner = index.owner[name]
            for rel in (*index.closure(owner), owner):
                if rel not in files:
                    files.append(rel)
        try:
            return parse_schema(
                json.dumps(list(ref.types)),
                references=[index.parsed(rel) for rel in files],
                strict=index.strict,
            )
        except SchemaParseError as error:
            raise InputError(error.message, hint=error.hint) from None
    if ref.file is None:
        return parse_schema(json.dumps(ref.name))
    parsed = index.parsed(ref.file.as_posix())
    return parsed.named(ref.name) if ref.named else parsed
