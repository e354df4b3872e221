"""``import schema`` and ``import protocol``: JSON schema and protocol files read into the IDL model.

As Avro Java reads them for the IDL compiler: a schema file (``.avsc``) is parsed into the shared
context, so its names may refer to types defined before or after it; a protocol file (``.avpr``)
is parsed on its own (its names must resolve inside it) and then its types join the context.
A named type is added once its nested types are (the order ``idl2schemata`` writes them in), and
a simple name is looked up in the enclosing namespace first, then in the null namespace.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from govern.avro.idl.model import (
    ENUM_RESERVED,
    FIELD_RESERVED,
    MESSAGE_RESERVED,
    PRIMITIVES,
    SCHEMA_RESERVED,
    ArraySchema,
    Context,
    Field,
    MapSchema,
    Message,
    ModelError,
    Named,
    Primitive,
    Schema,
    UnionSchema,
    add_prop,
    check_namespace,
    message_schemas,
    name_problem,
)
from govern.avro.jsonpos import JsonSyntaxError, PositionMap, join_pointer, loads

_MAX_DEPTH = 200
_ORDERS = ("ascending", "descending", "ignore")


class JsonImportError(ValueError):
    """A JSON schema or protocol file that cannot be imported: the reason and where."""

    def __init__(self, reason: str, position: Any) -> None:
        super().__init__(reason)
        self.reason = reason
        self.position = position


class _Reader:
    def __init__(self, path: Path, text: str, context: Context) -> None:
        self.path = path
        self.text = text
        self.context = context
        self._positions: PositionMap | None = None

    def where(self, pointer: str) -> Any:
        if self._positions is None:
            self._positions = PositionMap(self.text, str(self.path))
        return self._positions.value_at(pointer)

    def fail(self, reason: str, pointer: str) -> JsonImportError:
        return JsonImportError(reason, self.where(pointer))

    def lookup(self, name: str, namespace: str | None, pointer: str) -> Schema:
        if name in PRIMITIVES:
            return Primitive(name)
        full = name if "." in name or not namespace else f"{namespace}.{name}"
        found = self.context.find(full) or self.context.find(name)
        if found is not None:
            return found
        return self.context.reference(full, self.where(pointer))

    def schema(self, node: Any, namespace: str | None, pointer: str, depth: int = 0) -> Schema:
        if depth > _MAX_DEPTH:
            raise self.fail("schema nested too deeply", pointer)
        if isinstance(node, str):
            return self.lookup(node, namespace, pointer)
        if isinstance(node, list):
            branches = [
                self.schema(b, namespace, join_pointer(pointer, i), depth + 1) for i, b in enumerate(node)
            ]
            try:
                return UnionSchema(branches, position=self.where(pointer))
            except ModelError as err:
                raise self.fail(str(err), pointer) from None
        if not isinstance(node, dict):
            raise self.fail(f"not a schema: {node!r}", pointer)
        kind = node.get("type")
        if isinstance(kind, (dict, list)):
            return self.schema(kind, namespace, join_pointer(pointer, "type"), depth + 1)
        if not isinstance(kind, str):
            raise self.fail("a schema object needs a string 'type'", pointer)
        try:
            if kind in PRIMITIVES or kind in ("array", "map"):
                if kind == "array":
                    result: Schema = ArraySchema(self.child(node, "items", namespace, pointer, depth))
                elif kind == "map":
                    result = MapSchema(self.child(node, "values", namespace, pointer, depth))
                else:
                    result = Primitive(kind)
                for key, value in node.items():
                    if key not in SCHEMA_RESERVED:
                        add_prop(result.props, key, value, SCHEMA_RESERVED)
                return result
            if kind in ("record", "error", "enum", "fixed"):
                return self.named(kind, node, namespace, pointer, depth)
        except ModelError as err:
            raise self.fail(str(err), pointer) from None
        return self.lookup(kind, namespace, join_pointer(pointer, "type"))

    def child(
        self, node: dict[str, Any], key: str, namespace: str | None, pointer: str, depth: int
    ) -> Schema:
        if key not in node:
            raise self.fail(f"missing {key!r}", pointer)
        return self.schema(node[key], namespace, join_pointer(pointer, key), depth + 1)

    def named(
        self, kind: str, node: dict[str, Any], namespace: str | None, pointer: str, depth: int
    ) -> Named:
        name = node.get("name")
        if not isinstance(name, str):
            raise self.fail(f"a {kind} needs a string 'name'", pointer)
        space = node.get("namespace", namespace)
        if "." in name:
            space, _, name = name.rpartition(".")
        if space is not None and not isinstance(space, str):
            raise self.fail("'namespace' must be a string", pointer)
        problem = name_problem(name)
        if problem:
            raise self.fail(problem, pointer)
        check_namespace(space or None)
        doc = node.get("doc")
        result = Named(kind, name, space, doc if isinstance(doc, str) else None, self.where(pointer))
        aliases = node.get("aliases", [])
        if not isinstance(aliases, list) or not all(isinstance(a, str) for a in aliases):
            raise self.fail("'aliases' must be a list of strings", pointer)
        for alias in aliases:
            result.add_alias(alias)
        if kind in ("record", "error"):
            fields = node.get("fields")
            if not isinstance(fields, list):
                raise self.fail(f"a {kind} needs a list of 'fields'", pointer)
            seen: set[str] = set()
            for i, item in enumerate(fields):
                f = self.field(
                    item, result.namespace, join_pointer(join_pointer(pointer, "fields"), i), depth
                )
                if f.name in seen:
                    raise self.fail(f"duplicate field {f.name!r} in {result.fullname}", pointer)
                seen.add(f.name)
                result.fields.append(f)
        elif kind == "enum":
            symbols = node.get("symbols")
            if not isinstance(symbols, list) or not all(isinstance(s, str) for s in symbols):
                raise self.fail("an enum needs a list of string 'symbols'", pointer)
            for symbol in symbols:
                problem = name_problem(symbol)
                if problem or symbol in result.symbols:
                    raise self.fail(problem or f"duplicate enum symbol {symbol!r}", pointer)
                result.symbols.append(symbol)
            default = node.get("default")
            if default is not None and default not in symbols:
                raise self.fail(f"enum default {default!r} is not one of its symbols", pointer)
            result.enum_default = default
        else:
            size = node.get("size")
            if not isinstance(size, int) or isinstance(size, bool) or size < 0:
                raise self.fail("a fixed needs a non-negative int 'size'", pointer)
            result.size = size
        reserved = ENUM_RESERVED if kind == "enum" else SCHEMA_RESERVED
        for key, value in node.items():
            if key not in reserved:
                add_prop(result.props, key, value, reserved)
        self.context.define(result)
        return result

    def field(self, node: Any, namespace: str | None, pointer: str, depth: int) -> Field:
        if not isinstance(node, dict) or not isinstance(node.get("name"), str):
            raise self.fail("a field needs a string 'name'", pointer)
        name = node["name"]
        problem = name_problem(name)
        if problem:
            raise self.fail(problem, pointer)
        type_ = self.child(node, "type", namespace, pointer, depth)
        doc = node.get("doc")
        f = Field(name, type_, doc if isinstance(doc, str) else None, position=self.where(pointer))
        if "default" in node:
            f.default = node["default"]
            # Java reads a textual float/double default ("NaN", "1.5") as the number it names.
            if (
                isinstance(f.default, str)
                and isinstance(type_, Primitive)
                and type_.type in ("float", "double")
            ):
                try:
                    f.default = float(f.default)
                except ValueError:
                    raise self.fail(f"invalid default {f.default!r} for a {type_.type}", pointer) from None
        order = node.get("order", "ascending")
        if not isinstance(order, str) or order.lower() not in _ORDERS:
            raise self.fail(f"invalid field order {order!r}", pointer)
        f.order = order.lower()
        aliases = node.get("aliases", [])
        if not isinstance(aliases, list) or not all(isinstance(a, str) for a in aliases):
            raise self.fail("'aliases' must be a list of strings", pointer)
        f.aliases = list(dict.fromkeys(aliases))
        for key, value in node.items():
            if key not in FIELD_RESERVED:
                add_prop(f.props, key, value, FIELD_RESERVED)
        return f


def _load(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as err:
        raise JsonImportError(f"cannot read {path}: {err}", None) from None


def _decode(path: Path, text: str) -> Any:
    try:
        return loads(text, str(path))
    except JsonSyntaxError as err:
        raise JsonImportError(err.reason, err.position) from None


def import_schema(path: Path, context: Context) -> None:
    """Parse a JSON schema file into ``context`` (its names resolve when the IDL file ends)."""
    text = _load(path)
    _Reader(path, text, context).schema(_decode(path, text), None, "")


def import_protocol(path: Path, context: Context) -> dict[str, Message]:
    """Parse a JSON protocol file on its own, add its types to ``context``; return its messages."""
    text = _load(path)
    node = _decode(path, text)
    local = Context()
    reader = _Reader(path, text, local)
    if not isinstance(node, dict) or not isinstance(node.get("protocol"), str):
        raise reader.fail("a protocol file needs a string 'protocol'", "")
    space = node.get("namespace")
    if "." in node["protocol"]:
        space = node["protocol"].rpartition(".")[0]
    types = node.get("types", [])
    if not isinstance(types, list):
        raise reader.fail("'types' must be a list", "")
    for i, item in enumerate(types):
        reader.schema(item, space, join_pointer("/types", i))
    messages: dict[str, Message] = {}
    raw_messages = node.get("messages", {})
    if not isinstance(raw_messages, dict):
        raise reader.fail("'messages' must be an object", "")
    for name, body in raw_messages.items():
        messages[name] = _message(reader, name, body, space, join_pointer("/messages", name))
    problem = local.resolve(message_schemas(messages.values()))
    if problem is not None:
        raise JsonImportError(*problem)
    try:
        for named in local.types.values():
            context.define(named)
    except ModelError as err:
        raise reader.fail(str(err), "") from None
    return messages


def _message(reader: _Reader, name: str, body: Any, space: str | None, pointer: str) -> Message:
    if not isinstance(body, dict):
        raise reader.fail("a message must be an object", pointer)
    doc = body.get("doc")
    request = body.get("request", [])
    if not isinstance(request, list):
        raise reader.fail("'request' must be a list of fields", pointer)
    fields = [
        reader.field(item, space, join_pointer(join_pointer(pointer, "request"), i), 0)
        for i, item in enumerate(request)
    ]
    response = reader.schema(body.get("response", "null"), space, join_pointer(pointer, "response"))
    one_way = body.get("one-way") is True
    errors: list[Schema] = []
    for i, error_name in enumerate(body.get("errors", []) or []):
        error = reader.schema(error_name, space, join_pointer(join_pointer(pointer, "errors"), i))
        errors.append(error)
    if one_way and (errors or not (isinstance(response, Primitive) and response.type == "null")):
        raise reader.fail("a one-way message must return null and throw nothing", pointer)
    props: dict[str, Any] = {}
    try:
        for key, value in body.items():
            if key not in MESSAGE_RESERVED:
                add_prop(props, key, value, MESSAGE_RESERVED)
    except ModelError as err:
        raise reader.fail(str(err), pointer) from None
    return Message(name, doc if isinstance(doc, str) else None, props, fields, response, errors, one_way)
