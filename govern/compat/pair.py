"""``check_pair``: one reader/writer check, turned from raw incompatibilities into ``Finding``s."""

from __future__ import annotations

from govern.avro import AvroSchema, SchemaInput
from govern.avro.schema import ensure_schema
from govern.compat.findings import Result, failed_finding, to_finding
from govern.compat.rules import CheckFailed, check_nodes
from govern.report.model import Finding


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
