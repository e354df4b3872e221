"""The schemas an IDL file declares, checked and written back as JSON the way Avro Java does.

The shapes mirror ``org.apache.avro.Schema``/``Protocol``: properties keep insertion order, a
reference to a named type is a ``Ref`` resolved once the whole file is read, and ``to_json``
follows ``Schema.toJson``: a named type is written in full at its first use and by name after,
namespaces relative to the enclosing one, ``order`` only when not ascending.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from govern.avro.idl.jackson import plain
from govern.avro.jsonpos import Position

NO_DEFAULT: Any = object()
"""A field without a default (``None`` is the JSON ``null`` default)."""

PRIMITIVES = ("null", "boolean", "int", "long", "float", "double", "bytes", "string")
# Names Java writes in full even in their own namespace (Schema.Name.shouldWriteFull).
_TYPE_NAMES = frozenset(PRIMITIVES) | {"record", "enum", "array", "map", "union", "fixed"}

SCHEMA_RESERVED = frozenset("doc fields items name namespace size symbols values type aliases".split())
ENUM_RESERVED = SCHEMA_RESERVED | {"default"}
FIELD_RESERVED = frozenset("default doc name order type aliases".split())
PROTOCOL_RESERVED = frozenset("doc types messages protocol namespace".split())
MESSAGE_RESERVED = frozenset("doc response request errors one-way".split())

_INT_RANGE = (-(2**31), 2**31 - 1)
_LONG_RANGE = (-(2**63), 2**63 - 1)
_MAX_DEFAULT_DEPTH = 200


class ModelError(ValueError):
    """A rule of Avro's schema model is broken; the caller adds the source position."""


class Schema:
    """Any schema; ``props`` are its extra JSON properties in declaration order."""

    props: dict[str, Any]


class Primitive(Schema):
    def __init__(self, type_: str) -> None:
        self.type = type_
        self.props: dict[str, Any] = {}


class ArraySchema(Schema):
    def __init__(self, items: Schema) -> None:
        self.items = items
        self.props: dict[str, Any] = {}


class MapSchema(Schema):
    def __init__(self, values: Schema) -> None:
        self.values = values
        self.props: dict[str, Any] = {}


class UnionSchema(Schema):
    """A union; ``optional`` marks one made by the ``type?`` shorthand (null first until placed)."""

    def __init__(
        self, branches: list[Schema], optional: bool = False, position: Position | None = None
    ) -> None:
        self.branches = branches
        self.optional = optional
        self.position = position
        self.props: dict[str, Any] = {}
        # Names not yet defined are told apart once resolved (Java's placeholders are all distinct).
        duplicate = self.duplicate(resolved_only=True)
        if duplicate:
            raise ModelError(f"duplicate type {duplicate!r} in union")

    def duplicate(self, resolved_only: bool = False) -> str | None:
        """The first member type named twice, if any."""
        seen: set[str] = set()
        for branch in self.branches:
            if resolved_only and isinstance(branch, Ref) and branch.target is None:
                continue
            name = member_name(branch)
            if name in seen:
                return name
            seen.add(name)
        return None


class Ref(Schema):
    """A named type used by its full name; ``target`` is set when the name is resolved."""

    def __init__(self, fullname: str, position: Position | None) -> None:
        self.fullname = fullname
        self.position = position
        self.target: Named | None = None
        self.props: dict[str, Any] = {}


@dataclass(eq=False)
class Field:
    name: str
    type: Schema
    doc: str | None = None
    default: Any = NO_DEFAULT
    order: str = "ascending"
    aliases: list[str] = field(default_factory=list)
    props: dict[str, Any] = field(default_factory=dict)
    position: Position | None = None


class Named(Schema):
    """A record, error, enum or fixed type."""

    def __init__(
        self, kind: str, name: str, namespace: str | None, doc: str | None, position: Position | None
    ):
        self.kind = kind
        self.name = name
        self.namespace = namespace or None
        self.doc = doc
        self.position = position
        self.aliases: list[str] = []  # full names, deduplicated, in order
        self.props: dict[str, Any] = {}
        self.fields: list[Field] = []
        self.symbols: list[str] = []
        self.enum_default: str | None = None
        self.size = 0

    @property
    def fullname(self) -> str:
        return f"{self.namespace}.{self.name}" if self.namespace else self.name

    def add_alias(self, alias: str) -> None:
        full = alias if "." in alias or not self.namespace else f"{self.namespace}.{alias}"
        if full not in self.aliases:
            self.aliases.append(full)


