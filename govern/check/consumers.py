"""Per-consumer check: can each consumer that pins its own reader schema read the new writer schema?

A level check compares a schema with its own history; a consumer deployed with an older (or
hand-trimmed) copy of the schema is a reader the registry never sees. Its contract names that
copy (`consumes: - topic: ..., reader_schema: ...`), so we check the new writer against it.
"""

from __future__ import annotations

from govern.avro import AvroSchema
from govern.catalog import Catalog
from govern.check.model import Finding
from govern.check.subjects import Lines, Subject
from govern.compat.pair import findings_for


def check_consumers(
    catalog: Catalog, subject: Subject, writer: AvroSchema, lines: Lines, checked: list[str] | None = None
) -> list[Finding]:
    """Findings of reading `writer` data with each consumer's pinned reader schema for the topic."""
    out: list[Finding] = []
    for service in catalog.services:
        pinned = service.reader_schemas.get(subject.topic.name)
        if pinned is None:
            continue
        reader = catalog.parse(pinned)
        against = f"consumer {service.name} ({pinned.where})"
        if checked is not None:
            checked.append(against)
        for finding in findings_for(reader, writer, f"{service.name} reader", "new"):
            out.append(lines.finding(finding, against))
    return out
