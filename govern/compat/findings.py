"""Rules as data (one registry list) and the result types: ``Finding`` and ``Result``.

Each rule is an Avro ``SchemaIncompatibilityType`` (plus govern's ``CHECK_FAILED`` for what Avro
Java raises as an exception) with a stable id, a one-line purpose, and templates for a
plain-English reason and a fix hint. Printers live in ``render.py``, never here.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from govern.avro.jsonpos import Position


@dataclass(frozen=True, slots=True)
class Rule:
    """One compatibility rule: stable id, one-line purpose, reason and hint templates."""

    id: str
    purpose: str
    reason: str
    hint: str


RULES: list[Rule] = [
    Rule(
        "NAME_MISMATCH",
        "A named type (record, enum, fixed) keeps its name, or the reader lists the writer's full name "
        "as an alias.",
        "the {reader} schema's {kind} is named `{reader_name}` but the {writer} schema's is `{writer_name}`; "
        "short names must match or the {reader} type must alias the {writer} full name",
        'rename it back to `{writer_short}` or add "aliases": ["{writer_name}"] '
        "to the {kind} `{reader_name}`",
    ),
    Rule(
        "FIXED_SIZE_MISMATCH",
        "A fixed type keeps its size.",
        "fixed `{name}` is {reader_size} bytes in the {reader} schema but {writer_size} bytes in the "
        "{writer} schema",
        "keep fixed `{name}` at size {writer_size}; to change the size, "
        "add a new field with a new fixed type",
    ),
    Rule(
        "MISSING_ENUM_SYMBOLS",
        "The reader's enum has every symbol the writer's can write, or an enum default to fall back to.",
        "the {writer} schema can write {symbols_text} that the {reader} schema's enum `{name}` "
        "does not have, and that enum has no default",
        "add {symbols_hint} back or give the enum a default",
    ),
    Rule(
        "READER_FIELD_MISSING_DEFAULT_VALUE",
        "A field the reader expects but the writer does not write has a default.",
        "the {reader} schema expects field `{field}`, which the {writer} schema does not write, and the "
        "field has no default",
        "give field `{field}` a default",
    ),
    Rule(
        "TYPE_MISMATCH",
        "The reader's type can read the writer's type (same type, or a promotion: int->long->float->double, "
        "string<->bytes).",
        "the {reader} schema has {reader_type} where the {writer} schema has {writer_type}, and Avro cannot "
        "convert {writer_type} to {reader_type}",
        "{type_hint}",
    ),
    Rule(
        "MISSING_UNION_BRANCH",
        "Every type the writer can write at a union has a reader branch that can read it.",
        "the {writer} schema can write {writer_type} here, and no branch of the {reader} schema's union "
        "can read it",
        "add {writer_type_lower} back to the union in the {reader} schema",
    ),
    Rule(
        "CHECK_FAILED",
        "The check itself could not complete (Avro Java raises, Confluent reports incompatible).",
        "the compatibility check could not complete: {detail}",
        "{fix}",
    ),
]

RULES_BY_ID: dict[str, Rule] = {rule.id: rule for rule in RULES}


class _Context(dict):
    def __missing__(self, key: str) -> str:  # a template never fails on a missing detail
        return "?"


def explain(rule_id: str, context: dict[str, Any]) -> tuple[str, str]:
    """The (reason, hint) of a rule for one finding's context."""
    rule = RULES_BY_ID[rule_id]
    ctx = _Context(context)
    return rule.reason.format_map(ctx), rule.hint.format_map(ctx)


@dataclass(frozen=True, slots=True)
class Finding:
    """One incompatibility, as Avro Java reports it, plus where it is in both sources and what to do.

    ``rule`` is the Avro incompatibility type, ``location`` Avro's JSON-pointer-like path (from the
    reader), ``message`` Avro Java's message text. ``reader_pos``/``writer_pos`` are file:line:col
    when the schema came from a file. ``reader_role``/``writer_role`` say which schema was the
    reader ("new"/"old" at a level), ``version`` which history entry (1-based) was compared.
    """

    rule: str
    location: str
    message: str
    hint: str = ""
    reason: str = ""
    reader_pos: Position | None = None
    writer_pos: Position | None = None
    reader_pointer: str = ""
    writer_pointer: str = ""
    reader_role: str = "reader"
    writer_role: str = "writer"
    version: int | None = None

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form (the CLI's documented ``findings[]`` entry)."""

        def pos(p: Position | None, pointer: str) -> dict[str, Any] | None:
            if p is None:
                return {"file": None, "line": None, "column": None, "pointer": pointer}
            return {"file": p.file, "line": p.line, "column": p.column, "pointer": pointer}

        return {
            "rule": self.rule,
            "location": self.location,
            "message": self.message,
            "reason": self.reason,
            "hint": self.hint,
            "reader_role": self.reader_role,
            "writer_role": self.writer_role,
            "version": self.version,
            "reader": pos(self.reader_pos, self.reader_pointer),
            "writer": pos(self.writer_pos, self.writer_pointer),
        }


@dataclass(frozen=True, slots=True)
class Comparison:
    """One reader/writer check a level performed: which history version, which direction, what it found."""

    version: int
    direction: str  # "backward" (reader=new, writer=old) or "forward" (reader=old, writer=new)
    findings: tuple[Finding, ...]


@dataclass(slots=True)
class Result:
    """The answer of a check: ``compatible`` and the ``findings`` (empty when compatible).

    For a level check, ``level`` is set and ``comparisons`` lists each check made, in Confluent's
    order; ``findings`` are those Confluent reports (the first failing version only).
    """

    compatible: bool
    findings: list[Finding] = field(default_factory=list)
    level: str | None = None
    comparisons: list[Comparison] = field(default_factory=list)
    old_schemas: dict[int, Any] = field(default_factory=dict)  # version -> AvroSchema (for messages)

    def __bool__(self) -> bool:
        return self.compatible

    def __iter__(self) -> Iterator[Finding]:
        return iter(self.findings)

    def messages(self, *, validate_fields: bool = False) -> list[str]:
        """Confluent's ``verbose=true`` message strings for this result (see ``confluent_messages``)."""
        from govern.compat.messages import confluent_messages

        return confluent_messages(self, validate_fields=validate_fields)
