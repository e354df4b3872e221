"""The store protocol's primitives and units of work, on every store: SQLite (file and :memory:)
and Kafka's `_schemas` topic (marked `kafka`: a real broker); then what is SQLite's alone."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from govern.registry.errors import StoreError
from govern.registry.server.parsing import identity_of
from govern.registry.store import GLOBAL, Reference, SqliteStore, Store


def key(text: str, references: list[Reference]) -> str:
    """The identity key the controller gives a schema (the Kafka store derives it from the record)."""
    return identity_of("AVRO", text, references)


@pytest.fixture(params=[":memory:", "file", pytest.param("kafka", marks=pytest.mark.kafka)])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    if request.param == "kafka":
        bootstrap = request.getfixturevalue("kafka_cluster")
        from registry_stores import kafka_store

        store = kafka_store(bootstrap, request.getfixturevalue("unique_topic")("schemas"))
    else:
        store = SqliteStore(":memory:" if request.param == ":memory:" else tmp_path / "s.sqlite")
    yield store
    store.close()


def test_schema_and_versions_roundtrip(store: Store) -> None:
    with store.write() as tx:
        first = tx.add_schema(key('"string"', []), "AVRO", '"string"', [])
        second = tx.add_schema(
            key('"int"', [Reference("a.B", "b", 1)]), "AVRO", '"int"', [Reference("a.B", "b", 1)]
        )
        tx.add_version("s", 1, first)
        tx.add_version("s", 2, second)
    assert (first, second) == (1, 2)
    with store.read() as tx:
        assert tx.schema_id_for(key('"int"', [Reference("a.B", "b", 1)])) == 2
        assert tx.schema(2).references == (Reference("a.B", "b", 1),)
        assert [v.version for v in tx.versions("s")] == [1, 2]
        assert tx.subjects() == [("s", True)]
        assert tx.schema(99) is None


def test_write_rolls_back_on_error(store: Store) -> None:
    with pytest.raises(RuntimeError), store.write() as tx:
        tx.add_schema(key('"string"', []), "AVRO", '"string"', [])
        raise RuntimeError("boom")
    with store.read() as tx:
        assert tx.schema_id_for(key('"string"', [])) is None


def test_sqlite_errors_become_store_errors(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "e.sqlite")
    with store.write() as tx:
        tx.add_version("s", 1, 1)
    with pytest.raises(StoreError), store.write() as tx:
        tx.add_version("s", 1, 1)  # duplicate primary key
    store.close()


def test_delete_marks_and_removes(store: Store) -> None:
    with store.write() as tx:
        sid = tx.add_schema(key('"string"', []), "AVRO", '"string"', [])
        tx.add_version("s", 1, sid)
        tx.add_version("s", 2, sid)
        tx.mark_deleted("s", 1)
    with store.read() as tx:
        assert [v.deleted for v in tx.versions("s")] == [True, False]
        assert tx.subjects() == [("s", True)]
    with store.write() as tx:
        tx.mark_deleted("s", 2)
        tx.remove_version("s", 1)
    with store.read() as tx:
        assert tx.subjects() == [("s", False)]
        assert [u.version for u in tx.usages(sid)] == [2]


def test_referenced_by_counts_live_users_only(store: Store) -> None:
    with store.write() as tx:
        base = tx.add_schema(key("{}", []), "AVRO", "{}", [])
        tx.add_version("base", 1, base)
        user = tx.add_schema(
            key("{}", [Reference("B", "base", 1)]), "AVRO", "{}", [Reference("B", "base", 1)]
        )
        tx.add_version("user", 1, user)
    with store.read() as tx:
        assert tx.referenced_by("base", 1) == [user]
    with store.write() as tx:
        tx.mark_deleted("user", 1)
    with store.read() as tx:
        assert tx.referenced_by("base", 1) == []


def test_config_and_mode(store: Store) -> None:
    with store.write() as tx:
        tx.set_config(GLOBAL, {"compatibilityLevel": "FULL"})
        tx.set_config(GLOBAL, {"compatibilityLevel": "NONE"})
        tx.set_mode("s", "READONLY")
    with store.read() as tx:
        assert tx.config(GLOBAL) == {"compatibilityLevel": "NONE"}
        assert tx.mode("s") == "READONLY" and tx.mode(GLOBAL) is None
    with store.write() as tx:
        tx.delete_config(GLOBAL)
        tx.delete_mode("s")
    with store.read() as tx:
        assert tx.config(GLOBAL) is None and tx.mode("s") is None


def test_file_store_is_wal_and_shared_between_instances(tmp_path: Path) -> None:
    path = tmp_path / "shared.sqlite"
    one, two = SqliteStore(path), SqliteStore(path)
    with one.write() as tx:
        tx.add_schema("k", "AVRO", '"string"', [])
    with two.read() as tx:
        assert tx.schema_id_for("k") == 1
    assert sqlite3.connect(path).execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    one.close()
    two.close()


def test_write_units_serialise_read_modify_write(store: Store) -> None:
    with store.write() as tx:
        tx.set_config("counter", {"n": 0})

    def bump() -> None:
        for _ in range(20):
            with store.write() as tx:
                n = tx.config("counter")["n"]
                tx.set_config("counter", {"n": n + 1})

    threads = [threading.Thread(target=bump) for _ in range(5)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    with store.read() as tx:
        assert tx.config("counter") == {"n": 100}


def test_unopenable_path_is_a_store_error(tmp_path: Path) -> None:
    (tmp_path / "dir.sqlite").mkdir()
    with pytest.raises(StoreError):
        SqliteStore(tmp_path / "dir.sqlite")


def test_contracts_are_stored_with_the_schema(store: Store) -> None:
    metadata = {"properties": {"owner": "payments"}, "tags": {"Order.card": ["PII"]}}
    rules = {
        "domainRules": [{"name": "ok", "kind": "CONDITION", "mode": "WRITE", "type": "CEL", "expr": "true"}]
    }
    with store.write() as tx:
        sid = tx.add_schema(
            identity_of("AVRO", '"string"', [], metadata, rules), "AVRO", '"string"', [], metadata, rules
        )
        tx.add_version("s", 1, sid)
    with store.read() as tx:
        record = tx.schema(sid)
        assert (record.metadata, record.rule_set) == (metadata, rules)


def test_sqlite_store_of_an_older_layout_gains_contract_columns(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite"
    old = sqlite3.connect(path)
    old.execute(
        "CREATE TABLE schemas (id INTEGER PRIMARY KEY, identity TEXT NOT NULL UNIQUE, "
        "schema_type TEXT NOT NULL, schema TEXT NOT NULL, refs TEXT NOT NULL DEFAULT '[]')"
    )
    old.execute("INSERT INTO schemas (identity, schema_type, schema) VALUES ('k', 'AVRO', '\"int\"')")
    old.commit()
    old.close()
    store = SqliteStore(path)
    with store.read() as tx:
        assert tx.schema(1).metadata is None and tx.schema(1).schema == '"int"'
    store.close()
