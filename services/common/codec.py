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

from fastavro import parse_schema
from fastavro.schema import to_parsing_canonical_form

from govern.registry import Client, Reference
from govern.serde import Deserializer, Serializer, unframe
from services.common.config import ServiceConfig


def _inline(node: Any, named: dict[str, Any], seen: set[int]) -> Any:
    """`node` with each referenced named type written out at its first use.

    Only used to compare schemas: if a short name resolves to the wrong type, the canonical forms
    differ and the caller takes the safe path (schema resolution).
    """
    if isinstance(node, str):
        if node in named and id(named[node]) not in seen:  # (by full or short name)
            seen.add(id(named[node]))
            return _inline(named[node], named, seen)
        return node
    if isinstance(node, list):
        return [_inline(item, named, seen) for item in node]
    if isinstance(node, dict):
        return {key: _inline(value, named, seen) if key in ("type", "items", "values", "fields") else value
                for key, value in node.items()}  # fmt: skip
    return node


class Codecs:
    """Encode and decode the values of catalog topics (by catalog name) for one deployment."""

    def __init__(self, config: ServiceConfig, client: Client | None = None) -> None:
        self.config = config
        self.client = client or Client(config.registry_url)
        self._serializers: dict[str, Serializer] = {}
        self._deserializers: dict[str, Deserializer] = {}
        self._plain = Deserializer(self.client)  #: writer's schema only
        self._ours: dict[str, Any] = {}
        self._same_schema: dict[tuple[str, bytes], bool] = {}  #: (topic, schema id bytes) -> writer is ours

    def _schema(self, name: str) -> str:
        return json.dumps(self.config.spec(name).value_schema.expanded)

    def _serializer(self, name: str) -> Serializer:
        """Register the referenced types (dependencies first), then serialize with references."""
        ref = self.config.spec(name).value_schema
        references = []
        for dep in self.config.catalog.dependencies(ref):
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
        """Decode a value of catalog topic `name` into this service's reader schema.

        When the writer's schema is ours (the usual case) the record is read without schema
        resolution, which costs about 40 % less; the result is the same.
        """
        if len(data) >= 5 and data[0] == 0:
            same = self._same_schema.get((name, bytes(data[1:5])))
            if same is None:
                same = self._is_ours(name, data)
            if same:
                return self._plain(data)
        deserializer = self._deserializers.get(name)
        if deserializer is None:
            deserializer = self._deserializers[name] = Deserializer(
                self.client, reader_schema=self._schema(name)
            )
        return deserializer(data)

    def _is_ours(self, name: str, data: bytes) -> bool:
        schema_id, _ = unframe(data)
        self._plain.writer_schema(schema_id)  # fetched and cached by the client
        registered = self.client.get_schema(schema_id)
        named: dict[str, Any] = {}
        for ref in registered.references:
            version = self.client.get_version(ref.subject, ref.version)
            named[ref.name] = named[ref.name.rsplit(".", 1)[-1]] = json.loads(version.schema)
        writer = parse_schema(_inline(json.loads(registered.schema), named, set()))
        ours = self._ours.get(name)
        if ours is None:
            ours = self._ours[name] = parse_schema(self.config.spec(name).value_schema.expanded)
        same = to_parsing_canonical_form(writer) == to_parsing_canonical_form(ours)
        self._same_schema[(name, bytes(data[1:5]))] = same
        return same

    def close(self) -> None:
        """Release the registry connection."""
        self.client.close()
