"""Avro through the registry for the exchange's topics: one serializer and reader schema per topic.

Values are written the way `govern register` registers them (Confluent schema references: each
shared type under its own subject, named by its full name, referenced from `<topic>-value`), so
a registry prepared with `govern register` already holds every schema the services write and a
bare one gets the same subjects. Values are read into the catalog's self-contained (`expanded`)
schema, so a newer writer's added fields are resolved away the Avro way. Keys are UTF-8 strings.
"""

from __future__ import annotations

import json
from typing import Any

from govern.check.subjects import dependencies
from govern.registry import Client, Reference
from govern.serde import Deserializer, Serializer
from services.common.config import ServiceConfig


class Codecs:
    """Encode and decode the values of catalog topics (by catalog name) for one deployment."""

    def __init__(self, config: ServiceConfig, client: Client | None = None) -> None:
        self.config = config
        self.client = client or Client(config.registry_url)
        self._serializers: dict[str, Serializer] = {}
        self._deserializers: dict[str, Deserializer] = {}

    def _schema(self, name: str) -> str:
        return json.dumps(self.config.spec(name).value_schema.expanded)

    def _serializer(self, name: str) -> Serializer:
        """Register the referenced types (dependencies first), then serialize with references."""
        ref = self.config.spec(name).value_schema
        references = []
        for dep in dependencies(self.config.catalog, ref):
            dep_refs = [r for r in references if r.name in dep.references]
            text = json.dumps(dep.schema, separators=(",", ":"))
            done = self.client.register(dep.name, text, references=dep_refs)
            references.append(Reference(dep.name, dep.name, done.version))
        wanted = [r for r in references if r.name in ref.references]
        subject = f"{self.config.topic(name)}-value"
        text = json.dumps(ref.schema, separators=(",", ":"))
        return Serializer(self.client, subject, text, references=wanted)

    def encode(self, name: str, record: dict[str, Any]) -> bytes:
        """Confluent-framed Avro of `record` for catalog topic `name` (registers the schema once)."""
        serializer = self._serializers.get(name)
        if serializer is None:
            serializer = self._serializers[name] = self._serializer(name)
        return serializer(record)

    def decode(self, name: str, data: bytes) -> dict[str, Any]:
        """Decode a value of catalog topic `name` into this service's reader schema."""
        deserializer = self._deserializers.get(name)
        if deserializer is None:
            deserializer = self._deserializers[name] = Deserializer(
                self.client, reader_schema=self._schema(name)
            )
        return deserializer(data)

    def close(self) -> None:
        """Release the registry connection."""
        self.client.close()
