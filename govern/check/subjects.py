"""The subjects contracts/ declares, their schemas parsed with positions, and findings made readable.

A topic declares `<topic>-value` (and `<topic>-key` when it has an Avro key). Schemas are parsed
with `govern.avro` from their files, the files they reference first (as registry references), so
every finding can name file:line:col in both schemas and show the offending lines.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from govern.avro import AvroSchema, parse_schema
from govern.catalog import Catalog, SchemaRef, Topic
from govern.errors import InputError


@dataclass(frozen=True)
class Subject:
    """A registry subject as contracts/ declares it."""

    name: str
    topic: Topic
    kind: str  #: "value" or "key"
    schema: SchemaRef

    @property
    def level(self) -> str:
        return self.topic.compatibility


def declared_subjects(catalog: Catalog) -> list[Subject]:
    """Every subject of the catalog, in topics.yaml order (value before key)."""
    out: list[Subject] = []
    for topic in catalog.topics:
        out.append(Subject(topic.value_subject, topic, "value", topic.value_schema))
        if topic.key_schema is not None:
            out.append(Subject(topic.key_subject, topic, "key", topic.key_schema))
    return out


def select(subjects: Sequence[Subject], wanted: Iterable[str]) -> list[Subject]:
    """The subjects named in `wanted` (all when empty); an undeclared name is bad input, not a pass."""
    wanted = list(wanted)
    if not wanted:
        return list(subjects)
    by_name = {s.name: s for s in subjects}
    for name in wanted:
        if name not in by_name:
            close = difflib.get_close_matches(name, list(by_name), n=1)
            raise InputError(
                f"unknown subject {name!r}: not declared in contracts/topics.yaml",
                hint=f"did you mean {close[0]!r}?"
                if close
                else "declare its topic in contracts/topics.yaml (subjects are <topic>-value / <topic>-key)",
            )
    return [s for s in subjects if s.name in set(wanted)]


def dependencies(catalog: Catalog, ref: SchemaRef) -> list[SchemaRef]:
    """The schema files `ref` references, transitively, each after the files it needs."""
    order: list[SchemaRef] = []
    seen: set[str] = set()

    def visit(name: str) -> None:
        if name in seen:
            return
        seen.add(name)
        dep = catalog.schemas[name]
        for inner in dep.references:
            visit(inner)
        order.append(dep)

    for name in ref.references:
        visit(name)
    return order


def parse_file(catalog: Catalog, ref: SchemaRef, *, strict: bool = True) -> AvroSchema:
    """Parse a working-tree schema file with its references, keeping file positions."""
    parsed: dict[str, AvroSchema] = {}
    for dep in dependencies(catalog, ref):
        known = [parsed[n] for n in _closure(catalog, dep)]
        parsed[dep.name] = parse_schema(catalog.root / dep.file, references=known, strict=False)
    refs = [parsed[d.name] for d in dependencies(catalog, ref)]
    return parse_schema(catalog.root / ref.file, references=refs, strict=strict)


def _closure(catalog: Catalog, ref: SchemaRef) -> list[str]:
    return [d.name for d in dependencies(catalog, ref)]
