"""Loads the Avro schema files of `schemas/`: JSON, names, cross-file references, fastavro parse.

One file holds one named type and is called `<full name>.avsc`; a file may name types of other
files by full name. Each file is checked after the files it references, made self-contained by
inlining them at first use, and parsed with fastavro. Errors name the file and, where the JSON
tells us, line:col. Deliberately minimal: `govern.avro` is the position-aware parser.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NoReturn

import fastavro

from govern.catalog.model import SchemaRef
from govern.errors import InputError

PRIMITIVES = frozenset({"null", "boolean", "int", "long", "float", "double", "bytes", "string"})
NAMED = frozenset({"record", "error", "enum", "fixed"})
SCHEMA_SUFFIX = ".avsc"


@dataclass
class _Raw:
    """One schema file before resolution."""

    rel: Path  # relative to the root
    display: str  # how errors name it
    text: str
    json: Any
    name: str  # full name of the top-level type


def _position(text: str, needle: str) -> tuple[int, int] | None:
    """1-based line and column of the first `needle` in `text`, if any."""
    offset = text.find(needle)
    if offset < 0:
        return None
    line = text.count("\n", 0, offset) + 1
    return line, offset - (text.rfind("\n", 0, offset) + 1) + 1


def _fail(raw: _Raw, message: str, *, near: str | None = None, hint: str) -> NoReturn:
    """Raise InputError naming the file and, if `near` (a JSON string) is found, its line:col."""
    where = raw.display
    if near is not None:
        found = _position(raw.text, json.dumps(near))
        if found:
            where = f"{raw.display}:{found[0]}:{found[1]}"
    raise InputError(f"{where}: {message}", hint=hint)


def _full_name(name: str, namespace: str | None) -> str:
    return name if "." in name or not namespace else f"{namespace}.{name}"


def _namespace_of(full_name: str) -> str:
    return full_name.rpartition(".")[0]


def _read(path: Path, rel: Path, display: str) -> _Raw:
    """Read and JSON-decode one schema file and find its full name."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError(
            f"{display}: schema file not found", hint="check the path (relative to the root)"
        ) from None
    except (OSError, UnicodeDecodeError) as error:
        raise InputError(
            f"{display}: cannot read schema file: {error}", hint="it must be UTF-8 JSON"
        ) from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise InputError(
            f"{display}:{error.lineno}:{error.colno}: invalid JSON: {error.msg}",
            hint="an .avsc file holds one JSON object, the Avro schema",
        ) from None
    raw = _Raw(rel=rel, display=display, text=text, json=data, name="")
    if not isinstance(data, dict) or data.get("type") not in NAMED or not isinstance(data.get("name"), str):
        _fail(raw, "not a named Avro type", hint="a schema file holds one record, enum or fixed with a name")
    namespace = data.get("namespace")
    raw.name = _full_name(data["name"], namespace if isinstance(namespace, str) else None)
    return raw


def _walk(node: Any, namespace: str | None, defined: set[str], refs: list[str]) -> None:
    """Collect the named types `node` defines and the names it uses without defining them."""
    if isinstance(node, str):
        if node not in PRIMITIVES:
            full = _full_name(node, namespace)
            if full not in defined and full not in refs:
                refs.append(full)
    elif isinstance(node, list):
        for item in node:
            _walk(item, namespace, defined, refs)
    elif isinstance(node, dict):
        kind = node.get("type")
        if kind in NAMED and isinstance(node.get("name"), str):
            ns = node.get("namespace")
            full = _full_name(node["name"], ns if isinstance(ns, str) else namespace)
            defined.add(full)
            namespace = _namespace_of(full) or None
            if kind in ("record", "error") and isinstance(node.get("fields"), list):
                for fld in node["fields"]:
                    if isinstance(fld, dict):
                        _walk(fld.get("type"), namespace, defined, refs)
        elif kind == "array":
            _walk(node.get("items"), namespace, defined, refs)
        elif kind == "map":
            _walk(node.get("values"), namespace, defined, refs)
        elif isinstance(kind, dict | list) or (isinstance(kind, str) and kind not in PRIMITIVES):
            _walk(kind, namespace, defined, refs)


def _references(raw: _Raw) -> list[str]:
    """Full names `raw` uses but does not define, in first-use order."""
    refs: list[str] = []
    _walk(raw.json, None, set(), refs)
    return refs


