"""The one error type schema parsing raises."""

from __future__ import annotations

from govern.avro.jsonpos import Position
from govern.errors import InputError


class SchemaParseError(InputError):
    """An invalid Avro schema: one line naming what is wrong, the JSON pointer and file:line:col.

    ``reason`` is the bare cause (Avro Java's wording where it has one), ``pointer`` the JSON
    pointer into the schema document and ``position`` the source position when text was given.
    """

    def __init__(
        self,
        reason: str,
        *,
        pointer: str | None = "",
        position: Position | None = None,
        file: str | None = None,
        hint: str | None = None,
    ) -> None:
        where = str(position) if position else (file or "")
        prefix = f"{where}: " if where else ""
        if pointer is None:  # not about a place in the schema (e.g. the file cannot be read)
            super().__init__(f"{prefix}{reason}", hint=hint)
        else:
            super().__init__(f"{prefix}invalid Avro schema at {pointer or '/'}: {reason}", hint=hint)
        self.reason = reason
        self.pointer = pointer or ""
        self.position = position
        self.file = file
