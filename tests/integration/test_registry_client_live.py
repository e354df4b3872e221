"""govern.registry.Client against the real server: every call, typed results, mapped errors."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator

import pytest

from govern.registry import (
    Client,
    CompatibilityResult,
    Config,
    IncompatibleSchema,
    InvalidSchema,
    InvalidVersion,
    OperationNotPermitted,
    Reference,
    SchemaNotFound,
    SubjectConfigNotFound,
    SubjectNotFound,
    VersionNotFound,
)
from govern.registry.server import serve_in_thread

V1 = {"type": "record", "name": "R", "fields": [{"name": "a", "type": "string"}]}
V2 = {**V1, "fields": [*V1["fields"], {"name": "b", "type": "int", "default": 0}]}
BAD = {**V1, "fields": [*V1["fields"], {"name": "b", "type": "int"}]}


@pytest.fixture(scope="module")
def url() -> Iterator[str]:
    with serve_in_thread() as base:
        yield base


@pytest.fixture
def client(url: str) -> Iterator[Client]:
    with Client(url, retries=0) as c:
        yield c


@pytest.fixture
def subject() -> str:
    return f"c-{uuid.uuid4().hex[:10]}"


def test_register_lookup_get(client: Client, subject: str) -> None:
    first = client.register(subject, V1)
    assert (first.version, first.subject) == (1, subject)
    assert client.register(subject, json.dumps(V1)).id == first.id
    assert client.lookup(subject, V1).version == 1
    assert client.get_schema(first.id).schema == first.schema
    second = client.register(subject, V2)
    assert client.get_latest(subject).id == second.id
    assert client.get_version(subject, 1).id == first.id
    assert json.loads(client.get_raw_schema(subject, 2)) == V2
    assert client.versions(subject) == [1, 2]
    assert subject in client.subjects(prefix=subject[:6])
    assert client.get_schema_subjects(second.id) == [subject]
    assert client.get_schema_versions(second.id) == [(subject, 2)]
    assert client.schema_types() == ["AVRO"]


def test_parsed_schema_objects_are_accepted(client: Client, subject: str) -> None:
    from govern.avro import parse_schema

    registered = client.register(subject, parse_schema(V1))
    assert registered.version == 1


def test_errors(client: Client, subject: str) -> None:
    with pytest.raises(SubjectNotFound):
        client.versions(subject)
    client.register(subject, V1)
    with pytest.raises(VersionNotFound):
        client.get_version(subject, 9)
    with pytest.raises(InvalidVersion):
        client.get_version(subject, "zero")
    with pytest.raises(SchemaNotFound):
        client.get_schema(10**6)
    with pytest.raises(SchemaNotFound):
        client.lookup(subject, V2)
    with pytest.raises(InvalidSchema):
        client.register(subject, '{"type": "rec"}')
    with pytest.raises(IncompatibleSchema) as caught:
        client.register(subject, BAD)
    assert caught.value.status == 409 and "READER_FIELD_MISSING_DEFAULT_VALUE" in caught.value.message


def test_compatibility(client: Client, subject: str) -> None:
    client.register(subject, V1)
    assert client.test_compatibility(subject, V2) == CompatibilityResult(True, [])
    verdict = client.test_compatibility(subject, BAD, version="latest", verbose=True)
    assert not verdict.is_compatible and verdict.messages


def test_config_and_mode(client: Client, subject: str) -> None:
    assert client.set_config("full", subject=subject) == Config("FULL")
    assert client.get_config(subject).compatibility == "FULL"
    assert client.delete_config(subject).compatibility == "FULL"
    with pytest.raises(SubjectConfigNotFound):
        client.get_config(subject)
    assert client.get_config(subject, default_to_global=True).compatibility == "BACKWARD"
    assert client.set_mode("readonly", subject=subject) == "READONLY"
    with pytest.raises(OperationNotPermitted):
        client.register(subject, V1)
    assert client.delete_mode(subject) == "READONLY"
    assert client.get_mode() == "READWRITE"


def test_deletes_and_references(client: Client, subject: str) -> None:
    money = {"type": "record", "name": "Money", "fields": [{"name": "units", "type": "long"}]}
    base = client.register(subject + "-money", money)
    order = {"type": "record", "name": "Order", "fields": [{"name": "price", "type": "Money"}]}
    ref = Reference("Money", subject + "-money", 1)
    user = client.register(subject, order, references=[ref])
    assert user.references == (ref,)
    assert client.get_schema(user.id).references == (ref,)
    assert client.referenced_by(subject + "-money", 1) == [user.id]
    assert client.delete_version(subject, 1) == 1
    assert client.delete_subject(subject, permanent=True) == [1]
    assert client.delete_subject(subject + "-money") == [1]
    assert client.subjects(deleted_only=True).count(subject + "-money") == 1
    assert base.id >= 1
