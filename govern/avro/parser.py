"""Avro schema parsing with Avro Java's rules (names, namespaces, aliases, defaults, unions).

The parser itself is native (rust/govern_codec/src/avro_parse.rs, in ``govern._native``): JSON
text in, the ``Node``/``Field`` graph out, without building a Python value of the document. This
module gives it its input (``SchemaSource``: text, file, the decoded value on demand) and words its
errors as ``SchemaParseError`` with file:line:col.

``strict=True`` is how Confluent parses a *new* schema (strict names, defaults validated);
``strict=False`` how it parses stored ones (no name validation, defaults not validated).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from govern import _native
from govern.avro.errors import SchemaParseError
from govern.avro.jsonpos import JsonSyntaxError, Position, PositionMap, loads
from govern.avro.model import Field, Node

_UNDECODED: Any = object()


class SchemaSource:
    """Where one schema document came from: its text or its JSON value, and its file.

    The JSON value of a text and source positions are computed lazily, when first asked for.
    """

    __slots__ = ("_value", "text", "file", "_positions")

    def __init__(self, value: Any = _UNDECODED, text: str | None = None, file: str | None = None) -> None:
        self._value = value
        self.text = text
        self.file = file
        self._positions: PositionMap | None = None

    @property
    def value(self) -> Any:
        """The decoded JSON document."""
        if self._value is _UNDECODED:
            self._value = json.loads(self.text)  # type: ignore[arg-type]
        return self._value

    def json_text(self) -> str:
        """The document as JSON text (the text it came as, else its value written out)."""
        if self.text is not None:
            return self.text
        try:
            return json.dumps(self._value, allow_nan=False)
        except (TypeError, ValueError) as err:
            raise SchemaParseError(f"not a JSON value: {err}", file=self.file) from None

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
    return SchemaSource(text=text, file=file)


def _json_error(src: SchemaSource, reason: str, line: int, column: int) -> SchemaParseError:
    """The error for text that is not JSON, worded by Python's json module as before (with the
    JSON pointer of the enclosing value); the native decoder's words where Python's json accepts
    the text (a lone surrogate escape)."""
    try:
        loads(src.text or "", src.file)
    except JsonSyntaxError as err:
        reason, position, pointer = err.reason, err.position, err.pointer
    else:
        position, pointer = Position(line, column, src.file), ""
    return SchemaParseError(
        f"invalid JSON: {reason}",
        pointer=pointer,
        position=position,
        hint="fix the JSON syntax at that line and column",
    )


class Names:
    """The named types known while parsing (own definitions plus those from references)."""

    __slots__ = ("types", "referenced", "ambiguous")

    def __init__(self) -> None:
        self.types: dict[str, Node] = {}
        self.referenced: set[str] = set()  # full names defined by reference schemas
        self.ambiguous = False  # a record has a field alias naming one of its own fields


def parse_document(src: SchemaSource, names: Names, strict: bool) -> Node:
    """Parse one schema document into nodes, adding its named types to ``names``."""
    text = src.json_text()
    try:
        root, ambiguous = _native.parse_avro(text, strict, names.types, src, Node, Field)
    except _native.JsonError as err:
        raise _json_error(src, *err.args) from None
    except _native.SchemaError as err:
        reason, pointer, hint = err.args
        raise SchemaParseError(
            reason, pointer=pointer, position=src.position(pointer), file=src.file, hint=hint
        ) from None
    except _native.InvalidDefault as err:
        field, pointer = err.args
        raise _invalid_default(src, field, pointer) from None
    except UnicodeEncodeError:
        raise SchemaParseError("the text holds a lone surrogate, not Unicode", file=src.file) from None
    names.ambiguous = names.ambiguous or ambiguous
    return root


def _invalid_default(src: SchemaSource, field: Field, pointer: str) -> SchemaParseError:
    """Avro Java ``validateDefaults``: the default must be a valid value of the field type."""
    from govern.avro.writer import java_string

    return SchemaParseError(
        f"Invalid default for field {field.name}: {json.dumps(field.default, ensure_ascii=False)} "
        f"not a {java_string(field.type)}",
        pointer=pointer,
        position=src.position(pointer),
        file=src.file,
        hint=f"make the default of field `{field.name}` a value of its type "
        "(for a union, of one of its branches)",
    )
