"""Avro schema parsing with Avro Java's rules (names, namespaces, aliases, defaults, unions).

``strict=True`` is how Confluent parses a *new* schema (strict names, defaults validated);
``strict=False`` how it parses stored ones (no name validation, defaults not validated).
Everything here is pure: text in, node graph out, errors as ``SchemaParseError``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from govern.avro.errors import SchemaParseError
from govern.avro.jsonpos import JsonSyntaxError, Position, PositionMap, join_pointer, loads
from govern.avro.model import NAMED, PRIMITIVES, Field, Node

SCHEMA_RESERVED = frozenset(
    {"doc", "fields", "items", "name", "namespace", "size", "symbols", "values", "type", "aliases"}
)
ENUM_RESERVED = SCHEMA_RESERVED | {"default"}
FIELD_RESERVED = frozenset({"default", "doc", "name", "order", "type", "aliases"})
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
_INT_MIN, _INT_MAX = -(2**31), 2**31 - 1
_LONG_MIN, _LONG_MAX = -(2**63), 2**63 - 1
_MISSING: Any = object()


class SchemaSource:
    """Where one schema document came from: its JSON value, text and file (any may be absent).

    Source positions are computed lazily, the first time a position is asked for.
    """

    __slots__ = ("value", "text", "file", "_positions")

    def __init__(self, value: Any, text: str | None = None, file: str | None = None) -> None:
        self.value = value
        self.text = text
        self.file = file
        self._positions: PositionMap | None = None

    @property
    def positions(self) -> PositionMap | None:
        """The position map of the text, or None when the schema was not given as text."""
        if self._positions is None and self.text is not None:
            self._positions = PositionMap(self.text, self.file)
        return self._positions

    def position(self, pointer: str, *, key: bool = False) -> Position | None:
        """line:col of the value (or, with ``key``, the member name) at ``pointer``."""
        positions = self.positions
        if positions is None:
            return None
        return positions.key_at(pointer) if key else positions.value_at(pointer)


def read_source(source: str | Path | Any, file: str | None = None) -> SchemaSource:
    """Turn JSON text, a file path or an already-decoded JSON value into a ``SchemaSource``.

    ``file`` labels text (e.g. ``<commit12>:schemas/a.avsc``) for positions; a path labels itself.
    """
    if isinstance(source, Path):
        try:
            text = source.read_text(encoding="utf-8-sig")  # a BOM is not part of the JSON
        except FileNotFoundError:
            raise SchemaParseError(
                "file not found", pointer=None, file=str(source), hint="check the path to the .avsc file"
            ) from None
        except (OSError, UnicodeDecodeError) as err:
            reason = "not UTF-8 text" if isinstance(err, UnicodeDecodeError) else err.strerror or str(err)
            raise SchemaParseError(f"cannot read file: {reason}", pointer=None, file=str(source)) from None
        return _decode(text, file or str(source))
    if isinstance(source, str):
        return _decode(source, file)
    if isinstance(source, (dict, list)):
        return SchemaSource(source, file=file)
    raise SchemaParseError(
        f"unsupported schema source of type {type(source).__name__}",
        pointer=None,
        hint="pass JSON text (str), a pathlib.Path, a dict/list or an AvroSchema",
    )


def _decode(text: str, file: str | None) -> SchemaSource:
    if not text.strip():
        raise SchemaParseError(
            "Empty schema", position=Position(1, 1, file) if file else None, hint="the schema text is empty"
        )
    try:
        value = loads(text, file)
    except JsonSyntaxError as err:
        raise SchemaParseError(
            f"invalid JSON: {err.reason}",
            pointer=err.pointer,
            position=err.position,
            hint="fix the JSON syntax at that line and column",
        ) from None
    return SchemaSource(value, text, file)


class Names:
    """The named types known while parsing (own definitions plus those from references)."""

    __slots__ = ("types", "referenced", "ambiguous")

    def __init__(self) -> None:
        self.types: dict[str, Node] = {}
        self.referenced: set[str] = set()  # full names defined by reference schemas
        self.ambiguous = False  # a record has a field alias naming one of its own fields

    def lookup(self, name: str, space: str | None) -> Node | None:
        """Resolve a type name as Avro Java does: qualified by the current namespace, then bare."""
        if "." not in name and space:
            found = self.types.get(f"{space}.{name}")
            if found is not None:
                return found
        return self.types.get(name)


class Parser:
    """Parses one document into nodes, registering named types in ``names``."""

    def __init__(self, src: SchemaSource, names: Names, strict: bool) -> None:
        self.src = src
        self.names = names
        self.strict = strict
        self.deferred_defaults: list[Callable[[], None]] = []

    # -- errors ---------------------------------------------------------------------------------
    def fail(
        self, reason: str, pointer: str, *, key: bool = False, hint: str | None = None
    ) -> SchemaParseError:
        """Build a ``SchemaParseError`` located at ``pointer`` in this document."""
        return SchemaParseError(
            reason,
            pointer=pointer,
            position=self.src.position(pointer, key=key),
            file=self.src.file,
            hint=hint,
        )

    # -- names ----------------------------------------------------------------------------------
    def check_name(self, name: str, pointer: str, what: str = "name") -> None:
        """Avro Java's STRICT_VALIDATOR: ``[A-Za-z_][A-Za-z0-9_]*`` (only when strict)."""
        if not self.strict or _NAME.match(name):
            return
        if not name:
            raise self.fail(f"Empty {what}", pointer)
        if not (name[0].isascii() and (name[0].isalpha() or name[0] == "_")):
            raise self.fail(
                f"Illegal initial character: {name}", pointer, hint="Avro names start with a letter or '_'"
            )
        raise self.fail(
            f"Illegal character in: {name}", pointer, hint="Avro names contain only letters, digits and '_'"
        )

    def full_name(self, obj: dict[str, Any], pointer: str, space: str | None) -> tuple[str, str | None]:
        """The (short name, namespace) of a named type definition."""
        name = obj.get("name")
        if not isinstance(name, str):
            raise self.fail(
                "No name in schema" if name is None else "name must be a string",
                f"{pointer}/name" if name is not None else pointer,
                hint='give the named type a "name"',
            )
        ns = obj.get("namespace")
        if ns is not None:  # JSON null inherits, as in Java; "" means the null namespace
            if not isinstance(ns, str):
                raise self.fail("namespace must be a string", f"{pointer}/namespace")
            space = ns or None
        if "." in name:
            space, name = name.rsplit(".", 1)
            space = space or None
        self.check_name(name, f"{pointer}/name")
        if space:
            for part in space.split("."):
                self.check_name(
                    part, join_pointer(pointer, "namespace" if "namespace" in obj else "name"), "namespace"
                )
        return name, space

    def define(self, node: Node, pointer: str) -> None:
        """Register a named type; Avro forbids redefinition and primitive names."""
        full = node.fullname or ""
        if full in PRIMITIVES:
            raise self.fail(f"Schemas may not be named after primitives: {full}", f"{pointer}/name")
        if full in self.names.types:
            raise self.fail(
                f"Can't redefine: {full}",
                f"{pointer}/name",
                hint="define each named type once and refer to it by name afterwards",
            )
        self.names.types[full] = node

    # -- schemas --------------------------------------------------------------------------------
    def parse(self, value: Any, pointer: str, space: str | None) -> Node:
        """Parse one schema JSON value at ``pointer`` with ``space`` as the enclosing namespace."""
        if isinstance(value, str):
            if value in PRIMITIVES:
                return Node(value, pointer, self.src)
            found = self.names.lookup(value, space)
            if found is None:
                raise self.fail(
                    f"Undefined name: {json.dumps(value)}",
                    pointer,
                    hint="define the named type before use, or pass the schema defining it as a reference",
                )
            return found
        if isinstance(value, list):
            return self.parse_union(value, pointer, space)
        if isinstance(value, dict):
            return self.parse_object(value, pointer, space)
        raise self.fail(f"Schema must be a string, object or array, not {json.dumps(value)}", pointer)

    def parse_union(self, value: list[Any], pointer: str, space: str | None) -> Node:
        node = Node("union", pointer, self.src)
        node.branches = []
        seen: dict[str, int] = {}
        for index, item in enumerate(value):
            item_ptr = f"{pointer}/{index}"
            branch = self.parse(item, item_ptr, space)
            if branch.type == "union":
                raise self.fail("Nested union: a union may not directly contain a union", item_ptr)
            key = branch.fullname or branch.type
            if key in seen:
                raise self.fail(
                    f"Duplicate in union: {key}",
                    item_ptr,
                    hint="each type (or named type) may appear once in a union",
                )
            seen[key] = index
            node.branches.append(branch)
        return node

    def parse_object(self, obj: dict[str, Any], pointer: str, space: str | None) -> Node:
        if "type" not in obj:
            raise self.fail("No type", pointer, hint='every schema object needs a "type"')
        kind = obj["type"]
        type_ptr = f"{pointer}/type"
        if not isinstance(kind, str):
            raise self.fail(f'No type: "type" must be a string, not {json.dumps(kind)}', type_ptr)
        if kind in PRIMITIVES:
            node = Node(kind, pointer, self.src)
            self.props(node, obj, SCHEMA_RESERVED)
            return node
        if kind in NAMED:
            return self.parse_named(kind, obj, pointer, space)
        if kind == "array":
            if "items" not in obj:
                raise self.fail("Array has no items type", pointer, hint='add "items"')
            node = Node("array", pointer, self.src)
            node.items = self.parse(obj["items"], f"{pointer}/items", space)
            self.props(node, obj, SCHEMA_RESERVED)
            return node
        if kind == "map":
            if "values" not in obj:
                raise self.fail("Map has no values type", pointer, hint='add "values"')
            node = Node("map", pointer, self.src)
            node.values = self.parse(obj["values"], f"{pointer}/values", space)
            self.props(node, obj, SCHEMA_RESERVED)
            return node
        found = self.names.lookup(kind, space)
        if found is not None:
            return found
        raise self.fail(
            f"Type not supported: {kind}",
            type_ptr,
            hint="use a primitive, record, enum, fixed, array, map or a defined name",
        )

    def parse_named(self, kind: str, obj: dict[str, Any], pointer: str, space: str | None) -> Node:
        name, ns = self.full_name(obj, pointer, space)
        node = Node("record" if kind == "error" else kind, pointer, self.src)
        node.is_error = kind == "error"
        node.name, node.namespace = name, ns
        node.fullname = f"{ns}.{name}" if ns else name
        doc = obj.get("doc")
        node.doc = doc if isinstance(doc, str) else None
        node.aliases = self.type_aliases(obj, pointer, ns)
        if kind == "enum":
            self.parse_enum(node, obj, pointer)
            self.define(node, pointer)
            self.props(node, obj, ENUM_RESERVED)
        elif kind == "fixed":
            size = obj.get("size")
            if not isinstance(size, int) or isinstance(size, bool) or not _INT_MIN <= size <= _INT_MAX:
                raise self.fail(
                    "Invalid or no size",
                    f"{pointer}/size" if "size" in obj else pointer,
                    hint='give the fixed type an integer "size"',
                )
            if size < 0:
                raise self.fail(f"Invalid fixed size: {size}", f"{pointer}/size")
            node.size = size
            self.define(node, pointer)
            self.props(node, obj, SCHEMA_RESERVED)
        else:
            self.define(node, pointer)  # before the fields, so that the record may refer to itself
            self.props(node, obj, SCHEMA_RESERVED)
            self.parse_fields(node, obj, pointer, ns)
        return node

    def type_aliases(self, obj: dict[str, Any], pointer: str, ns: str | None) -> tuple[str, ...]:
        raw = obj.get("aliases")
        if raw is None:
            return ()
        ptr = f"{pointer}/aliases"
        if not isinstance(raw, list) or not all(isinstance(a, str) for a in raw):
            raise self.fail("aliases must be an array of strings", ptr)
        out: list[str] = []
        for alias in raw:  # Schema.addAlias: a dotless alias takes the type's own namespace
            full = alias if "." in alias or not ns else f"{ns}.{alias}"
            if full not in out:
                out.append(full)
        return tuple(out)

    def parse_enum(self, node: Node, obj: dict[str, Any], pointer: str) -> None:
        symbols = obj.get("symbols")
        sym_ptr = f"{pointer}/symbols"
        if not isinstance(symbols, list) or not all(isinstance(s, str) for s in symbols):
            raise self.fail(
                "Enum symbols must be an array of strings",
                sym_ptr if "symbols" in obj else pointer,
                hint='give the enum a "symbols" array',
            )
        seen: set[str] = set()
        for index, symbol in enumerate(symbols):
            self.check_name(symbol, f"{sym_ptr}/{index}", "symbol")
            if symbol in seen:
                raise self.fail(f"Duplicate enum symbol: {symbol}", f"{sym_ptr}/{index}")
            seen.add(symbol)
        node.symbols = list(symbols)
        node.symbol_set = frozenset(symbols)
        if "default" in obj:
            default = obj["default"]
            def_ptr = f"{pointer}/default"
            if not isinstance(default, str):
                raise self.fail("Enum default must be a string", def_ptr)
            if default not in seen:
                raise self.fail(
                    f"The Enum Default: {default} is not in the enum symbol set: [{', '.join(symbols)}]",
                    def_ptr,
                    hint="the enum default must be one of its symbols",
                )
            node.enum_default = default

    def parse_fields(self, node: Node, obj: dict[str, Any], pointer: str, ns: str | None) -> None:
        fields = obj.get("fields")
        fields_ptr = f"{pointer}/fields"
        node.fields = []
        node.field_map = {}
        if not isinstance(fields, list):
            raise self.fail(
                "Record has no fields",
                fields_ptr if "fields" in obj else pointer,
                hint='give the record a "fields" array',
            )
        src, strict, field_map = self.src, self.strict, node.field_map
        for index, raw in enumerate(fields):
            f_ptr = f"{fields_ptr}/{index}"
            if not isinstance(raw, dict):
                raise self.fail("A field must be an object", f_ptr)
            name = raw.get("name")
            if not isinstance(name, str):
                raise self.fail("No field name", f_ptr, hint='give the field a "name"')
            if strict:
                self.check_name(name, f"{f_ptr}/name", "field name")
            ftype = raw.get("type", _MISSING)
            if ftype is _MISSING:
                raise self.fail(f"No field type for field {name}", f_ptr, hint='give the field a "type"')
            if ftype.__class__ is str and ftype in PRIMITIVES:  # most fields: its node built when used
                field = Field(name, ftype, index, f_ptr, src)
            else:
                field = Field(name, self.parse(ftype, f"{f_ptr}/type", ns), index, f_ptr, src)
            if name in field_map:
                raise self.fail(f"Duplicate field {name} in record {node.fullname}", f"{f_ptr}/name")
            if len(raw) > 2:  # more than name and type: the optional attributes
                self.field_options(field, raw, f_ptr)
            node.fields.append(field)
            field_map[name] = field
        if any(alias in node.field_map for f in node.fields for alias in f.aliases):
            self.names.ambiguous = True

    def field_options(self, field: Field, raw: dict[str, Any], f_ptr: str) -> None:
        """A field's doc, order, aliases, default and other properties (what is there besides name, type)."""
        doc = raw.get("doc")
        if isinstance(doc, str):
            field.doc = doc
        order = raw.get("order", "ascending")
        if order != "ascending":
            if order not in ("descending", "ignore"):
                raise self.fail(f"Invalid field order: {order}", f"{f_ptr}/order")
            field.order = order
        aliases = raw.get("aliases")
        if aliases is not None:
            if not isinstance(aliases, list) or not all(isinstance(a, str) for a in aliases):
                raise self.fail("field aliases must be an array of strings", f"{f_ptr}/aliases")
            field.aliases = list(dict.fromkeys(aliases))
        if not raw.keys() <= FIELD_RESERVED:
            field.props = {k: v for k, v in raw.items() if k not in FIELD_RESERVED}
        if "default" in raw:
            field.has_default = True
            field.default = raw["default"]
            if self.strict:
                self.deferred_defaults.append(lambda f=field, p=f_ptr: self.check_default(f, p))

    def props(self, node: Node, obj: dict[str, Any], reserved: frozenset[str]) -> None:
        if obj.keys() <= reserved:  # the common case: nothing beyond the schema's own attributes
            return
        props = {k: v for k, v in obj.items() if k not in reserved}
        node.props = props
        logical = props.get("logicalType")
        node.logical_type = logical if isinstance(logical, str) else None

    # -- defaults -------------------------------------------------------------------------------
    def check_default(self, field: Field, pointer: str) -> None:
        """Avro Java ``validateDefaults``: the default must be a valid value of the field type."""
        if not is_valid_default(field.type_ref, field.default):
            from govern.avro.writer import java_string

            raise self.fail(
                f"Invalid default for field {field.name}: {json.dumps(field.default, ensure_ascii=False)} "
                f"not a {java_string(field.type)}",
                f"{pointer}/default",
                hint=f"make the default of field `{field.name}` a value of its type "
                "(for a union, of one of its branches)",
            )


