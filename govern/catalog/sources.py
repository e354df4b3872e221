"""The schemas folder in any layout: every named type known by its full name, wherever it is defined.

A source file is read by the reader registered for its suffix (`READERS`: one function from a
file to a `SchemaFile`, its JSON document and what it defines): an `.avsc` file holds one schema
of any kind, or a JSON array of types; an `.avdl` file is compiled by `govern.avro.idl`. Files
may be named anything and nested at any depth. The `SchemaIndex` knows every named type of the
folder by full name: the same full name defined twice identically is fine (copied nested types
are common), differently is exit 2 naming both places. Files are parsed with `govern.avro` (the
one parser), each with the files defining the names it uses as references, so positions stay
those of each file; a name from another file resolves in any order, a cycle across files is
exit 2.
"""

from __future__ import annotations

import copy
import difflib
import json
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from typing import Any, NoReturn

from govern.avro import AvroSchema, SchemaParseError, parse_schema
from govern.avro.jsonpos import JsonSyntaxError, Position, PositionMap, loads
from govern.avro.model import NAMED, PRIMITIVES
from govern.catalog.tree import Tree
from govern.errors import EnvironmentProblem, InputError

_COMPLEX = frozenset({"array", "map"})


@dataclass
class SchemaFile:
    """One source file as JSON: what it defines (full name -> JSON pointer) and what it uses.

    `document` is the JSON `govern.avro` parses and `text` its source (positions are read from it).
    """

    rel: str  #: path relative to the project root
    display: str  #: how errors name it
    text: str
    document: Any
    defines: dict[str, str] = field(default_factory=dict)  #: full name -> pointer, document order
    #: (name as written, enclosing namespace, pointer) of every use of a name, document order
    names_used: list[tuple[str, str | None, str]] = field(default_factory=list)
    main: str | None = None  #: the main type a source language declares (IDL's `schema T;`)
    #: where each type is defined in the source, when `text` is compiled from it (Avro IDL)
    type_positions: dict[str, Position | None] | None = None
    #: where each record field is declared in the source, by (record full name, field name)
    field_positions: dict[tuple[str, str], Position | None] = field(default_factory=dict)
    _positions: PositionMap | None = None

    def position(self, pointer: str) -> Position | None:
        if self.type_positions is not None:  # the innermost type (or its field) holding `pointer`
            inside = [n for n, p in self.defines.items() if pointer == p or pointer.startswith(p + "/")]
            if not inside:
                return None
            name = max(inside, key=lambda n: len(self.defines[n]))
            tokens = pointer[len(self.defines[name]) :].split("/")
            if len(tokens) > 2 and tokens[1] == "fields" and tokens[2].isdigit():
                found = self.field_position(name, int(tokens[2]))
                if found is not None:
                    return found
            return self.type_positions.get(name)
        if self._positions is None:
            self._positions = PositionMap(self.text, self.display)
        return self._positions.value_at(pointer)

    def field_position(self, name: str, index: int) -> Position | None:
        """Where field `index` of record `name` is declared in the source (None if unknown)."""
        fields = self.value_at(self.defines[name]).get("fields")
        if (
            not isinstance(fields, list)
            or not 0 <= index < len(fields)
            or not isinstance(fields[index], dict)
        ):
            return None
        return self.field_positions.get((name, fields[index].get("name")))

    def where(self, pointer: str) -> str:
        """`file:line:col` of `pointer` (the file alone when positions are unavailable)."""
        position = self.position(pointer)
        return str(position) if position else self.display

    def fail(self, pointer: str, message: str, hint: str) -> NoReturn:
        raise InputError(f"{self.where(pointer)}: {message}", hint=hint)

    def value_at(self, pointer: str) -> Any:
        value = self.document
        for token in pointer.split("/")[1:]:
            value = value[int(token)] if isinstance(value, list) else value[token]
        return value

    def main_candidates(self) -> list[str]:
        """Full names of the top-level types no other type of the file uses (a JSON array's main)."""
        if self.main is not None:
            return [self.main]
        if not isinstance(self.document, list):
            return []
        tops = [name for name, ptr in self.defines.items() if ptr.count("/") == 1]
        used = {_full(name, space) for name, space, _ in self.names_used}
        return [name for name in tops if name not in used]


