"""From Avro's raw incompatibilities to findings that say why and how to fix, and the result types.

The rules themselves (id, purpose, category) are registered in ``govern.report.rules``; here each
compatibility rule gets a plain-English reason and two fix hints: one that edits the reader, for
when the reader is the schema being changed (BACKWARD), and one that edits the writer, for when
the new schema writes and an old or pinned schema reads (FORWARD, FULL, a consumer's reader,
release-plan's old readers). Deployed readers cannot be edited, so the hint always edits the new
schema whichever side reads. Pure: no I/O, no printing.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from govern.avro.parser import SchemaSource
from govern.compat.rules import PROMOTIONS, CheckFailed, Incompatibility
from govern.report.model import Finding, Place, Side

# rule id -> (reason, hint editing the reader, hint editing the writer); {reader}/{writer} are roles
_EXPLANATIONS: dict[str, tuple[str, str, str]] = {
    "NAME_MISMATCH": (
        "the {reader} schema's {kind} is named `{reader_name}` but the {writer} schema's is `{writer_name}`; "
        "short names must match or the {reader} type must alias the {writer} full name",
        'rename it back to `{writer_short}` or add "aliases": ["{writer_name}"] '
        "to the {kind} `{reader_name}`",
        "rename the {kind} `{writer_name}` back to `{reader_short}` in the {writer} schema: {reader} readers "
        "know only that name, and aliases in the {writer} schema do not help them",
    ),
    "FIXED_SIZE_MISMATCH": (
        "fixed `{name}` is {reader_size} bytes in the {reader} schema but {writer_size} bytes in the "
        "{writer} schema",
        "keep fixed `{name}` at size {writer_size}; to change the size, "
        "add a new field with a new fixed type",
        "keep fixed `{name}` at size {reader_size} in the {writer} schema; to change the size, add a new "
        "field with a new fixed type",
    ),
    "MISSING_ENUM_SYMBOLS": (
        "the {writer} schema can write {symbols_text} that the {reader} schema's enum `{name}` "
        "does not have, and that enum has no default",
        "add {symbols_hint} back or give the enum a default",
        "remove {symbols_hint} from enum `{name}` in the {writer} schema; to add symbols, first give the "
        "enum a default and deploy its readers, then add them",
    ),
    "READER_FIELD_MISSING_DEFAULT_VALUE": (
        "the {reader} schema expects field `{field}`, which the {writer} schema does not write, and the "
        "field has no default",
        "give field `{field}` a default",
        "keep field `{field}` in the {writer} schema: {reader} readers need it, since it has no default "
        "there; to drop it, first give it a default and deploy its readers",
    ),
    "TYPE_MISMATCH": (
        "the {reader} schema has {reader_type} where the {writer} schema has {writer_type}, and Avro cannot "
        "convert {writer_type} to {reader_type}",
        "{reader_type_hint}",
        "{writer_type_hint}",
    ),
    "MISSING_UNION_BRANCH": (
        "the {writer} schema can write {writer_type} here, and no branch of the {reader} schema's union "
        "can read it",
        "add {writer_type_lower} back to the union in the {reader} schema",
        "stop writing {writer_type_lower} here in the {writer} schema: the {reader} schema's union has no "
        "branch for it (add the branch to the readers and deploy them first)",
    ),
    "CHECK_FAILED": (
        "the compatibility check could not complete: {detail}",
        "{fix}",
        "{fix}",
    ),
}

# writer type -> what a reader may change it to and still read it (Avro promotions)
_WIDER = {
    "int": "long, float or double",
    "long": "float or double",
    "float": "double",
    "string": "bytes",
    "bytes": "string",
}


class _Context(dict):
    def __missing__(self, key: str) -> str:  # a template never fails on a missing detail
        return "?"


def edits_writer(reader_role: str, writer_role: str) -> bool:
    """Whether the fix goes into the writer: it is the new schema and the reader is not."""
    return writer_role == "new" and reader_role != "new"


def _type_hints(context: dict[str, Any]) -> None:
    reader_type, writer_type = context.get("reader_type", "?"), context.get("writer_type", "?")
    wider = _WIDER.get(writer_type)
    tail = "for any other change add a new field (with a default) instead of changing this one"
    context["reader_type_hint"] = (
        f"keep {writer_type} in the {context['reader']} schema or change it only to {wider}; {tail}"
        if wider
        else f"keep the type {writer_type} here; to change a type, add a new field with a default and "
        "stop writing the old one"
    )
    readable = " or ".join([reader_type, *sorted(PROMOTIONS.get(reader_type, ()))])
    context["writer_type_hint"] = (
        f"write {reader_type} here again in the {context['writer']} schema ({context['reader']} readers "
        f"read {readable}, not {writer_type}); {tail}"
    )


def explain(rule: str, context: dict[str, Any], reader_role: str, writer_role: str) -> tuple[str, str]:
    """The (reason, hint) of a rule for one finding's context and roles."""
    reason, reader_hint, writer_hint = _EXPLANATIONS[rule]
    ctx = _Context(context, reader=reader_role, writer=writer_role)
    if "reader_name" in ctx:
        ctx["reader_short"] = str(ctx["reader_name"]).rsplit(".", 1)[-1]
    if rule == "TYPE_MISMATCH":
        _type_hints(ctx)
    hint = writer_hint if edits_writer(reader_role, writer_role) else reader_hint
    return reason.format_map(ctx), hint.format_map(ctx)