def _inline(node: Any, namespace: str | None, defined: set[str], files: Mapping[str, _Raw]) -> Any:
    """A copy of `node` with each type from another file inlined at its first use."""
    if isinstance(node, str):
        if node in PRIMITIVES:
            return node
        full = _full_name(node, namespace)
        if full in defined or full not in files:
            return node
        other = copy.deepcopy(files[full].json)
        other["namespace"] = _namespace_of(full)  # keep its full name wherever it lands
        return _inline(other, namespace, defined, files)
    if isinstance(node, list):
        return [_inline(item, namespace, defined, files) for item in node]
    if not isinstance(node, dict):
        return node
    out = dict(node)
    kind = node.get("type")
    if kind in NAMED and isinstance(node.get("name"), str):
        ns = node.get("namespace")
        full = _full_name(node["name"], ns if isinstance(ns, str) else namespace)
        defined.add(full)
        inner = _namespace_of(full) or None
        if kind in ("record", "error") and isinstance(node.get("fields"), list):
            out["fields"] = [
                {**fld, "type": _inline(fld.get("type"), inner, defined, files)}
                if isinstance(fld, dict)
                else fld
                for fld in node["fields"]
            ]
    elif kind == "array" and "items" in node:
        out["items"] = _inline(node["items"], namespace, defined, files)
    elif kind == "map" and "values" in node:
        out["values"] = _inline(node["values"], namespace, defined, files)
    elif isinstance(kind, dict | list) or (isinstance(kind, str) and kind not in PRIMITIVES):
        out["type"] = _inline(kind, namespace, defined, files)
    return out


def _parse_error_near(error: Exception) -> str | None:
    """A name from a fastavro error message worth locating in the file."""
    name = getattr(error, "name", None)
    if isinstance(name, str):
        return name
    quoted = re.findall(r"'([^']+)'|\"([^\"]+)\"", str(error))
    return next((a or b for a, b in quoted), None)


class _Resolver:
    """Resolves and parses schema files against the index of `schemas/`, memoised."""

    def __init__(self, files: Mapping[str, _Raw]) -> None:
        self.files = files
        self.done: dict[str, SchemaRef] = {}

    def resolve(self, raw: _Raw, stack: tuple[str, ...] = ()) -> SchemaRef:
        """Check the files `raw` references first, then inline them and parse with fastavro."""
        if raw.name in self.done and self.files.get(raw.name) is raw:
            return self.done[raw.name]
        try:  # the common case first: fastavro accepts the file alone, so it names no other file's type
            fastavro.parse_schema(raw.json)
            refs: list[str] = []
        except Exception:  # a reference, or an error: the full path below names which
            refs = _references(raw)
        else:
            return self._done(raw, raw.json, refs)
        for ref in refs:
            if ref not in self.files:
                _fail(
                    raw,
                    f"unknown type {ref!r}",
                    near=ref if _position(raw.text, json.dumps(ref)) else ref.rpartition(".")[2],
                    hint=f"define it in schemas/{ref}{SCHEMA_SUFFIX} (types defined inside another file "
                    "cannot be shared), or fix the name",
                )
            if ref in stack or ref == raw.name:
                _fail(
                    raw,
                    f"circular reference to {ref!r} across files",
                    near=ref,
                    hint="define mutually recursive types in one file",
                )
            self.resolve(self.files[ref], (*stack, raw.name))
        expanded = _inline(raw.json, None, set(), self.files) if refs else raw.json
        try:
            fastavro.parse_schema(expanded)  # builds new dicts, never mutates its input: no copy
        except Exception as error:  # fastavro raises several types for malformed schemas
            message = str(error).splitlines()[0] if str(error) else type(error).__name__
            _fail(
                raw,
                f"invalid Avro schema: {message}",
                near=_parse_error_near(error),
                hint="fix the schema so that fastavro.parse_schema accepts it",
            )
        return self._done(raw, expanded, refs)

    def _done(self, raw: _Raw, expanded: Any, refs: list[str]) -> SchemaRef:
        ref = SchemaRef(
            name=raw.name, file=raw.rel, schema=raw.json, expanded=expanded, references=tuple(refs)
        )
        if self.files.get(raw.name) is raw:
            self.done[raw.name] = ref
        return ref


def load_schema_dir(root: Path, directory: str = "schemas") -> tuple[dict[str, SchemaRef], _Resolver]:
    """Load every `*.avsc` under root/directory; return them by full name and the resolver."""
    base = root / directory
    if not base.is_dir():
        raise InputError(
            f"{base}: schema directory not found", hint="run from the project root or pass --root"
        )
    files: dict[str, _Raw] = {}
    for path in sorted(base.glob(f"*{SCHEMA_SUFFIX}")):
        rel = path.relative_to(root)
        raw = _read(path, rel, str(path))
        expected = path.name[: -len(SCHEMA_SUFFIX)]
        if raw.name != expected:
            _fail(
                raw,
                f"file defines {raw.name!r} but is named {path.name!r}",
                near=raw.json["name"],
                hint=f"rename the file to {raw.name}{SCHEMA_SUFFIX} (one file per type, named by full name)",
            )
        files[raw.name] = raw
    resolver = _Resolver(files)
    return {name: resolver.resolve(raw) for name, raw in files.items()}, resolver


def load_schema_file(root: Path, rel: Path, resolver: _Resolver) -> SchemaRef:
    """Load a schema file outside the index (e.g. a consumer's pinned reader schema)."""
    raw = _read(root / rel, rel, str(root / rel))
    return resolver.resolve(raw)