def read_avsc(tree: Tree, rel: str, display: str, text: str) -> SchemaFile:
    """An `.avsc` file: one schema of any kind, or a JSON array of types."""
    try:
        document = loads(text, display)
    except JsonSyntaxError as error:
        raise InputError(
            f"{error.position}: invalid JSON: {error.reason}",
            hint="an .avsc file holds one Avro schema as JSON, or a JSON array of them",
        ) from None
    source = SchemaFile(rel, display, text, document)
    try:
        _scan(document, "", None, source)
    except RecursionError:  # JSON deep enough to pass the decoder, not the walk
        raise InputError(f"{display}: schema nested too deeply", hint="flatten it into named types") from None
    return source


def read_avdl(tree: Tree, rel: str, display: str, text: str) -> SchemaFile:
    """An Avro IDL file, either syntax, compiled by `govern.avro.idl` as avro-tools compiles it.

    Its document is the JSON array of the named types it defines or imports, each defined once,
    in definition order (a `schema` declaration that is not a named type is the document
    itself); errors and findings point at the field's declaration in the `.avdl` (else the type's).
    """
    try:
        from govern.avro.idl import compile_idl
    except ImportError:  # an install without the compiler: say so rather than skip the file
        raise EnvironmentProblem(
            f"{display}: Avro IDL needs govern's IDL compiler (govern.avro.idl), missing here",
            hint="install a govern that has it, or compile the file with avro-tools idl2schemata",
        ) from None

    path = tree.local_path(rel)
    local_root = str(path)[: -len(rel)]
    try:
        result = compile_idl(path)
    except SchemaParseError as error:  # IdlError: file:line:col (files named as the tree names them)
        message = re.sub(
            re.escape(local_root) + r"([^:\s]+)", lambda m: tree.display(m.group(1)), error.message
        )
        raise InputError(
            message, hint=error.hint or "fix the Avro IDL there (`govern idl FILE` compiles it alone)"
        ) from None

    def shown(position: Position | None) -> Position | None:  # named as the tree names its files
        if position is None or not (position.file or "").startswith(local_root):
            return position
        return Position(position.line, position.column, tree.display(position.file[len(local_root) :]))

    main = result.main_schema
    named_main = isinstance(main, dict) and main.get("type") in NAMED
    document = main if main is not None and not named_main else _defined_once(result.named_types.values())
    source = SchemaFile(rel, display, json.dumps(document, indent=2), document)
    _scan(document, "", None, source)
    if named_main:
        source.main = _full(main["name"], main.get("namespace"))
    source.type_positions = {name: shown(position) for name, position in result.positions.items()}
    source.field_positions = {key: shown(position) for key, position in result.field_positions.items()}
    return source


def _defined_once(types: Iterable[Any]) -> list[Any]:
    """Standalone types (each inlining what it uses) as one array defining each type once."""
    seen: set[str] = set()
    out: list[Any] = []

    def once(node: Any, space: str | None) -> Any:
        if isinstance(node, list):
            return [once(item, space) for item in node]
        if not isinstance(node, dict):
            return node
        kind = node.get("type")
        if kind in NAMED:
            full = _full(node["name"], node.get("namespace") or space)
            if full in seen:
                return full
            seen.add(full)
            space = _namespace(full) or None
            node = {**node, "fields": [{**f, "type": once(f["type"], space)} for f in node.get("fields", [])]}
            return node if kind in ("record", "error") else {k: v for k, v in node.items() if k != "fields"}
        return {k: once(v, space) if k in ("items", "values", "type") else v for k, v in node.items()}

    for schema in types:
        if _full(schema["name"], schema.get("namespace")) not in seen:
            out.append(once(schema, None))
    return out


#: Suffix -> reader: one function from a source file to its JSON document and what it defines.
#: A source language plugs in here.
READERS: dict[str, Callable[[Tree, str, str, str], SchemaFile]] = {".avsc": read_avsc, ".avdl": read_avdl}


def _full(name: str, space: str | None) -> str:
    return name if "." in name or not space else f"{space}.{name}"


def _namespace(full: str) -> str:
    return full.rpartition(".")[0]


