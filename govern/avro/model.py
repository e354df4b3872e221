"""The parsed Avro schema graph: one node per schema, one field object per record field.

Nodes are plain slotted objects compared by identity, which is what the compatibility walk
memoises on (Avro Java keys its memo on schema identity too). Named types referenced by name
are the same node object, so recursive schemas are cyclic graphs.
"""

from __future__ import annotations

from typing import Any

PRIMITIVES = frozenset({"null", "boolean", "int", "long", "float", "double", "bytes", "string"})
NAMED = frozenset({"record", "error", "enum", "fixed"})

_NO_DEFAULT: Any = object()


class Node:
    """One Avro schema node. ``type`` is the Avro type name (``record`` for ``error`` too).

    Which attributes matter depends on ``type``: ``name``/``namespace``/``fullname``/``aliases``
    for named types, ``fields`` for records, ``symbols``/``enum_default`` for enums, ``size``
    for fixed, ``items``/``values`` for arrays/maps and ``branches`` for unions.
    """

    __slots__ = (
        "type",
        "upper",
        "pointer",
        "origin",
        "name",
        "namespace",
        "fullname",
        "aliases",
        "doc",
        "fields",
        "field_map",
        "symbols",
        "symbol_set",
        "enum_default",
        "size",
        "items",
        "values",
        "branches",
        "props",
        "logical_type",
        "is_error",
        "sig",
    )

    def __init__(self, type_: str, pointer: str, origin: object = None) -> None:
        self.type = type_
        self.upper = type_.upper()
        self.pointer = pointer
        self.origin = origin  # the SchemaSource this node was defined in (for positions)
        self.name: str | None = None
        self.namespace: str | None = None
        self.fullname: str | None = None
        self.aliases: tuple[str, ...] = ()  # resolved full names, in declaration order
        self.doc: str | None = None
        self.fields: list[Field] = []
        self.field_map: dict[str, Field] = {}
        self.symbols: list[str] = []
        self.symbol_set: frozenset[str] = frozenset()
        self.enum_default: str | None = None
        self.size: int = 0
        self.items: Node | None = None
        self.values: Node | None = None
        self.branches: list[Node] = []
        self.props: dict[str, Any] = {}
        self.logical_type: str | None = None
        self.is_error = False
        self.sig: str | None = None  # self-contained text of the subtree, computed on demand

    def __repr__(self) -> str:
        label = self.fullname or self.type
        return f"<avro {self.type} {label}>" if self.fullname else f"<avro {label}>"


class Field:
    """One record field: name, type node, default (``has_default``), aliases, reader position."""

    __slots__ = (
        "name",
        "type",
        "default",
        "has_default",
        "aliases",
        "pos",
        "pointer",
        "doc",
        "order",
        "props",
    )

    def __init__(self, name: str, type_: Node, pos: int, pointer: str) -> None:
        self.name = name
        self.type = type_
        self.pos = pos
        self.pointer = pointer
        self.default: Any = None
        self.has_default = False
        self.aliases: list[str] = []
        self.doc: str | None = None
        self.order = "ascending"
        self.props: dict[str, Any] = {}

    def __repr__(self) -> str:
        return f"<field {self.name}: {self.type!r}>"
