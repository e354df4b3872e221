"""Schema text out of the node graph: Avro Java ``Schema.toString()`` and Parsing Canonical Form.

``java_string`` is what Confluent stores and returns as the schema text (and what it quotes as
``oldSchema`` in compatibility messages); ``canonical_form`` is the Avro spec's Parsing
Canonical Form, whose CRC-64-AVRO ``fingerprint`` identifies a schema's wire shape.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from govern.avro.model import Node

_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))
_encode_string = json.encoder.encode_basestring  # the C escaper `_ENCODER.encode` uses for a str


def _dumps(value: Any) -> str:
    """Compact JSON, exactly ``json.dumps(value, ensure_ascii=False, separators=(",", ":"))``.

    Without building an encoder per call: this runs for every name written (``java_string``'s
    hot path, hence the compatibility walk's).
    """
    if type(value) is str:
        return _encode_string(value)
    return _ENCODER.encode(value)


def _qualified(full: str, space: str | None) -> str:
    """Avro Java ``Name.getQualified``: the short name when it lives in the current namespace."""
    if space and full.startswith(space + ".") and "." not in full[len(space) + 1 :]:
        return full[len(space) + 1 :]
    return full


class _JavaWriter:
    def __init__(self, known: Iterable[str] = ()) -> None:
        self.seen: set[str] = set(known)
        self.space: str | None = None
        self.out: list[str] = []

    def props(self, props: dict[str, Any]) -> None:
        for key, value in props.items():
            self.out.append(f",{_dumps(key)}:{_dumps(value)}")

    def name(self, node: Node) -> None:
        self.out.append(f',"name":{_dumps(node.name)}')
        if node.namespace is not None:
            if node.namespace != self.space:
                self.out.append(f',"namespace":{_dumps(node.namespace)}')
        elif self.space is not None:
            self.out.append(',"namespace":""')

    def aliases(self, node: Node) -> None:
        if node.aliases:
            names = ",".join(_dumps(_qualified(a, node.namespace)) for a in node.aliases)
            self.out.append(f',"aliases":[{names}]')

    def write(self, node: Node) -> None:
        out = self.out
        kind = node.type
        if node.fullname is not None:
            if node.fullname in self.seen:
                out.append(_dumps(_qualified(node.fullname, self.space)))
                return
            self.seen.add(node.fullname)
            saved = self.space
            out.append('{"type":' + _dumps("error" if node.is_error else kind))
            self.name(node)
            if kind == "record":
                self.space = node.namespace
                if node.doc is not None:
                    out.append(f',"doc":{_dumps(node.doc)}')
                out.append(',"fields":[')
                for i, field in enumerate(node.fields):
                    if i:
                        out.append(",")
                    out.append('{"name":' + _dumps(field.name) + ',"type":')
                    if field.type_ref.__class__ is str:  # a primitive by name: no node to build
                        out.append(_dumps(field.type_ref))
                    else:
                        self.write(field.type)
                    if field.doc is not None:
                        out.append(f',"doc":{_dumps(field.doc)}')
                    if field.has_default:
                        out.append(f',"default":{_dumps(field.default)}')
                    if field.order != "ascending":
                        out.append(f',"order":{_dumps(field.order)}')
                    if field.aliases:
                        out.append(',"aliases":[' + ",".join(_dumps(a) for a in field.aliases) + "]")
                    self.props(field.props)
                    out.append("}")
                out.append("]")
            else:
                if node.doc is not None:
                    out.append(f',"doc":{_dumps(node.doc)}')
                if kind == "enum":
                    out.append(',"symbols":' + _dumps(node.symbols))
                    if node.enum_default is not None:
                        out.append(f',"default":{_dumps(node.enum_default)}')
                else:
                    out.append(f',"size":{node.size}')
            self.props(node.props)
            self.aliases(node)
            out.append("}")
            self.space = saved
            return
        if kind == "union":
            out.append("[")
            for i, branch in enumerate(node.branches):
                if i:
                    out.append(",")
                self.write(branch)
            out.append("]")
        elif kind == "array":
            out.append('{"type":"array","items":')
            self.write(node.items)  # type: ignore[arg-type]
            self.props(node.props)
            out.append("}")
        elif kind == "map":
            out.append('{"type":"map","values":')
            self.write(node.values)  # type: ignore[arg-type]
            self.props(node.props)
            out.append("}")
        elif node.props:
            out.append('{"type":' + _dumps(kind))
            self.props(node.props)
            out.append("}")
        else:
            out.append(_dumps(kind))


def java_string(node: Node, known: Iterable[str] = ()) -> str:
    """Avro Java ``Schema.toString()`` (compact); names in ``known`` are written as references."""
    writer = _JavaWriter(known)
    writer.write(node)
    return "".join(writer.out)


def canonical_form(node: Node) -> str:
    """Avro Parsing Canonical Form: full names, only wire-relevant attributes, fixed order."""
    seen: set[str] = set()
    out: list[str] = []

    def write(n: Node) -> None:
        kind = n.type
        if n.fullname is not None:
            if n.fullname in seen:
                out.append(_dumps(n.fullname))
                return
            seen.add(n.fullname)
            out.append('{"name":' + _dumps(n.fullname) + ',"type":' + _dumps(kind))
            if kind == "record":
                out.append(',"fields":[')
                for i, field in enumerate(n.fields):
                    if i:
                        out.append(",")
                    out.append('{"name":' + _dumps(field.name) + ',"type":')
                    if field.type_ref.__class__ is str:  # a primitive by name: no node to build
                        out.append(_dumps(field.type_ref))
                    else:
                        write(field.type)
                    out.append("}")
                out.append("]}")
            elif kind == "enum":
                out.append(',"symbols":' + _dumps(n.symbols) + "}")
            else:
                out.append(f',"size":{n.size}}}')
        elif kind == "union":
            out.append("[")
            for i, branch in enumerate(n.branches):
                if i:
                    out.append(",")
                write(branch)
            out.append("]")
        elif kind == "array":
            out.append('{"type":"array","items":')
            write(n.items)  # type: ignore[arg-type]
            out.append("}")
        elif kind == "map":
            out.append('{"type":"map","values":')
            write(n.values)  # type: ignore[arg-type]
            out.append("}")
        else:
            out.append(_dumps(kind))

    write(node)
    return "".join(out)


_EMPTY = 0xC15D213AA4D7A795


def _table() -> list[int]:
    table = []
    for i in range(256):
        fp = i
        for _ in range(8):
            fp = (fp >> 1) ^ (_EMPTY & -(fp & 1))
        table.append(fp)
    return table


_FP_TABLE = _table()


def fingerprint64(data: bytes) -> int:
    """CRC-64-AVRO (Rabin) fingerprint, as an unsigned 64-bit int (Java's long, two's complement)."""
    fp = _EMPTY
    table = _FP_TABLE
    for byte in data:
        fp = (fp >> 8) ^ table[(fp ^ byte) & 0xFF]
    return fp
