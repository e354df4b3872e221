"""Several schema documents sharing one table of named types: how an estate's ``.avsc`` files parse.

A document is any top-level schema (a named type, a primitive, an array, a map, a union) or a
JSON array of types, which is a union and how one file holds several types. Named types are
known by their full name wherever they are defined; the same full name may be defined again
identically (two files inlining one enum), never differently. A document may use the types of
any other, added in any order: each is parsed after the documents whose types it uses. Documents
that use each other's types in a cycle are refused, naming the files (define mutually recursive
types in one file, as Confluent's schema references require too).

    schemas = SchemaSet()
    for path in sorted(Path("schemas").rglob("*.avsc")):
        schemas.add(path)
    documents = schemas.parse()          # one AvroSchema per document, in the order added
    payment = schemas.schema("com.acme.Payment")   # one named type, as a schema of its own
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from govern.avro.errors import SchemaParseError
from govern.avro.model import NAMED, PRIMITIVES, Node
from govern.avro.parser import Names, Parser, SchemaSource, read_source
from govern.avro.schema import AvroSchema, parse_document
from govern.avro.writer import java_string


class _Part:
    """A unit parsed on its own: a whole document, or one item of a document that is a JSON array."""

    __slots__ = ("doc", "pointer", "defines", "uses", "names", "root")

    def __init__(self, doc: _Document, pointer: str, value: Any) -> None:
        self.doc = doc
        self.pointer = pointer
        self.defines: dict[str, str] = {}  # full name -> JSON pointer of its definition
        self.uses: list[str] = []  # each use: its candidate full names, most specific first, "\0"-joined
        self.names: Names | None = None
        self.root: Node | None = None
        _scan(value, None, pointer, self.defines, self.uses)

    @property
    def label(self) -> str:
        return f"{self.doc.label}{'#' + self.pointer if self.pointer else ''}"


class _Document:
    __slots__ = ("src", "label", "parts", "schema")

    def __init__(self, src: SchemaSource, label: str) -> None:
        self.src = src
        self.label = label
        value = src.value
        self.parts = (
            [_Part(self, f"/{i}", item) for i, item in enumerate(value)]
            if isinstance(value, list)
            else [_Part(self, "", value)]
        )
        self.schema: AvroSchema | None = None


def _full(name: str, space: str | None) -> str:
    return name if "." in name or not space else f"{space}.{name}"


def _scan(value: Any, space: str | None, pointer: str, defines: dict[str, str], uses: list[str]) -> None:
    """Record the full names a document defines and the names it uses (as Avro resolves them)."""
    if isinstance(value, str):
        if value not in PRIMITIVES:
            uses.append(value if "." in value or not space else f"{space}.{value}\0{value}")
    elif isinstance(value, list):
        for index, item in enumerate(value):
            _scan(item, space, f"{pointer}/{index}", defines, uses)
    elif isinstance(value, dict):
        kind = value.get("type")
        name = value.get("name")
        if kind in NAMED and isinstance(name, str):
            ns = value.get("namespace")
            full = _full(name, (ns or None) if isinstance(ns, str) else space)
            defines.setdefault(full, pointer)
            space = full.rpartition(".")[0] or None
            fields = value.get("fields")
            for index, field in enumerate(fields if isinstance(fields, list) else ()):
                if isinstance(field, dict):
                    _scan(field.get("type"), space, f"{pointer}/fields/{index}/type", defines, uses)
        elif kind == "array":
            _scan(value.get("items"), space, f"{pointer}/items", defines, uses)
        elif kind == "map":
            _scan(value.get("values"), space, f"{pointer}/values", defines, uses)
        elif isinstance(kind, str) and kind not in PRIMITIVES and kind not in NAMED:
            _scan(kind, space, f"{pointer}/type", defines, uses)


class SchemaSet:
    """Documents added one by one, parsed together with one table of named types.

    ``strict`` is how a new schema is parsed (names validated, field defaults checked against
    their types); ``strict=False`` how a registry parses stored ones.
    """

    def __init__(self, *, strict: bool = True) -> None:
        self.strict = strict
        self._documents: list[_Document] = []
        self._parsed = False
        #: every named type by full name (its first definition, in the order documents were added)
        self.types: dict[str, Node] = {}
        self._standalone: dict[str, AvroSchema] = {}

    def add(self, source: str | Path | Any, *, file: str | None = None) -> None:
        """Add one document: JSON text, a ``Path`` or a decoded JSON value (``file`` labels text).

        The JSON is decoded at once (invalid JSON raises ``SchemaParseError`` with file:line:col);
        the schema is parsed by ``parse``.
        """
        if self._parsed:
            raise RuntimeError("add every document before parse()")
        src = read_source(source, file)
        label = src.file or f"document {len(self._documents) + 1}"
        self._documents.append(_Document(src, label))

    def parse(self) -> list[AvroSchema]:
        """Parse every document, each type after those it uses from elsewhere; one ``AvroSchema``
        per document, in the order added. Raises ``SchemaParseError`` naming the file, line:col and
        JSON pointer (for a type defined differently twice: both places)."""
        if not self._parsed:
            self._parsed = True
            parts = [part for doc in self._documents for part in doc.parts]
            owner: dict[str, _Part] = {}
            for part in parts:
                for full in part.defines:
                    owner.setdefault(full, part)
            done: set[int] = set()
            for part in parts:
                self._parse(part, owner, done, [])
            for doc in self._documents:
                doc.schema = self._document_schema(doc)
        return [doc.schema for doc in self._documents]  # type: ignore[misc]

    @staticmethod
    def _dependencies(part: _Part, owner: dict[str, _Part]) -> list[_Part]:
        """The other parts defining a type ``part`` uses (and does not define itself), first use first."""
        out: list[_Part] = []
        for use in part.uses:
            for candidate in use.split("\0"):
                if candidate in part.defines:
                    break
                other = owner.get(candidate)
                if other is not None:
                    if other not in out:
                        out.append(other)
                    break
        return out

    def _parse(self, part: _Part, owner: dict[str, _Part], done: set[int], path: list[_Part]) -> None:
        if id(part) in done:
            return
        if part in path:
            cycle = " -> ".join(p.label for p in [*path[path.index(part) :], part])
            raise SchemaParseError(
                f"types use each other across files (or items of a file) in a cycle: {cycle}",
                pointer=None,
                file=part.doc.label,
                hint="define mutually recursive types inside one type definition",
            )
        deps = self._dependencies(part, owner)
        for dep in deps:
            self._parse(dep, owner, done, [*path, part])
        names = Names()
        for dep in deps:
            names.ambiguous = names.ambiguous or dep.names.ambiguous  # type: ignore[union-attr]
            for full, node in dep.names.types.items():  # type: ignore[union-attr]
                if full not in part.defines and full not in names.types:
                    names.types[full] = node
                    names.referenced.add(full)
        part.root = parse_document(part.doc.src, names, self.strict, part.pointer)
        part.names = names
        for full in part.defines:
            node = names.types.get(full)
            first = node and self.types.setdefault(full, node)
            if first is not node and java_string(first) != java_string(node):  # type: ignore[arg-type]
                raise SchemaParseError(
                    f"{full} is defined differently here and at "
                    f"{AvroSchema.node_position(first) or owner[full].label}",  # type: ignore[arg-type]
                    pointer=node.pointer,  # type: ignore[union-attr]
                    position=AvroSchema.node_position(node),  # type: ignore[arg-type]
                    file=part.doc.label,
                    hint="define the type once and use it by name elsewhere, or make the definitions equal",
                )
        done.add(id(part))

    def _document_schema(self, doc: _Document) -> AvroSchema:
        """One document as a schema: its root, or the union of its items; every type it sees."""
        names = Names()
        for part in doc.parts:
            names.ambiguous = names.ambiguous or part.names.ambiguous  # type: ignore[union-attr]
            names.types.update(part.names.types)  # type: ignore[union-attr]
        own = {full for part in doc.parts for full in part.defines}
        names.referenced = {full for part in doc.parts for full in part.names.referenced} - own  # type: ignore[union-attr]
        if isinstance(doc.src.value, list):
            root = Parser(doc.src, names, self.strict).union((part.root for part in doc.parts), "")  # type: ignore[misc]
        else:
            root = doc.parts[0].root
        refs = tuple(self.schema(full) for full in sorted(names.referenced))
        return AvroSchema(root, doc.src, names, refs, self.strict)  # type: ignore[arg-type]

    def schema(self, full_name: str) -> AvroSchema:
        """The named type ``full_name`` as a schema of its own (e.g. a subject's value schema).

        Its ``references`` are the named types it uses that are defined outside it (each again
        such a schema), so ``text`` writes those by name, as Confluent schema references do;
        ``expanded`` writes everything in full. Positions point into the defining document.
        Raises ``KeyError`` for an unknown name.
        """
        self.parse()
        known = self._standalone.get(full_name)
        if known is not None:
            return known
        node = self.types[full_name]
        doc = next(d for d in self._documents if d.src is node.origin)
        outside = _outside_uses(node)
        names = Names()
        for part in doc.parts:
            names.types.update(part.names.types)  # type: ignore[union-attr]
        names.referenced.update(outside)
        names.ambiguous = node.ambiguous
        value: Any
        if node.pointer == "":
            value = doc.src.value
        elif isinstance(doc.src.value, list) and node.pointer.count("/") == 1:
            value = doc.src.value[int(node.pointer[1:])]
        else:  # nested in another type: its namespace may be inherited, so write it out in full
            value = json.loads(java_string(node, outside))
        refs = tuple(self.schema(name) for name in outside)
        schema = AvroSchema(node, doc.src, names, refs, self.strict, value=value)
        self._standalone[full_name] = schema
        return schema

    def defined_in(self, full_name: str) -> AvroSchema:
        """The parsed document where ``full_name`` is (first) defined. Raises ``KeyError``."""
        self.parse()
        origin = self.types[full_name].origin
        return next(d.schema for d in self._documents if d.src is origin)  # type: ignore[misc]


def _outside_uses(root: Node) -> list[str]:
    """The named types ``root`` uses that are defined outside its own definition, first use first."""
    outside: list[str] = []
    prefix = root.pointer + "/"
    stack = [root]
    seen: set[int] = set()
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        if node.fullname is not None and node is not root:
            if node.origin is not root.origin or not node.pointer.startswith(prefix):
                if node.fullname not in outside:
                    outside.append(node.fullname)
                continue
        children = [f.type for f in node.fields] + node.branches
        children += [n for n in (node.items, node.values) if n is not None]
        stack.extend(reversed(children))
    return outside
