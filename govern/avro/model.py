"""The parsed Avro schema graph: one node per schema, one field object per record field.

Nodes are plain slotted objects compared by identity, which is what the compatibility walk
memoises on (Avro Java keys its memo on schema identity too). Named types referenced by name
are the same node object, so recursive schemas are cyclic graphs.

The graph is built by the native parser (``govern.avro.parser``) and never changed afterwards
(``Field.type`` only builds a primitive's node): the parser takes the parts that are on no
reference cycle out of the cycle collector's reach, which assumes just that.
"""

from __future__ import annotations

from typing import Any

PRIMITIVES = frozenset({"null", "boolean", "int", "long", "float", "double", "bytes", "string"})
NAMED = frozenset({"record", "error", "enum", "fixed"})

_UPPER = {t: t.upper() for t in PRIMITIVES | NAMED | {"array", "map", "union"}}


class Node:
    """One Avro schema node. ``type`` is the Avro type name (``record`` for ``error`` too).

    Which attributes matter depends on ``type``: ``name``/``namespace``/``fullname``/``aliases``
    for named types, ``fields`` for records, ``symbols``/``enum_default`` for enums, ``size``
    for fixed, ``items``/``values`` for arrays/maps and ``branches`` for unions.
    """

    # Class-level defaults keep construction cheap: an instance stores only what its type sets.
    name: str | None = None
    namespace: str | None = None
    fullname: str | None = None
    aliases: tuple[str, ...] = ()  # resolved full names, in declaration order
    doc: str | None = None
    fields: list[Field] = []  # replaced per instance, never mutated here
    field_map: dict[str, Field] = {}
    symbols: list[str] = []
    symbol_set: frozenset[str] = frozenset()
    enum_default: str | None = None
    size: int = 0
    items: Node | None = None
    values: Node | None = None
    branches: list[Node] = []
    props: dict[str, Any] = {}
    logical_type: str | None = None
    is_error: bool = False
    # Set on every node of a document where some record has a field alias naming one of that
    # record's own fields: Avro Java's check of such a record against itself throws (the field
    # matches two writer fields), so the identity short-cut must not apply.
    ambiguous: bool = False

    def __init__(self, type_: str, pointer: str, origin: object = None) -> None:
        self.type = type_
        self.pointer = pointer
        self.origin = origin  # the SchemaSource this node was defined in (for positions)

    @property
    def upper(self) -> str:
        """The type name as Avro Java's ``Schema.Type`` prints it (``INT``, ``RECORD``)."""
        return _UPPER.get(self.type) or self.type.upper()

    def __repr__(self) -> str:
        label = self.fullname or self.type
        return f"<avro {self.type} {label}>" if self.fullname else f"<avro {label}>"


def _share_attribute_names() -> None:
    """Set every attribute a node may have once, on a first node, before the parser builds any.

    CPython keeps one table of instance attribute names per class and stops adding to it after
    a few dozen instances; a later instance setting a name it lacks (``enum_default`` when no
    early enum had a default) gets a dict of its own, one more object for the cycle collector
    to walk for as long as the schema lives.
    """
    node = Node("null", "")
    for name, value in vars(Node).items():
        if not name.startswith("_") and not callable(value) and not isinstance(value, property):
            setattr(node, name, value)


_share_attribute_names()


class Field:
    """One record field: name, type node, default (``has_default``), aliases, reader position.

    The attributes most fields leave at their defaults live on the class: a field stores only
    what its JSON sets (parsing builds one per field of every schema, so this is the hot path).
    A type written as a primitive's name is kept as that name (``type_ref``) and its node built
    on first use of ``type``: most fields never need one (the compatibility walk compares the
    names), and a node per field was a third of parsing time.
    """

    __slots__ = ("name", "type_ref", "pos", "parent", "origin", "__dict__")

    default: Any = None
    has_default = False
    aliases: list[str] = []  # replaced per instance, never mutated
    doc: str | None = None
    order = "ascending"
    props: dict[str, Any] = {}

    def __init__(self, name: str, type_: Node | str, pos: int, parent: str, origin: object = None) -> None:
        self.name = name
        self.type_ref = type_  #: the type node, or the name of a primitive type not yet built
        self.pos = pos
        self.parent = parent  #: the JSON pointer of the record's "fields" (shared by its fields)
        self.origin = origin  # the SchemaSource of the record (for a type node built later)

    @property
    def pointer(self) -> str:
        """The JSON pointer of this field in its document (built when asked: rarely needed)."""
        return f"{self.parent}/{self.pos}"

    @property
    def type(self) -> Node:
        """The field's type node."""
        ref = self.type_ref
        if ref.__class__ is str:
            ref = self.type_ref = Node(ref, f"{self.pointer}/type", self.origin)  # type: ignore[arg-type]
        return ref  # type: ignore[return-value]

    def __repr__(self) -> str:
        return f"<field {self.name}: {self.type_ref!r}>"
