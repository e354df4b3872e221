"""``check_pair``: one reader/writer check, turned from raw incompatibilities into ``Finding``s."""

from __future__ import annotations

from govern.avro import AvroSchema, SchemaInput
from govern.avro.jsonpos import Position
from govern.avro.parser import SchemaSource
from govern.avro.schema import ensure_schema
from govern.compat.findings import Finding, Result, explain
from govern.compat.rules import CheckFailed, Incompatibility, check_nodes

_WIDER = {
    "int": "long, float or double",
    "long": "float or double",
    "float": "double",
    "string": "bytes",
    "bytes": "string",
}


def _type_hint(reader_type: str, writer_type: str, reader_role: str, writer_role: str) -> str:
    wider = _WIDER.get(writer_type)
    if wider:
        return (
            f"keep {writer_type} in the {reader_role} schema or change it only to {wider}; for any other "
            f"change add a new field (with a default) instead of changing this one"
        )
    return (
        f"keep the type {writer_type} here; to change a type, add a new field with a default and "
        f"stop writing the old one"
    )


def _position(node_src: object, pointer: str) -> Position | None:
    if isinstance(node_src, SchemaSource) and node_src.file is not None:
        return node_src.position(pointer)
    return None


def to_finding(
    inc: Incompatibility, reader_role: str = "reader", writer_role: str = "writer", version: int | None = None
) -> Finding:
    """Dress one raw incompatibility with reason, hint, roles and (for files) source positions."""
    context = dict(inc.context)
    context["reader"] = reader_role
    context["writer"] = writer_role
    if inc.rule == "TYPE_MISMATCH":
        context["type_hint"] = _type_hint(
            inc.context.get("reader_type", "?"), inc.context.get("writer_type", "?"), reader_role, writer_role
        )
    reason, hint = explain(inc.rule, context)
    return Finding(
        rule=inc.rule,
        location=inc.location,
        message=inc.message,
        hint=hint,
        reason=reason,
        reader_pos=_position(inc.reader_node.origin, inc.reader_pointer),
        writer_pos=_position(inc.writer_node.origin, inc.writer_pointer),
        reader_pointer=inc.reader_pointer,
        writer_pointer=inc.writer_pointer,
        reader_role=reader_role,
        writer_role=writer_role,
        version=version,
    )


def failed_finding(
    error: CheckFailed, reader_role: str = "reader", writer_role: str = "writer", version: int | None = None
) -> Finding:
    """The single finding for a check Avro Java aborts (e.g. a field alias matching two fields)."""
    detail = str(error)
    reason, hint = explain(
        "CHECK_FAILED",
        {
            "detail": detail,
            "fix": "make each reader field name and alias match at most one writer field",
        },
    )
    return Finding(
        "CHECK_FAILED",
        "/",
        detail,
        hint,
        reason,
        reader_role=reader_role,
        writer_role=writer_role,
        version=version,
    )


def findings_for(
    reader: AvroSchema,
    writer: AvroSchema,
    reader_role: str = "reader",
    writer_role: str = "writer",
    version: int | None = None,
) -> list[Finding]:
    """All findings of reading ``writer`` data with ``reader``, in Avro Java's traversal order."""
    try:
        raw = check_nodes(reader.root, writer.root)
    except CheckFailed as error:
        return [failed_finding(error, reader_role, writer_role, version)]
    except RecursionError:
        return [
            failed_finding(
                CheckFailed("schema nested too deeply to check"), reader_role, writer_role, version
            )
        ]
    return [to_finding(inc, reader_role, writer_role, version) for inc in raw]


def check_pair(reader: SchemaInput, writer: SchemaInput) -> Result:
    """Can data written with ``writer`` be read with ``reader``? (Avro Java ``SchemaCompatibility``.)

    Each schema may be JSON text (``str``), a decoded JSON value, a ``Path`` or an ``AvroSchema``;
    inputs are parsed leniently (as Confluent parses stored schemas) and cached.
    """
    r = ensure_schema(reader)
    w = ensure_schema(writer)
    findings = findings_for(r, w)
    return Result(compatible=not findings, findings=findings)
