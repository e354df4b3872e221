"""Security: HTTPS with our client and Confluent's, basic auth with read/write roles, read-only mode."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from certificates import self_signed

from govern.registry import (
    Client,
    Forbidden,
    OperationNotPermitted,
    RegistryUnreachable,
    Unauthorized,
)
from govern.registry.server import serve_in_thread
from govern.registry.server.auth import User, hash_password

SCHEMA = json.dumps({"type": "record", "name": "Secret", "fields": [{"name": "a", "type": "string"}]})


@pytest.fixture(scope="module")
def tls_files(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1."""
    return self_signed(tmp_path_factory.mktemp("tls"))


USERS = {
    "writer": User("writer", "write", hash_password("w-pw", n=2**10)),
    "reader": User("reader", "read", hash_password("r-pw", n=2**10)),
}


def test_https_with_basic_auth_and_roles(tls_files: tuple[Path, Path]) -> None:
    cert, key = tls_files
    with serve_in_thread(users=USERS, tls_cert=cert, tls_key=key) as url:
        assert url.startswith("https://")
        with Client(url, verify=cert, auth=("writer", "w-pw")) as writer:
            registered = writer.register("secure-value", SCHEMA)
        with Client(url, verify=cert, auth=("reader", "r-pw")) as reader:
            assert reader.get_schema(registered.id).schema == registered.schema
            assert reader.lookup("secure-value", SCHEMA).version == 1
            assert reader.test_compatibility("secure-value", SCHEMA).is_compatible
            with pytest.raises(Forbidden):
                reader.register("secure-value", '"string"')
            with pytest.raises(Forbidden):
                reader.set_config("NONE")
        with Client(url, verify=cert) as anonymous, pytest.raises(Unauthorized) as caught:
            anonymous.subjects()
        assert caught.value.status == 401 and caught.value.hint
        with Client(url, verify=cert, auth=("writer", "wrong")) as wrong, pytest.raises(Unauthorized):
            wrong.subjects()
        with Client(url, auth=("writer", "w-pw"), retries=0) as untrusted, pytest.raises(RegistryUnreachable):
            untrusted.subjects()  # certificate not trusted: an environment problem, one line


def test_confluent_client_over_https_with_auth(tls_files: tuple[Path, Path]) -> None:
    from confluent_kafka.schema_registry import Schema, SchemaRegistryClient

    cert, key = tls_files
    with serve_in_thread(users=USERS, tls_cert=cert, tls_key=key) as url:
        sr = SchemaRegistryClient(
            {
                "url": url,
                "ssl.ca.location": str(cert),
                "basic.auth.user.info": "writer:w-pw",
                "max.retries": 0,
            }
        )
        schema_id = sr.register_schema("confluent-secure", Schema(SCHEMA, "AVRO"))
        assert json.loads(sr.get_schema(schema_id).schema_str) == json.loads(SCHEMA)
        sr.close()


def test_read_only_mode_blocks_every_write() -> None:
    with serve_in_thread() as url, Client(url) as client:
        client.register("ro", SCHEMA)
        client.set_mode("READONLY")
        for write in (
            lambda: client.register("ro", '"string"'),
            lambda: client.register("other", '"string"'),
            lambda: client.delete_subject("ro"),
            lambda: client.delete_version("ro", 1),
        ):
            with pytest.raises(OperationNotPermitted, match="is in read-only mode"):
                write()
        assert client.get_version("ro", 1).version == 1
        assert client.lookup("ro", SCHEMA).version == 1
        client.set_mode("READWRITE")
        assert client.register("other", '"string"').version == 1


def test_server_binds_loopback_by_default() -> None:
    import inspect

    from govern.registry.server import run

    assert inspect.signature(run.serve).parameters["host"].default == "127.0.0.1"
    assert inspect.signature(run.serve_in_thread).parameters["host"].default == "127.0.0.1"
