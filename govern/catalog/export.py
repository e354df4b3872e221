"""The catalog as plain JSON-ready data: the documented shape of `govern catalog --format json`."""

from __future__ import annotations

from typing import Any

from govern.catalog.model import Catalog, SchemaRef, Topic

#: Bumped when a field changes meaning or disappears; adding fields does not bump it.
JSON_FORMAT_VERSION = 1


def _schema(ref: SchemaRef | None) -> dict[str, Any] | None:
    """`{"name", "file"}` (file null for a primitive or a union of types), `types` for a union."""
    if ref is None:
        return None
    out: dict[str, Any] = {"name": ref.name, "file": None if ref.file is None else ref.file.as_posix()}
    if ref.types:
        out["types"] = list(ref.types)
    return out


def _subjects(catalog: Catalog, topic: Topic) -> list[dict[str, Any]]:
    """The topic's subjects, as its strategy names them: name, value or key, schema, level."""
    return [
        {"name": s.name, "kind": s.kind, "schema": _schema(s.schema), "compatibility": s.level}
        for s in catalog.subjects
        if topic.name in s.topics
    ]


def catalog_to_dict(catalog: Catalog) -> dict[str, Any]:
    """`{"topics": [...], "services": [...], "reference_subjects": {...}}` with the fields scripts
    rely on (and a few extra)."""
    return {
        "format_version": JSON_FORMAT_VERSION,
        "topics": [
            {
                "name": topic.name,
                "key": topic.key,
                "value_schema": _schema(topic.value_schema),
                "producers": list(topic.producers),
                "consumers": list(topic.consumers),
                "compatibility": topic.compatibility,
                "partitions": topic.partitions,
                "cleanup_policy": topic.cleanup_policy,
                "internal": topic.internal,
                "key_schema": _schema(topic.key_schema),
                "value_subject": topic.value_subject,
                "subject_strategy": {"value": topic.subject_strategy, "key": topic.key_subject_strategy},
                "subjects": _subjects(catalog, topic),
                "description": topic.description,
            }
            for topic in catalog.topics
        ],
        "services": [
            {
                "name": service.name,
                "produces": list(service.produces),
                "consumes": list(service.consumes),
                "file": service.file.as_posix(),
                "reader_schemas": {topic: _schema(ref) for topic, ref in service.reader_schemas.items()},
                "description": service.description,
            }
            for service in catalog.services
        ],
        "reference_subjects": dict(catalog.reference_subjects),  # shared type -> its own subject
    }
