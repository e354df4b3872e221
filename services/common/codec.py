"""Avro through the registry for the exchange's topics: one serializer and reader schema per topic.

Values are written with the catalog's self-contained (`expanded`) schema under the topic's
subject `<topic>-value` and read into the same schema, so a newer writer's added fields are
resolved away the Avro way. Keys are UTF-8 strings (DESIGN §5).
"""

from __future__ import annotations

import json
from typing import Any

from govern.registry import Client
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

    def encode(self, name: str, record: dict[str, Any]) -> bytes:
        """Confluent-framed Avro of `record` for catalog topic `name` (registers the schema once)."""
        serializer = self._serializers.get(name)
        if serializer is None:
            subject = f"{self.config.topic(name)}-value"
            serializer = self._serializers[name] = Serializer(self.client, subject, self._schema(name))
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
