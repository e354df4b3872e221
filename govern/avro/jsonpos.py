"""Source positions for JSON text: line:col of every value, keyed by JSON pointer.

Values are decoded by the C ``json`` module (fast); this scanner runs only when a position is
needed (an error message, a finding in a file), so the common path pays nothing for it.
"""

from __future__ import annotations

import json
import re
from bisect import bisect_right
from dataclasses import dataclass

_WS = re.compile(r"[ \t\n\r]*")
_STRING = re.compile(r'"(?:[^"\\\x00-\x1f]|\\(?:["\\/bfnrt]|u[0-9a-fA-F]{4}))*"')
_NUMBER = re.compile(r"-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][-+]?[0-9]+)?")
_LITERALS = ("true", "false", "null")


@dataclass(frozen=True, slots=True)
class Position:
    """A 1-based line and column in a source text, and the file it came from (or None)."""

    line: int
    column: int
    file: str | None = None

    def __str__(self) -> str:
        return f"{self.file or '<text>'}:{self.line}:{self.column}"


def escape_token(token: str) -> str:
    """Escape one JSON-pointer reference token (RFC 6901: ``~`` -> ``~0``, ``/`` -> ``~1``)."""
    return token.replace("~", "~0").replace("/", "~1")


def join_pointer(parent: str, token: str | int) -> str:
    """Append one token to a JSON pointer ("" is the document root)."""
    return f"{parent}/{escape_token(str(token))}"


class _ScanError(Exception):
    def __init__(self, offset: int, pointer: str) -> None:
        super().__init__(offset, pointer)
        self.offset = offset
        self.pointer = pointer


class PositionMap:
    """Offsets of every JSON value (and object key) in ``text``, by JSON pointer.

    ``value_at(ptr)`` is where the value starts; ``key_at(ptr)`` where its member name starts.
    """

    def __init__(self, text: str, file: str | None = None) -> None:
        self.text = text
        self.file = file
        self._values: dict[str, int] = {}
        self._keys: dict[str, int] = {}
        self._line_starts = [0] + [m.end() for m in re.finditer("\n", text)]
        self.error: _ScanError | None = None
        try:
            end = self._value(_WS.match(text, 0).end(), "")
            end = _WS.match(text, end).end()
            if end != len(text):
                raise _ScanError(end, "")
        except _ScanError as err:
            self.error = err
        except RecursionError:  # absurdly deep nesting: positions unavailable, not fatal
            self.error = _ScanError(0, "")

    # -- lookup ---------------------------------------------------------------------------------
    def position(self, offset: int) -> Position:
        """Line and column (1-based) of a character offset."""
        line = bisect_right(self._line_starts, offset)
        return Position(line, offset - self._line_starts[line - 1] + 1, self.file)

    def value_at(self, pointer: str) -> Position | None:
        """Position of the value at ``pointer``, or of its nearest recorded ancestor."""
        while True:
            offset = self._values.get(pointer)
            if offset is not None:
                return self.position(offset)
            if not pointer:
                return None
            pointer = pointer.rsplit("/", 1)[0]

    def pointer_at(self, position: Position) -> str | None:
        """The JSON pointer of the innermost value starting at or before ``position``."""
        if not 1 <= position.line <= len(self._line_starts):
            return None
        offset = self._line_starts[position.line - 1] + position.column - 1
        best: tuple[int, int, str] | None = None
        for pointer, start in self._values.items():
            if start <= offset and (best is None or (start, len(pointer)) > best[:2]):
                best = (start, len(pointer), pointer)
        return best[2] if best else None

    def key_at(self, pointer: str) -> Position | None:
        """Position of the member name whose value is at ``pointer`` (falls back to the value)."""
        offset = self._keys.get(pointer)
        return self.position(offset) if offset is not None else self.value_at(pointer)

    def line_text(self, line: int) -> str:
        """The text of one 1-based line (without its newline)."""
        if line < 1 or line > len(self._line_starts):
            return ""
        start = self._line_starts[line - 1]
        end = self._line_starts[line] - 1 if line < len(self._line_starts) else len(self.text)
        return self.text[start:end].rstrip("\r")

    # -- scanning -------------------------------------------------------------------------------
    def _value(self, i: int, ptr: str) -> int:
        text = self.text
        if i >= len(text):
            raise _ScanError(i, ptr)
        self._values[ptr] = i
        ch = text[i]
        if ch == "{":
            i = _WS.match(text, i + 1).end()
            if i < len(text) and text[i] == "}":
                return i + 1
            while True:
                m = _STRING.match(text, i)
                if not m:
                    raise _ScanError(i, ptr)
                key = json.loads(m.group())
                child = join_pointer(ptr, key)
                self._keys[child] = i
                i = _WS.match(text, m.end()).end()
                if i >= len(text) or text[i] != ":":
                    raise _ScanError(i, child)
                i = self._value(_WS.match(text, i + 1).end(), child)
                i = _WS.match(text, i).end()
                if i < len(text) and text[i] == ",":
                    i = _WS.match(text, i + 1).end()
                    continue
                if i < len(text) and text[i] == "}":
                    return i + 1
                raise _ScanError(i, ptr)
        if ch == "[":
            i = _WS.match(text, i + 1).end()
            if i < len(text) and text[i] == "]":
                return i + 1
            index = 0
            while True:
                i = self._value(i, join_pointer(ptr, index))
                i = _WS.match(text, i).end()
                if i < len(text) and text[i] == ",":
                    i = _WS.match(text, i + 1).end()
                    index += 1
                    continue
                if i < len(text) and text[i] == "]":
                    return i + 1
                raise _ScanError(i, ptr)
        if ch == '"':
            m = _STRING.match(text, i)
            if not m:
                raise _ScanError(i, ptr)
            return m.end()
        m = _NUMBER.match(text, i)
        if m and m.end() > i:
            return m.end()
        for literal in _LITERALS:
            if text.startswith(literal, i):
                return i + len(literal)
        raise _ScanError(i, ptr)


class JsonSyntaxError(ValueError):
    """Invalid JSON text, with the position and the JSON pointer of the enclosing value."""

    def __init__(self, reason: str, position: Position, pointer: str) -> None:
        super().__init__(f"{position}: invalid JSON at {pointer or '/'}: {reason}")
        self.reason = reason
        self.position = position
        self.pointer = pointer


class _NonStandardConstant(ValueError):
    pass


def _reject_constant(name: str) -> object:
    raise _NonStandardConstant(name)  # NaN / Infinity: Python accepts them, JSON (and Jackson) do not


def loads(text: str, file: str | None = None) -> object:
    """Decode JSON text; on error raise ``JsonSyntaxError`` naming line:col and JSON pointer."""
    try:
        return json.loads(text, parse_constant=_reject_constant)
    except _NonStandardConstant as err:
        positions = PositionMap(text, file)
        scan_error = positions.error or _ScanError(0, "")
        raise JsonSyntaxError(
            f"{err.args[0]} is not valid JSON", positions.position(scan_error.offset), scan_error.pointer
        ) from None
    except json.JSONDecodeError as err:
        positions = PositionMap(text, file)
        pointer = positions.error.pointer if positions.error else ""
        raise JsonSyntaxError(err.msg, Position(err.lineno, err.colno, file), pointer) from None
    except RecursionError:
        raise JsonSyntaxError("nesting too deep", Position(1, 1, file), "") from None
