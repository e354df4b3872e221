"""confluent-kafka-python's SchemaRegistryClient, AvroSerializer and AvroDeserializer, unchanged,
against our registry server; and our serde and theirs reading each other's bytes."""

from __future__ import annotations

import json
import struct
import uuid
from collections.abc import Iterator

import pytest
from confluent_kafka.schema_registry import Schema as CSchema
from confluent_kafka.schema_registry import SchemaRegistryClient, SchemaRegistryError
from confluent_kafka.schema_registry.avro import AvroDeserializer, AvroSerializer
from confluent_kafka.serialization import MessageField, SerializationContext

from govern.registry import Client
from govern.serde import Deserializer, Serializer

V1 = {
    "type": "record",
    "name": "OrderCreated",
    "namespace": "shop",
    "fields": [{"name": "id", "type": "string"}, {"name": "amount", "type": "long"}],
}
V2 = {**V1, "fields": [*V1["fields"], {"name": "currency", "type": "string", "default": "EUR"}]}
BREAKING = {**V1, "fields": [*V1["fields"], {"name": "currency", "type": "string"}]}


def _s(value: dict) -> CSchema:
    return CSchema(json.dumps(value), "AVRO")


@pytest.fixture
def sr(registry: str) -> Iterator[SchemaRegistryClient]:  # noqa: F811
    client = SchemaRegistryClient({"url": registry, "max.retries": 0})
    yield client
    client.close() if hasattr(client, "close") else None


@pytest.fixture
def subject() -> str:
    return f"orders-{uuid.uuid4().hex[:8]}-value"


def test_register_lookup_get_latest(sr: SchemaRegistryClient, subject: str) -> None:
    schema_id = sr.register_schema(subject, _s(V1))
    assert isinstance(schema_id, int) and schema_id >= 1
    assert sr.register_schema(subject, _s(V1)) == schema_id  # idempotent

    other = SchemaRegistryClient({"url": sr._rest_client.base_urls[0], "max.retries": 0})
    assert other.register_schema(subject + "-copy", _s(V1)) == schema_id  # ids shared across subjects

    found = other.lookup_schema(subject, _s(V1))
    assert (found.schema_id, found.version, found.subject) == (schema_id, 1, subject)
    fetched = other.get_schema(schema_id)
    assert json.loads(fetched.schema_str) == V1 and fetched.schema_type == "AVRO"

    latest = other.get_latest_version(subject)
    assert (latest.version, latest.schema_id) == (1, schema_id)
    assert other.get_version(subject, 1).schema_id == schema_id
    assert other.get_versions(subject) == [1]
    assert subject in other.get_subjects()
    assert set(other.get_subjects_by_schema_id(schema_id)) >= {subject, subject + "-copy"}
    assert "AVRO" in other.get_schema_types()


def test_evolution_and_compatibility(sr: SchemaRegistryClient, subject: str) -> None:
    first = sr.register_schema(subject, _s(V1))
    assert sr.test_compatibility(subject, _s(V2)) is True
    assert sr.test_compatibility(subject, _s(BREAKING)) is False
    with pytest.raises(SchemaRegistryError) as caught:
        sr.register_schema(subject, _s(BREAKING))
    assert (caught.value.http_status_code, caught.value.error_code) == (409, 409)
    assert "READER_FIELD_MISSING_DEFAULT_VALUE" in caught.value.error_message

    second = sr.register_schema(subject, _s(V2))
    assert second != first
    assert sr.get_latest_version(subject).version == 2


def test_config_set_get(sr: SchemaRegistryClient, subject: str) -> None:
    sr.register_schema(subject, _s(V1))
    assert sr.set_compatibility(subject, "FULL") == {"compatibility": "FULL"}
    assert sr.get_compatibility(subject) == "FULL"
    with pytest.raises(SchemaRegistryError):
        sr.register_schema(subject, _s({**V1, "fields": V1["fields"][:1]}))  # FULL: dropping a field fails
    from confluent_kafka.schema_registry.schema_registry_client import ConfigCompatibilityLevel, ServerConfig

    sr.set_config(subject, ServerConfig(compatibility=ConfigCompatibilityLevel.NONE))
    assert sr.get_config(subject).compatibility_level.value == "NONE"
    assert sr.register_schema(subject, _s(BREAKING)) >= 1  # NONE accepts anything
    assert sr.get_compatibility() in {"BACKWARD", "NONE", "FULL", "FORWARD"}  # global


def test_soft_and_hard_delete(sr: SchemaRegistryClient, subject: str) -> None:
    sr.register_schema(subject, _s(V1))
    sr.register_schema(subject, _s(V2))
    assert sr.delete_version(subject, 2) == 2
    assert sr.get_versions(subject) == [1]
    assert sr.delete_subject(subject) == [1]
    assert subject not in sr.get_subjects()
    assert subject in sr.get_subjects(deleted=True)
    with pytest.raises(SchemaRegistryError) as caught:
        sr.get_latest_version(subject)
    assert caught.value.error_code == 40401
    assert sr.delete_subject(subject, permanent=True) == [1, 2]
    assert subject not in sr.get_subjects(deleted=True)


