"""The catalog as plain JSON-ready data: the documented shape of `govern catalog --format json`."""

from __future__ import annotations

from typing import Any

from govern.catalog.model import Catalog, SchemaRef

#: Bumped when a field changes meaning or disappears; adding fields does not bump it.
JSON_FORMAT_VERSION = 1


def _schema(ref: SchemaRef | None) -> dict[str, str] | None:
    return None if ref is None else {"name": ref.name, "file": ref.file.as_posix()}


def catalog_to_dict(catalog: Catalog) -> dict[str, Any]:
    """`{"topics": [...], "services": [...]}` with the fields scripts rely on (and a few extra)."""
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
    }
