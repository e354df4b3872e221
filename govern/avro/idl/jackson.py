"""JSON text laid out as Avro Java prints it (Jackson's default pretty printer), and Java's numbers.

``avro-tools idl`` prints ``Protocol.toString(true)``: objects one member a line as ``"key" : value``
indented two spaces per object level, arrays on one line (``[ a, b ]``), empty ones as ``{ }`` and
``[ ]``, doubles as Java's ``Double.toString`` writes them and NaN/Infinity as quoted strings.
"""

from __future__ import annotations

import math
from typing import Any

_SHORT_ESCAPES = {'"': '\\"', "\\": "\\\\", "\b": "\\b", "\t": "\\t", "\n": "\\n", "\f": "\\f", "\r": "\\r"}


def java_double(value: float) -> str:
    """``Double.toString(value)`` for a finite double: ``1.0``, ``0.001``, ``1.0E7``, ``-1.0E-5``."""
    if value == 0:
        return "-0.0" if math.copysign(1.0, value) < 0 else "0.0"
    sign = "-" if value < 0 else ""
    # repr gives the shortest digits that round-trip, as Java's algorithm aims to.
    mantissa, _, exp_text = repr(abs(value)).lower().partition("e")
    whole, _, frac = mantissa.partition(".")
    significant = whole + frac
    leading_zeros = len(significant) - len(significant.lstrip("0"))
    point = len(whole) + int(exp_text or 0) - leading_zeros  # value == 0.<all_digits> * 10**point
    all_digits = significant.strip("0") or "0"
    if 1e-3 <= abs(value) < 1e7:
        if point <= 0:
            return f"{sign}0.{'0' * -point}{all_digits}"
        if point >= len(all_digits):
            return f"{sign}{all_digits}{'0' * (point - len(all_digits))}.0"
        return f"{sign}{all_digits[:point]}.{all_digits[point:]}"
    return f"{sign}{all_digits[0]}.{all_digits[1:] or '0'}E{point - 1}"


def _string(text: str) -> str:
    out = ['"']
    for ch in text:
        escaped = _SHORT_ESCAPES.get(ch)
        if escaped:
            out.append(escaped)
        elif ch < " ":
            out.append(f"\\u{ord(ch):04X}")
        else:
            out.append(ch)
    out.append('"')
    return "".join(out)


def _scalar(value: Any) -> str:
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return '"NaN"'
        if math.isinf(value):
            return '"Infinity"' if value > 0 else '"-Infinity"'
        return java_double(value)
    return _string(str(value))


def _write(value: Any, level: int, out: list[str]) -> None:
    if isinstance(value, dict):
        if not value:
            out.append("{ }")
            return
        out.append("{")
        inner = "  " * (level + 1)
        first = True
        for key, item in value.items():
            out.append("\n" + inner if first else ",\n" + inner)
            first = False
            out.append(_string(key) + " : ")
            _write(item, level + 1, out)
        out.append("\n" + "  " * level + "}")
    elif isinstance(value, list):
        if not value:
            out.append("[ ]")
            return
        out.append("[ ")
        for i, item in enumerate(value):
            if i:
                out.append(", ")
            _write(item, level, out)
        out.append(" ]")
    else:
        out.append(_scalar(value))


def dumps(value: Any) -> str:
    """``value`` as Jackson's default pretty printer writes it (no trailing newline)."""
    out: list[str] = []
    _write(value, 0, out)
    return "".join(out)


def plain(value: Any) -> Any:
    """``value`` as the printed JSON reads back: NaN and the infinities become their strings."""
    if isinstance(value, dict):
        return {key: plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [plain(item) for item in value]
    if isinstance(value, float) and not math.isfinite(value):
        return "NaN" if math.isnan(value) else ("Infinity" if value > 0 else "-Infinity")
    return value