def test_error_codes(sr: SchemaRegistryClient, subject: str) -> None:
    with pytest.raises(SchemaRegistryError) as caught:
        sr.register_schema(subject, CSchema('{"type": "record", "name": "x"', "AVRO"))
    assert (caught.value.http_status_code, caught.value.error_code) == (422, 42201)
    with pytest.raises(SchemaRegistryError) as caught:
        sr.get_schema(987654)
    assert (caught.value.http_status_code, caught.value.error_code) == (404, 40403)
    with pytest.raises(SchemaRegistryError) as caught:
        sr.get_latest_version("no-such-" + subject)
    assert caught.value.error_code == 40401
    sr.register_schema(subject, _s(V1))
    with pytest.raises(SchemaRegistryError) as caught:
        sr.get_version(subject, 42)
    assert caught.value.error_code == 40402
    with pytest.raises(SchemaRegistryError) as caught:
        sr.lookup_schema(subject, _s(V2))
    assert caught.value.error_code == 40403


def test_mode(sr: SchemaRegistryClient, subject: str) -> None:
    sr.register_schema(subject, _s(V1))
    assert sr.update_mode(subject, "READONLY") == "READONLY"
    assert sr.get_mode(subject) == "READONLY"
    with pytest.raises(SchemaRegistryError) as caught:
        sr.register_schema(subject, _s(V2))
    assert caught.value.error_code == 42205
    assert sr.delete_mode(subject) == "READONLY"
    assert sr.register_schema(subject, _s(V2)) >= 1


def _ctx(topic: str) -> SerializationContext:
    return SerializationContext(topic, MessageField.VALUE)


def test_avro_serializer_roundtrip_and_interop(registry: str) -> None:  # noqa: F811
    topic = f"orders-{uuid.uuid4().hex[:8]}"
    sr = SchemaRegistryClient({"url": registry, "max.retries": 0})
    theirs = AvroSerializer(sr, json.dumps(V1), conf={"subject.name.strategy.type": "TOPIC"})
    their_reader = AvroDeserializer(sr)
    record = {"id": "o-1", "amount": 4200}
    payload = theirs(record, _ctx(topic))
    magic, schema_id = struct.unpack(">bI", payload[:5])
    assert magic == 0
    assert their_reader(payload, _ctx(topic)) == record
    assert sr.get_subjects().count(f"{topic}-value") == 1

    with Client(registry) as client:
        ours = Serializer(client, f"{topic}-value", V1)
        our_payload = ours(record)
        assert our_payload == payload  # same id, same bytes
        assert ours.schema_id == schema_id
        assert Deserializer(client)(payload) == record  # we read theirs
        assert their_reader(our_payload, _ctx(topic)) == record  # they read ours

        evolved = Serializer(client, f"{topic}-value", V2)
        v2_payload = evolved({"id": "o-2", "amount": 1, "currency": "CHF"})
        assert their_reader(v2_payload, _ctx(topic)) == {"id": "o-2", "amount": 1, "currency": "CHF"}
        old_reader = Deserializer(client, reader_schema=V1)
        assert old_reader(v2_payload) == {"id": "o-2", "amount": 1}


def test_cases_from_confluent_kafka_python_integration_suite(sr: SchemaRegistryClient, subject: str) -> None:
    """Ported from confluent-kafka-python tests/integration/schema_registry/_sync/test_api_client.py."""
    sr.register_schema(subject, _s(V1))
    with pytest.raises(SchemaRegistryError, match="Invalid schema") as caught:
        sr.lookup_schema(subject, CSchema('{"type": "record", "name": "x", "fields": [{"name": 1}]}', "AVRO"))
    assert (caught.value.http_status_code, caught.value.error_code) == (422, 42201)
    with pytest.raises(
        SchemaRegistryError, match="The specified version .*is not a valid version id.*"
    ) as caught:
        sr.get_version(subject, version="a")
    assert (caught.value.http_status_code, caught.value.error_code) == (422, 42202)
    with pytest.raises(SchemaRegistryError, match="Version .*not found") as caught:
        sr.get_version(subject, version=3)
    assert caught.value.error_code == 40402
    with pytest.raises(SchemaRegistryError, match="Subject .*not found.*") as caught:
        sr.delete_subject("never-" + subject)
    assert (caught.value.http_status_code, caught.value.error_code) == (404, 40401)
    with pytest.raises(SchemaRegistryError, match="Subject .*not found.*") as caught:
        sr.lookup_schema("never-" + subject, _s(V1))
    assert caught.value.error_code == 40401
    with pytest.raises(SchemaRegistryError, match="Schema .*not found.*"):
        sr.get_schema(999999)

    # NONE at subject level: a record then primitives, each a new version
    mixed = subject + "-mixed"
    sr.set_compatibility(mixed, "NONE")
    schemas = [_s(V1), CSchema('"string"', "AVRO"), CSchema('"boolean"', "AVRO"), CSchema('"float"', "AVRO")]
    for schema in schemas:
        sr.register_schema(mixed, schema)
    versions = sr.get_versions(mixed)
    assert len(versions) == 4
    for schema in schemas:
        assert sr.lookup_schema(mixed, schema).version in versions

    # soft then hard delete of one version; with a single version the subject disappears
    single = subject + "-single"
    sr.register_schema(single, _s(V1))
    version = sr.lookup_schema(single, _s(V1)).version
    assert sr.delete_version(single, version, permanent=False) == version
    assert sr.delete_version(single, version, permanent=True) == version
    assert single not in sr.get_subjects()
    sr.set_compatibility(subject, "FULL_TRANSITIVE")
    assert sr.get_compatibility(subject_name=subject) == "FULL_TRANSITIVE"
