"""SqliteStore: transactional units of work, rollback on error, the protocol's primitives."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

import pytest

from govern.registry.errors import StoreError
from govern.registry.store import GLOBAL, Reference, SqliteStore


@pytest.fixture(params=[":memory:", "file"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> SqliteStore:
    path = ":memory:" if request.param == ":memory:" else tmp_path / "s.sqlite"
    store = SqliteStore(path)
    yield store
    store.close()


def test_schema_and_versions_roundtrip(store: SqliteStore) -> None:
    with store.write() as tx:
        first = tx.add_schema("k1", "AVRO", '"string"', [])
        second = tx.add_schema("k2", "AVRO", '"int"', [Reference("a.B", "b", 1)])
        tx.add_version("s", 1, first)
        tx.add_version("s", 2, second)
    assert (first, second) == (1, 2)
    with store.read() as tx:
        assert tx.schema_id_for("k2") == 2
        assert tx.schema(2).references == (Reference("a.B", "b", 1),)
        assert [v.version for v in tx.versions("s")] == [1, 2]
        assert tx.subjects() == [("s", True)]
        assert tx.schema(99) is None


def test_write_rolls_back_on_error(store: SqliteStore) -> None:
    with pytest.raises(RuntimeError), store.write() as tx:
        tx.add_schema("k", "AVRO", '"string"', [])
        raise RuntimeError("boom")
    with store.read() as tx:
        assert tx.schema_id_for("k") is None


def test_sqlite_errors_become_store_errors(store: SqliteStore) -> None:
    with store.write() as tx:
        tx.add_version("s", 1, 1)
    with pytest.raises(StoreError), store.write() as tx:
        tx.add_version("s", 1, 1)  # duplicate primary key


def test_delete_marks_and_removes(store: SqliteStore) -> None:
    with store.write() as tx:
        sid = tx.add_schema("k", "AVRO", '"string"', [])
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


def test_referenced_by_counts_live_users_only(store: SqliteStore) -> None:
    with store.write() as tx:
        base = tx.add_schema("base", "AVRO", "{}", [])
        tx.add_version("base", 1, base)
        user = tx.add_schema("user", "AVRO", "{}", [Reference("B", "base", 1)])
        tx.add_version("user", 1, user)
    with store.read() as tx:
        assert tx.referenced_by("base", 1) == [user]
    with store.write() as tx:
        tx.mark_deleted("user", 1)
    with store.read() as tx:
        assert tx.referenced_by("base", 1) == []


def test_config_and_mode(store: SqliteStore) -> None:
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


def test_write_units_serialise_read_modify_write(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "c.sqlite")
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
    store.close()


def test_unopenable_path_is_a_store_error(tmp_path: Path) -> None:
    (tmp_path / "dir.sqlite").mkdir()
    with pytest.raises(StoreError):
        SqliteStore(tmp_path / "dir.sqlite")
