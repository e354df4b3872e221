"""The JSON mapping of Avro values used by fixture files (docs/fixtures.md section 2), one codec.

The mapping runs in Rust (rust/govern_codec, the extension `govern.recording._codec`, built by
`pip install -e .`): this module only decides the Avro rules once per schema and hands them over
as a compact program (`program`): which logical types apply, whether a union is tagged and its
branch names, and each field default already in the fixture mapping. `Codec` wraps one compiled
schema for single values (tests, the pytest fixtures, the bench); replay and record hand the
extension whole batches of lines and messages instead.
"""

from __future__ import annotations

import base64
import json
import math
from typing import Any

import orjson

from govern import _native
from govern.avro import AvroSchema
from govern.avro.model import Node

__all__ = ["Codec", "DecodeError", "ValueMismatch", "branch_name", "program"]

_TIME_LOGICALS = {
    "int": ("date", "time-millis"),
    "long": (
        "time-micros",
        "timestamp-millis",
        "timestamp-micros",
        "timestamp-nanos",
        "local-timestamp-millis",
        "local-timestamp-micros",
        "local-timestamp-nanos",
    ),
}


class ValueMismatch(ValueError):
    """A JSON value that does not fit its Avro schema; `path` is where (e.g. `rate.price`)."""

    def __init__(self, path: str, message: str) -> None:
        super().__init__(f"{path}: {message}" if path else message)
        self.path = path
        self.message = message


class DecodeError(ValueError):
    """Bytes that are not a valid Avro binary encoding of the schema."""


def branch_name(node: Node) -> str:
    """The name Avro's JSON encoding tags a union branch with."""
    return node.fullname or node.type


def _is_simple_union(node: Node) -> bool:
    return sum(1 for b in node.branches if b.type != "null") <= 1


def _decimal_params(node: Node) -> tuple[int, int] | None:
    """(precision, scale) of a valid decimal logical type, None when invalid (then ignored, as Avro)."""
    precision, scale = node.props.get("precision"), node.props.get("scale", 0)
    if not isinstance(precision, int) or isinstance(precision, bool) or precision <= 0:
        return None
    if not isinstance(scale, int) or isinstance(scale, bool) or not 0 <= scale <= precision:
        return None
    if node.type == "fixed" and precision > math.floor(math.log10(2) * (8 * node.size - 1)):
        return None
    return precision, scale


def _decimal_text(unscaled: int, scale: int) -> str:
    sign = "-" if unscaled < 0 else ""
    digits = str(abs(unscaled)).rjust(scale + 1, "0")
    return sign + digits if scale == 0 else f"{sign}{digits[:-scale]}.{digits[-scale:]}"


def _default_json(node: Node, value: Any) -> Any:
    """A schema default (Avro's JSON: first union branch, bytes as ISO-8859-1) in the fixture mapping."""
    kind = node.type
    if kind == "union":
        first = node.branches[0]
        inner = _default_json(first, value)
        return inner if _is_simple_union(node) or first.type == "null" else {branch_name(first): inner}
    if kind in ("bytes", "fixed") and isinstance(value, str):
        raw = value.encode("latin-1", errors="replace")
        if node.logical_type == "decimal" and (params := _decimal_params(node)):
            return _decimal_text(int.from_bytes(raw, "big", signed=True), params[1])
        return base64.b64encode(raw).decode("ascii")
    if kind == "record" and isinstance(value, dict):
        return {f.name: _default_json(f.type, value[f.name]) for f in node.fields if f.name in value}
    if kind == "array" and isinstance(value, list):
        return [_default_json(node.items, v) for v in value]  # type: ignore[arg-type]
    if kind == "map" and isinstance(value, dict):
        return {k: _default_json(node.values, v) for k, v in value.items()}  # type: ignore[arg-type]
    return value


def program(root: Node) -> str:
    """The schema as the extension's program: a JSON list of nodes, the root first, children by
    position (so recursive types are cycles). Format: rust/govern_codec/src/schema.rs."""
    nodes: list[list[Any]] = []
    positions: dict[int, int] = {}

    def visit(node: Node) -> int:
        found = positions.get(id(node))
        if found is not None:
            return found
        position = positions[id(node)] = len(nodes)
        nodes.append([])
        nodes[position] = describe(node)
        return position

    def describe(node: Node) -> list[Any]:  # noqa: C901 - one branch per Avro type
        kind, logical = node.type, node.logical_type
        if logical == "decimal" and kind in ("bytes", "fixed") and (params := _decimal_params(node)):
            return ["decimal", node.size if kind == "fixed" else -1, *params]
        if kind in ("int", "long") and logical in _TIME_LOGICALS[kind]:
            return ["time", kind, logical]
        if kind == "string" and logical == "uuid":  # read as a string; govern.serde's reader makes a UUID
            return ["string", "uuid"]
        if kind == "fixed":
            return ["fixed", node.fullname, node.size]
        if kind == "enum":
            return ["enum", node.fullname, list(node.symbols)]
        if kind == "array":
            return ["array", visit(node.items)]  # type: ignore[arg-type]
        if kind == "map":
            return ["map", visit(node.values)]  # type: ignore[arg-type]
        if kind == "record":
            fields = []
            for f in node.fields:
                entry: list[Any] = [f.name, visit(f.type), f.has_default]
                if f.has_default:
                    entry.append(_default_json(f.type, f.default))
                fields.append(entry)
            return ["record", node.fullname, fields]
        if kind == "union":
            branches = [[None if b.type == "null" else branch_name(b), visit(b)] for b in node.branches]
            return ["union", not _is_simple_union(node), branches]
        return [kind]

    visit(root)
    return json.dumps(nodes, separators=(",", ":"), allow_nan=False)


def _dumps(value: Any) -> bytes:
    try:
        return orjson.dumps(value)
    except TypeError:  # integers beyond 64 bits: the standard encoder writes them
        return json.dumps(value, separators=(",", ":")).encode()


class Codec:
    """Encoder and decoder between fixture JSON values and Avro binary for one schema."""

    def __init__(self, schema: AvroSchema) -> None:
        self.schema = schema
        self.compiled = _native.Schema(program(schema.root))

    def encode(self, value: Any) -> bytes:
        """Avro binary of a JSON value; ValueMismatch (with the field path) when it does not fit."""
        try:
            return self.compiled.encode(_dumps(value))
        except _native.Mismatch as error:
            raise ValueMismatch(*error.args) from None

    def decode(self, data: bytes) -> Any:
        """The JSON value of an Avro body; DecodeError unless it is exactly one valid value."""
        try:
            return json.loads(self.compiled.decode(data))
        except _native.DecodeError as error:
            raise DecodeError(f"not a valid Avro body for {self.schema.name}: {error}") from None