@dataclass(eq=False)
class Message:
    name: str
    doc: str | None
    props: dict[str, Any]
    request: list[Field]
    response: Schema
    errors: list[Schema]
    one_way: bool


@dataclass(eq=False)
class Protocol:
    name: str
    namespace: str | None
    doc: str | None
    props: dict[str, Any]
    types: list[Named]
    messages: dict[str, Message]


class Context:
    """The named types known so far, in definition order, and the names not yet resolved.

    Avro Java's ``ParseContext``: one per compilation, shared by every imported file, so a type is
    known by its full name wherever it was defined.
    """

    def __init__(self) -> None:
        self.types: dict[str, Named] = {}

    def find(self, fullname: str) -> Named | None:
        return self.types.get(fullname)

    def reference(self, fullname: str, position: Position | None) -> Ref:
        ref = Ref(fullname, position)
        ref.target = self.types.get(fullname)
        return ref

    def define(self, named: Named) -> None:
        """Add a named type; the same full name again must define the same type."""
        known = self.types.get(named.fullname)
        if known is None:
            self.types[named.fullname] = named
        elif _shape(known, top=True) != _shape(named, top=True):
            where = f" (first defined at {known.position})" if known.position else ""
            raise ModelError(f"can't redefine {named.fullname!r}{where}")

    def resolve(self, roots: list[Schema]) -> tuple[str, Position | None] | None:
        """Resolve every name reachable from ``roots`` and the known types; the first problem.

        Only what is reachable counts: a reference a union dropped (see the compiler) is never
        resolved, as in Avro Java. Unions are checked again once their names resolve.
        """
        stack: list[Schema] = [*reversed(roots), *reversed(list(self.types.values()))]
        seen: set[int] = set()
        unions: list[UnionSchema] = []
        while stack:
            schema = stack.pop()
            if id(schema) in seen:
                continue
            seen.add(id(schema))
            if isinstance(schema, Ref):
                schema.target = schema.target or self.types.get(schema.fullname)
                if schema.target is None:
                    return f"undefined type {schema.fullname!r}", schema.position
                stack.append(schema.target)
            elif isinstance(schema, Named):
                stack.extend(f.type for f in reversed(schema.fields))
            elif isinstance(schema, ArraySchema):
                stack.append(schema.items)
            elif isinstance(schema, MapSchema):
                stack.append(schema.values)
            elif isinstance(schema, UnionSchema):
                unions.append(schema)
                stack.extend(reversed(schema.branches))
        for union in unions:
            duplicate = union.duplicate()
            if duplicate:
                return f"duplicate type {duplicate!r} in union", union.position
        return None


def message_schemas(messages: Iterable[Message]) -> list[Schema]:
    """The schemas messages use: parameters, response, and errors (as the union Java makes)."""
    roots: list[Schema] = []
    for m in messages:
        roots += [f.type for f in m.request] + [m.response]
        if m.errors:
            position = getattr(m.errors[0], "position", None)
            roots.append(UnionSchema([Primitive("string"), *m.errors], position=position))
    return roots


def _shape(schema: Schema, top: bool = False) -> Any:
    """What Avro Java's ``Schema.equals`` compares: structure and properties, not docs or aliases."""
    if isinstance(schema, Ref) or (isinstance(schema, Named) and not top):
        return ("named", schema.fullname)  # type: ignore[union-attr]
    props = tuple(sorted((k, repr(v)) for k, v in schema.props.items()))
    if isinstance(schema, Named):
        body: Any = (
            tuple(
                (f.name, _shape(f.type), repr(f.default), f.order, tuple(sorted(f.props.items())))
                for f in schema.fields
            ),
            tuple(schema.symbols),
            schema.enum_default,
            schema.size,
        )
        return (schema.kind, schema.fullname, body, props)
    if isinstance(schema, ArraySchema):
        return ("array", _shape(schema.items), props)
    if isinstance(schema, MapSchema):
        return ("map", _shape(schema.values), props)
    if isinstance(schema, UnionSchema):
        return ("union", tuple(_shape(b) for b in schema.branches))
    return (schema.type, props)  # type: ignore[attr-defined]


def deref(schema: Schema) -> Schema:
    """The named type a resolved reference stands for (any other schema as it is)."""
    while isinstance(schema, Ref):
        if schema.target is None:
            raise ModelError(f"undefined type {schema.fullname!r}")
        schema = schema.target
    return schema


def member_name(schema: Schema) -> str:
    """The name a union member is told apart by (Java's ``Schema.getFullName``)."""
    if isinstance(schema, (Named, Ref)):
        return schema.fullname
    if isinstance(schema, Primitive):
        return schema.type
    if isinstance(schema, ArraySchema):
        return "array"
    if isinstance(schema, MapSchema):
        return "map"
    return "union"