def is_valid_default(node: Node | str, value: Any) -> bool:
    """Avro Java 1.12 ``Schema.isValidDefault``: unions accept a value valid for any branch.

    ``node`` may be a primitive's name (a field's ``type_ref`` whose node was never built)."""
    kind = node if node.__class__ is str else node.type  # type: ignore[union-attr]
    if kind in ("string", "bytes", "enum", "fixed"):
        return isinstance(value, str)
    if kind == "int":
        return isinstance(value, int) and not isinstance(value, bool) and _INT_MIN <= value <= _INT_MAX
    if kind == "long":
        return isinstance(value, int) and not isinstance(value, bool) and _LONG_MIN <= value <= _LONG_MAX
    if kind in ("float", "double"):
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if kind == "boolean":
        return isinstance(value, bool)
    if kind == "null":
        return value is None
    if kind == "array":
        return isinstance(value, list) and all(is_valid_default(node.items, v) for v in value)  # type: ignore[arg-type]
    if kind == "map":
        return isinstance(value, dict) and all(is_valid_default(node.values, v) for v in value.values())  # type: ignore[arg-type]
    if kind == "union":
        return any(is_valid_default(branch, value) for branch in node.branches)
    if kind == "record":
        if not isinstance(value, dict):
            return False
        for f in node.fields:
            if f.name in value:
                if not is_valid_default(f.type_ref, value[f.name]):
                    return False
            elif not f.has_default:
                return False
        return True
    return False