def place_of(node_src: object, pointer: str) -> Place | None:
    """The file place of `pointer` in the document a node was defined in (None when not from a file)."""
    if isinstance(node_src, SchemaSource) and node_src.file is not None:
        pos = node_src.position(pointer)
        if pos is not None:
            return Place(node_src.file, pos.line, pos.column)
    return None


def _join(location: str, inner: str) -> str:
    return location if inner == "/" else location.rstrip("/") + inner


def to_finding(
    inc: Incompatibility,
    reader_role: str = "reader",
    writer_role: str = "writer",
    version: int | None = None,
    location: str | None = None,
) -> Finding:
    """Dress one raw incompatibility with reason, hint, roles, places and (in unions) its cause.

    ``location`` overrides Avro's (for a cause: its path from the top of the schema).
    """
    reader = Side(reader_role, inc.reader_pointer, place_of(inc.reader_node.origin, inc.reader_pointer))
    writer = Side(writer_role, inc.writer_pointer, place_of(inc.writer_node.origin, inc.writer_pointer))
    reason, hint = explain(inc.rule, dict(inc.context), reader_role, writer_role)
    where = location or inc.location
    causes = tuple(
        to_finding(n, reader_role, writer_role, version, _join(where, n.location))
        for n in inc.context.get("cause", ())
    )
    cause = causes[0] if causes else None
    if cause is not None:
        branch = inc.context.get("writer_type_lower", "?")
        more = f" (and {len(causes) - 1} more)" if len(causes) > 1 else ""
        reason = (
            f"the {reader_role} schema's union has a branch for {branch}, but it cannot read the "
            f"{writer_role} schema's {branch}: at {cause.location}, {cause.reason}{more}"
        )
        hint = cause.hint
    new, old = (writer, reader) if edits_writer(reader_role, writer_role) else (reader, writer)
    return Finding(
        rule=inc.rule,
        location=inc.location if location is None else location,
        message=inc.message,
        reason=reason,
        hint=hint,
        place=cause.place if cause else new.place,
        other=cause.other if cause else old.place,
        reader=reader,
        writer=writer,
        version=version,
        causes=causes,
    )


def failed_finding(
    error: CheckFailed, reader_role: str = "reader", writer_role: str = "writer", version: int | None = None
) -> Finding:
    """The single finding for a check Avro Java aborts (e.g. a field alias matching two fields)."""
    detail = str(error)
    context = {
        "detail": detail,
        "fix": "make each reader field name and alias match at most one writer field",
    }
    reason, hint = explain("CHECK_FAILED", context, reader_role, writer_role)
    return Finding(
        "CHECK_FAILED",
        "/",
        detail,
        reason,
        hint,
        reader=Side(reader_role),
        writer=Side(writer_role),
        version=version,
    )


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