def name_problem(name: str) -> str | None:
    """Why ``name`` is not a valid Avro name (Java's default UTF name validator), or None."""
    if not name:
        return "empty name"
    first = name[0]
    if not (first == "_" or unicodedata.category(first).startswith("L")):
        return f"illegal initial character in name {name!r}"
    for ch in name[1:]:
        if not (ch == "_" or unicodedata.category(ch).startswith("L") or unicodedata.category(ch) == "Nd"):
            return f"illegal character in name {name!r}"
    return None


def check_namespace(namespace: str | None) -> None:
    """Every dot-separated part of a namespace must be a valid name."""
    if namespace:
        for part in namespace.split("."):
            problem = name_problem(part)
            if problem:
                raise ModelError(f"{problem} (namespace {namespace!r})")


def add_prop(props: dict[str, Any], name: str, value: Any, reserved: frozenset[str]) -> None:
    """``JsonProperties.addProp``: reserved names refused, a different value never overwrites."""
    if name in reserved:
        raise ModelError(f"can't set reserved property {name!r}")
    if name in props:
        if not _json_equal(props[name], value):
            raise ModelError(f"can't overwrite property {name!r}")
        return
    props[name] = value


def _json_equal(a: Any, b: Any) -> bool:
    return type(a) is type(b) and a == b


def _is_int(value: Any, bounds: tuple[int, int]) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and bounds[0] <= value <= bounds[1]


def _max_decimal_precision(size: int) -> int:
    return len(str(2 ** (8 * size - 1) - 1)) - 1 if size > 0 else 0


def decimal_problem(base: Schema, precision: Any, scale: Any) -> str | None:
    """Why a decimal logical type is invalid on ``base`` (``LogicalTypes.Decimal.validate``)."""
    if not _is_int(precision, _INT_RANGE):
        return f"decimal precision must be an int, not {precision!r}"
    if scale is not None and not _is_int(scale, _INT_RANGE):
        return f"decimal scale must be an int, not {scale!r}"
    scale = scale or 0
    kind = base.kind if isinstance(base, Named) else getattr(base, "type", "")
    if kind not in ("bytes", "fixed"):
        return "decimal must be backed by bytes or fixed"
    if precision <= 0:
        return f"invalid decimal precision: {precision} (must be positive)"
    if kind == "fixed" and precision > _max_decimal_precision(base.size):  # type: ignore[union-attr]
        return f"fixed({base.size}) cannot store {precision} digits (max {_max_decimal_precision(base.size)})"  # type: ignore[union-attr]
    if scale < 0:
        return f"invalid decimal scale: {scale} (must be positive)"
    if scale > precision:
        return f"invalid decimal scale: {scale} (greater than precision: {precision})"
    return None


def copy_properties(schema: Schema, props: dict[str, Any], reserved: frozenset[str]) -> None:
    """Add annotations to a schema, then complete a valid decimal logical type as Java does."""
    for name, value in props.items():
        add_prop(schema.props, name, value, reserved)
    complete_logical_type(schema, reserved)


def complete_logical_type(schema: Schema, reserved: frozenset[str]) -> None:
    """``LogicalType.addToSchema`` after annotations: a valid decimal gets its scale written."""
    if schema.props.get("logicalType") == "decimal" and "precision" in schema.props:
        if decimal_problem(schema, schema.props["precision"], schema.props.get("scale")) is None:
            add_prop(schema.props, "scale", schema.props.get("scale", 0), reserved)


# -- default values ---------------------------------------------------------------------------------


def default_problem(schema: Schema, value: Any) -> bool:
    """True when ``value`` is not a valid default for ``schema`` (``Schema.isValidDefault``)."""
    return not _valid(schema, value, 0)


def _valid(schema: Schema, value: Any, depth: int) -> bool:
    if value is NO_DEFAULT or depth > _MAX_DEFAULT_DEPTH:
        return False
    schema = deref(schema)
    if isinstance(schema, UnionSchema):
        return any(_valid(branch, value, depth + 1) for branch in schema.branches)
    if isinstance(schema, ArraySchema):
        return isinstance(value, list) and all(_valid(schema.items, v, depth + 1) for v in value)
    if isinstance(schema, MapSchema):
        return isinstance(value, dict) and all(_valid(schema.values, v, depth + 1) for v in value.values())
    if isinstance(schema, Named):
        if schema.kind in ("enum", "fixed"):
            return isinstance(value, str)
        return isinstance(value, dict) and all(
            _valid(f.type, value.get(f.name, f.default), depth + 1) for f in schema.fields
        )
    kind = schema.type  # type: ignore[attr-defined]
    if kind in ("string", "bytes"):
        return isinstance(value, str)
    if kind == "int":
        return _is_int(value, _INT_RANGE)
    if kind == "long":
        return _is_int(value, _LONG_RANGE)
    if kind in ("float", "double"):
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if kind == "boolean":
        return isinstance(value, bool)
    return value is None  # null