def _scan(node: Any, pointer: str, space: str | None, out: SchemaFile) -> None:
    """Record the named types `node` defines (with pointers) and the names it uses."""
    if isinstance(node, str):
        if node not in PRIMITIVES:
            out.names_used.append((node, space, pointer))
    elif isinstance(node, list):
        for index, item in enumerate(node):
            _scan(item, f"{pointer}/{index}", space, out)
    elif isinstance(node, dict):
        kind = node.get("type")
        if isinstance(kind, str) and kind in NAMED and isinstance(node.get("name"), str):
            ns = node.get("namespace")
            full = _full(node["name"], ns if isinstance(ns, str) else space)
            if full not in out.defines:  # a second definition in one file: govern.avro names it
                out.defines[full] = pointer
            inner = _namespace(full) or None
            if kind in ("record", "error") and isinstance(node.get("fields"), list):
                for index, fld in enumerate(node["fields"]):
                    if isinstance(fld, dict) and "type" in fld:
                        _scan(fld["type"], f"{pointer}/fields/{index}/type", inner, out)
        elif kind == "array" and "items" in node:
            _scan(node["items"], f"{pointer}/items", space, out)
        elif kind == "map" and "values" in node:
            _scan(node["values"], f"{pointer}/values", space, out)
        elif isinstance(kind, dict | list) or (
            isinstance(kind, str) and kind not in PRIMITIVES | NAMED | _COMPLEX
        ):
            _scan(kind, f"{pointer}/type", space, out)


def _normal(node: Any, space: str | None, resolve: Callable[[str, str | None], str]) -> Any:
    """`node` with every name made full and namespaces dropped: equal iff the definitions are."""
    if isinstance(node, str):
        return node if node in PRIMITIVES else resolve(node, space)
    if isinstance(node, list):
        return [_normal(item, space, resolve) for item in node]
    if not isinstance(node, dict):
        return node
    out = dict(node)
    kind = node.get("type")
    if isinstance(kind, str) and kind in NAMED and isinstance(node.get("name"), str):
        ns = node.get("namespace")
        full = _full(node["name"], ns if isinstance(ns, str) else space)
        out["name"] = full
        out.pop("namespace", None)
        inner = _namespace(full) or None
        if isinstance(node.get("fields"), list):
            out["fields"] = [
                {**fld, "type": _normal(fld.get("type"), inner, resolve)} if isinstance(fld, dict) else fld
                for fld in node["fields"]
            ]
    elif kind == "array" and "items" in node:
        out["items"] = _normal(node["items"], space, resolve)
    elif kind == "map" and "values" in node:
        out["values"] = _normal(node["values"], space, resolve)
    elif isinstance(kind, dict | list) or (isinstance(kind, str) and kind not in PRIMITIVES | _COMPLEX):
        out["type"] = _normal(kind, space, resolve)
    return out