# -- JSON, as Schema.toJson writes it -------------------------------------------------------------


class _Names:
    """What has been written so far and the namespace names are written relative to."""

    def __init__(self, space: str | None) -> None:
        self.space = space
        self.written: set[str] = set()


def _qualified(fullname: str, namespace: str | None, name: str, space: str | None) -> str:
    if namespace is not None and namespace == space and name not in _TYPE_NAMES:
        return name
    return fullname


def schema_json(schema: Schema, names: _Names) -> Any:
    schema = deref(schema)
    if isinstance(schema, Primitive):
        return {"type": schema.type, **plain(schema.props)} if schema.props else schema.type
    if isinstance(schema, ArraySchema):
        return {"type": "array", "items": schema_json(schema.items, names), **plain(schema.props)}
    if isinstance(schema, MapSchema):
        return {"type": "map", "values": schema_json(schema.values, names), **plain(schema.props)}
    if isinstance(schema, UnionSchema):
        return [schema_json(branch, names) for branch in schema.branches]
    assert isinstance(schema, Named)
    if schema.fullname in names.written:
        return _qualified(schema.fullname, schema.namespace, schema.name, names.space)
    names.written.add(schema.fullname)
    out: dict[str, Any] = {"type": schema.kind, "name": schema.name}
    if schema.namespace is not None:
        if schema.namespace != names.space:
            out["namespace"] = schema.namespace
    elif names.space is not None:
        out["namespace"] = ""
    if schema.doc is not None:
        out["doc"] = schema.doc
    if schema.kind in ("record", "error"):
        saved, names.space = names.space, schema.namespace
        out["fields"] = [field_json(f, names) for f in schema.fields]
        names.space = saved
    elif schema.kind == "enum":
        out["symbols"] = list(schema.symbols)
        if schema.enum_default is not None:
            out["default"] = schema.enum_default
    else:
        out["size"] = schema.size
    out.update(plain(schema.props))
    if schema.aliases:
        out["aliases"] = [
            _qualified(alias, alias.rpartition(".")[0] or None, alias.rpartition(".")[2], schema.namespace)
            for alias in schema.aliases
        ]
    return out


def field_json(f: Field, names: _Names) -> dict[str, Any]:
    out: dict[str, Any] = {"name": f.name, "type": schema_json(f.type, names)}
    if f.doc is not None:
        out["doc"] = f.doc
    if f.default is not NO_DEFAULT:
        out["default"] = plain(f.default)
    if f.order != "ascending":
        out["order"] = f.order
    if f.aliases:
        out["aliases"] = list(f.aliases)
    out.update(plain(f.props))
    return out


def standalone_json(schema: Schema) -> Any:
    """One schema on its own, as ``Schema.toString`` (and so ``idl2schemata``) writes it."""
    return schema_json(schema, _Names(None))


def protocol_json(protocol: Protocol) -> dict[str, Any]:
    """``Protocol.toJson``: types not already written inline, then the messages.

    As everywhere here, NaN and the infinities come out as the strings Jackson prints.
    """
    out: dict[str, Any] = {"protocol": protocol.name}
    if protocol.namespace is not None:
        out["namespace"] = protocol.namespace
    if protocol.doc is not None:
        out["doc"] = protocol.doc
    out.update(plain(protocol.props))
    names = _Names(protocol.namespace)
    out["types"] = [schema_json(t, names) for t in protocol.types if t.fullname not in names.written]
    messages: dict[str, Any] = {}
    for name, message in protocol.messages.items():
        body: dict[str, Any] = {}
        if message.doc is not None:
            body["doc"] = message.doc
        body.update(plain(message.props))
        body["request"] = [field_json(f, names) for f in message.request]
        if message.one_way:
            body["response"] = "null"
            body["one-way"] = True
        else:
            body["response"] = schema_json(message.response, names)
            if message.errors:
                body["errors"] = [schema_json(e, names) for e in message.errors]
        messages[name] = body
    out["messages"] = messages
    return out