class SchemaIndex:
    """Every named type under the schemas folder, by full name, and the files' parses (memoised)."""

    def __init__(
        self,
        tree: Tree,
        directory: str,
        *,
        strict: bool = True,
        reuse: Mapping[str, SchemaFile] | None = None,
    ) -> None:
        """Index the source files under `directory` of `tree`. `reuse` holds files already read
        whose text is the same in `tree` (the working tree's, for the base of a comparison)."""
        self.tree = tree
        self.directory = directory
        self.strict = strict  #: parse as Confluent parses a new schema (the working tree) or an old one
        self.files: dict[str, SchemaFile] = {}
        self.owner: dict[str, str] = {}  #: full name -> the file whose definition is used
        self._parsed: dict[str, AvroSchema] = {}
        self.refs: dict[tuple[str, str], Any] = {}  #: (full name, file) -> its SchemaRef (resolve.named_ref)
        self.compiled: dict[str, SchemaFile] = {}  #: label of a compiled file's JSON -> the file
        self._uses: dict[str, list[tuple[str, str]]] = {}  # rel -> (full name, pointer), first use first
        reuse = reuse or {}
        paths = [p for p in tree.files(directory) if _suffix(p) in READERS]
        if hasattr(tree, "prefetch"):
            tree.prefetch([p for p in paths if p not in reuse])  # one batch from git, not one read each
        for rel in paths:
            known = reuse.get(rel)
            self._add(self.read(rel) if known is None else _renamed(known, tree.display(rel)))

    # -- reading --------------------------------------------------------------------------------
    def read(self, rel: str) -> SchemaFile:
        """Read one source file (InputError naming it when it is missing or unreadable)."""
        display = self.tree.display(rel)
        data = self.tree.read_bytes(rel)
        if data is None:
            raise InputError(
                f"{display}: schema file not found", hint="check the path (relative to the root)"
            )
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError as error:
            raise InputError(
                f"{display}: cannot read schema file: {error}", hint="it must be UTF-8"
            ) from None
        reader = READERS.get(_suffix(rel))
        if reader is None:
            raise InputError(
                f"{display}: not a schema source", hint=f"schema files end with {', '.join(sorted(READERS))}"
            )
        return reader(self.tree, rel, display, text)

    def _add(self, source: SchemaFile) -> None:
        self.files[source.rel] = source
        for name, pointer in source.defines.items():
            first = self.owner.get(name)
            if first is None:
                self.owner[name] = source.rel
            elif self._definition(first, name) != self._definition(source.rel, name):
                other = self.files[first]
                source.fail(
                    pointer,
                    f"type {name!r} is defined differently in {other.where(other.defines[name])}",
                    hint="a full name means one type: make the definitions identical, or rename one",
                )

    def external(self, rel: str) -> SchemaFile:
        """A file outside the folder (e.g. a consumer's pinned reader): its names stay its own."""
        if rel not in self.files:
            source = self.read(rel)
            self.files[rel] = source
        return self.files[rel]

    def _definition(self, rel: str, name: str) -> str:
        source = self.files[rel]
        pointer = source.defines[name]
        space = self._space_at(source, pointer)
        value = _normal(source.value_at(pointer), space, lambda n, s: self.resolve(n, s, rel) or _full(n, s))
        return json.dumps(value, sort_keys=True)

    def _space_at(self, source: SchemaFile, pointer: str) -> str | None:
        """The namespace enclosing the schema at `pointer` (that of the nearest named ancestor)."""
        best: tuple[int, str] | None = None
        for name, ptr in source.defines.items():
            if pointer.startswith(ptr + "/") and (best is None or len(ptr) > best[0]):
                best = (len(ptr), name)
        return (_namespace(best[1]) or None) if best else None

    # -- names ----------------------------------------------------------------------------------
    def resolve(self, name: str, space: str | None, rel: str | None = None) -> str | None:
        """The full name `name` means inside `space` (Avro: the namespace first, then as written)."""
        local = self.files[rel].defines if rel is not None else {}
        for candidate in (_full(name, space), name) if "." not in name and space else (name,):
            if candidate in local or candidate in self.owner:
                return candidate
        return None

    def uses(self, rel: str) -> list[tuple[str, str]]:
        """(full name, pointer of first use) of each type the file uses but does not define."""
        known = self._uses.get(rel)
        if known is None:
            source = self.files[rel]
            known, seen = [], set()
            for name, space, pointer in source.names_used:
                full = self.resolve(name, space, rel)
                if full is None:
                    close = difflib.get_close_matches(_full(name, space), list(self.owner), n=1)
                    source.fail(
                        pointer,
                        f"unknown type {_full(name, space)!r}",
                        hint=f"did you mean {close[0]!r}?"
                        if close
                        else f"define it in a file under {self.directory}/, or fix the name",
                    )
                if full not in source.defines and full not in seen:
                    seen.add(full)
                    known.append((full, pointer))
            self._uses[rel] = known
        return known

    def closure(self, rel: str, stack: tuple[str, ...] = ()) -> list[str]:
        """The files `rel` needs, transitively, each after the files it needs (a cycle is exit 2)."""
        order: list[str] = []
        for name, pointer in self.uses(rel):
            dep = self.owner[name]
            if dep == rel or dep in order:
                continue
            if dep in stack:
                self.files[rel].fail(
                    pointer,
                    f"circular reference to {name!r} across files",
                    hint="define mutually recursive types in one file",
                )
            for inner in self.closure(dep, (*stack, rel)):
                if inner not in order and inner != rel:
                    order.append(inner)
            if dep not in order:
                order.append(dep)
        return order

    # -- parsing --------------------------------------------------------------------------------
    def parsed(self, rel: str) -> AvroSchema:
        """The file parsed by `govern.avro`, with the files defining the names it uses as references."""
        schema = self._parsed.get(rel)
        if schema is None:
            source = self.files[rel]
            deps = self.closure(rel)
            refs = [self.parsed(dep) for dep in deps]
            shared = {n for dep in deps for n in self.files[dep].defines} & source.defines.keys()
            try:
                if shared:  # copies of types a referenced file defines too: use theirs (no positions)
                    document = _without(source, shared)
                    schema = parse_schema(document, references=refs, strict=self.strict)
                else:  # compiled sources (Avro IDL): positions in the JSON, mapped back by source_position
                    label = source.display if source.type_positions is None else f"{source.display} (as JSON)"
                    if source.type_positions is not None:
                        self.compiled[label] = source
                    schema = parse_schema(source.text, references=refs, strict=self.strict, file=label)
            except SchemaParseError as error:
                raise InputError(error.message, hint=error.hint) from None
            self._parsed[rel] = schema
        return schema

    def validate(self) -> None:
        """Parse every file (the working tree: a bad schema fails the command, naming file:line:col)."""
        for rel in self.files:
            self.parsed(rel)

    # -- documents for a registry ---------------------------------------------------------------
    def definition(self, name: str, rel: str | None = None) -> Any:
        """The JSON of named type `name` as its own document: a nested one gets its namespace."""
        rel = rel or self.owner[name]
        source = self.files[rel]
        pointer = source.defines[name]
        value = source.value_at(pointer)
        if pointer and "." not in value["name"] and value.get("namespace") != _namespace(name):
            value = {**value, "namespace": _namespace(name)}
        return value

    def references(self, document: Any, rel: str | None = None) -> tuple[str, ...]:
        """Full names `document` uses without defining them, first-use order."""
        probe = SchemaFile(rel or "", "", "", document)
        _scan(document, "", None, probe)
        out: list[str] = []
        for name, space, _ in probe.names_used:
            full = self.resolve(name, space, rel) or _full(name, space)
            if full not in probe.defines and full not in out:
                out.append(full)
        return tuple(out)

    def expanded(self, document: Any, rel: str | None = None) -> Any:
        """`document` made self-contained: each type from elsewhere inlined at its first use."""
        return self._inline(document, None, set(), rel)

    def _inline(self, node: Any, space: str | None, defined: set[str], rel: str | None) -> Any:
        if isinstance(node, str):
            if node in PRIMITIVES:
                return node
            full = self.resolve(node, space, rel) or _full(node, space)
            if full in defined or full not in self.owner:
                return node
            other = copy.deepcopy(self.definition(full))
            other["namespace"] = _namespace(full)  # keep its full name wherever it lands
            return self._inline(other, space, defined, self.owner[full])
        if isinstance(node, list):
            return [self._inline(item, space, defined, rel) for item in node]
        if not isinstance(node, dict):
            return node
        out = dict(node)
        kind = node.get("type")
        if isinstance(kind, str) and kind in NAMED and isinstance(node.get("name"), str):
            ns = node.get("namespace")
            full = _full(node["name"], ns if isinstance(ns, str) else space)
            defined.add(full)
            inner = _namespace(full) or None
            if isinstance(node.get("fields"), list):
                out["fields"] = [
                    {**fld, "type": self._inline(fld.get("type"), inner, defined, rel)}
                    if isinstance(fld, dict)
                    else fld
                    for fld in node["fields"]
                ]
        elif kind == "array" and "items" in node:
            out["items"] = self._inline(node["items"], space, defined, rel)
        elif kind == "map" and "values" in node:
            out["values"] = self._inline(node["values"], space, defined, rel)
        elif isinstance(kind, dict | list) or (isinstance(kind, str) and kind not in PRIMITIVES | _COMPLEX):
            out["type"] = self._inline(kind, space, defined, rel)
        return out

    def __iter__(self) -> Iterator[str]:
        return iter(self.owner)


def source_position(compiled: Mapping[str, SchemaFile], position: Position) -> Position:
    """A position in a compiled file's JSON as where its type (or the type's field holding it) is
    declared in the source (`.avdl`)."""
    source = compiled.get(position.file or "")
    if source is None or source.type_positions is None:
        return position
    pointer = PositionMap(source.text).pointer_at(position)
    found = source.position(pointer) if pointer is not None else None
    return found or position


def _renamed(source: SchemaFile, display: str) -> SchemaFile:
    """The same file read in another tree: what was worked out is kept, its name is the tree's."""
    return replace(source, display=display, _positions=None)


def _suffix(rel: str) -> str:
    name = rel.rsplit("/", 1)[-1]
    return name[name.rfind(".") :] if "." in name else ""


def _without(source: SchemaFile, names: set[str]) -> Any:
    """The file's document with the definitions of `names` replaced by their full names."""
    document = copy.deepcopy(source.document)
    pointers = sorted((source.defines[n], n) for n in names)
    for pointer, name in pointers:
        if any(pointer.startswith(p + "/") for p, _ in pointers):
            continue  # inside another replaced definition
        parent_ptr, _, token = pointer.rpartition("/")
        if not pointer:
            return name
        parent = document
        for part in parent_ptr.split("/")[1:]:
            parent = parent[int(part)] if isinstance(parent, list) else parent[part]
        parent[int(token) if isinstance(parent, list) else token] = name
    return document
