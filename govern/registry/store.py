"""Registry storage: a small transactional interface and its SQLite implementation.

The controller does all the registry logic inside one `Store.write()` (or `read()`) unit of work,
using only the primitive operations of `StoreTx`. The other implementation, on Kafka's `_schemas`
topic, is `govern.registry.kafka_store` (a write unit = a produce + wait-for-own-offset).

`SqliteStore` keeps every write in one `BEGIN IMMEDIATE` transaction, so concurrent requests and
several server processes on one file serialise their read-check-write sequences: there is no
window where two registrations can both pick the same next version or id. The database runs in
WAL mode (readers never block writers) with `synchronous=NORMAL`, which is durable against a
crash or SIGKILL of the server process (not against power loss of the machine).
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from govern.registry.client import Reference  # a model of the client surface, stored as it is
from govern.registry.errors import StoreError

GLOBAL = "__GLOBAL"  # the scope of global config/mode (an invalid subject name, as in Confluent)


@dataclass(frozen=True, slots=True)
class SchemaRecord:
    """A stored schema: immutable once written (its id never changes meaning)."""

    id: int
    schema_type: str
    schema: str
    references: tuple[Reference, ...] = ()
    metadata: dict[str, Any] | None = None  # data contract: {tags, properties, sensitive}
    rule_set: dict[str, Any] | None = None  # data contract: {domainRules, migrationRules}

    def optional_parts(self) -> dict[str, Any]:
        """`references`, `metadata` and `ruleSet` in Confluent's JSON, each only when present."""
        parts: dict[str, Any] = {}
        if self.references:
            parts["references"] = [r.to_json() for r in self.references]
        if self.metadata is not None:
            parts["metadata"] = self.metadata
        if self.rule_set is not None:
            parts["ruleSet"] = self.rule_set
        return parts


@dataclass(frozen=True, slots=True)
class VersionRecord:
    """One version of a subject, pointing at a schema id."""

    subject: str
    version: int
    schema_id: int
    deleted: bool


class StoreTx(Protocol):
    """The primitive operations available inside a unit of work."""

    def subjects(self) -> list[tuple[str, bool]]:
        """Every subject with at least one version, and whether it has a non-deleted one."""
        ...

    def versions(self, subject: str) -> list[VersionRecord]:
        """All versions of a subject (soft-deleted included), oldest first."""
        ...

    def schema(self, schema_id: int) -> SchemaRecord | None: ...

    def schema_id_for(self, identity: str) -> int | None:
        """The id ever given to a schema with this identity key (kept after hard deletes)."""
        ...

    def add_schema(
        self,
        identity: str,
        schema_type: str,
        text: str,
        references: Sequence[Reference],
        metadata: dict[str, Any] | None = None,
        rule_set: dict[str, Any] | None = None,
    ) -> int: ...

    def add_schema_with_id(
        self,
        schema_id: int,
        identity: str,
        schema_type: str,
        text: str,
        references: Sequence[Reference],
        metadata: dict[str, Any] | None = None,
        rule_set: dict[str, Any] | None = None,
    ) -> None: ...

    def add_version(self, subject: str, version: int, schema_id: int) -> None: ...

    def mark_deleted(self, subject: str, version: int) -> None: ...

    def remove_version(self, subject: str, version: int) -> None: ...

    def usages(self, schema_id: int) -> list[VersionRecord]:
        """Every subject version that uses a schema id."""
        ...

    def referenced_by(self, subject: str, version: int) -> list[int]:
        """Ids of schemas that reference `subject` at `version` and are still used by a live version."""
        ...

    def config(self, scope: str) -> dict[str, object] | None: ...

    def set_config(self, scope: str, config: dict[str, object]) -> None: ...

    def delete_config(self, scope: str) -> None: ...

    def mode(self, scope: str) -> str | None: ...

    def set_mode(self, scope: str, mode: str) -> None: ...

    def delete_mode(self, scope: str) -> None: ...


class Store(Protocol):
    """A registry store: units of work for reading and for (serialised) writing."""

    def read(self) -> AbstractContextManager[StoreTx]: ...

    def write(self) -> AbstractContextManager[StoreTx]: ...

    def close(self) -> None: ...


_DDL = """
CREATE TABLE IF NOT EXISTS schemas (
    id INTEGER PRIMARY KEY,
    identity TEXT NOT NULL UNIQUE,
    schema_type TEXT NOT NULL,
    schema TEXT NOT NULL,
    refs TEXT NOT NULL DEFAULT '[]',
    metadata TEXT,
    rule_set TEXT
);
CREATE TABLE IF NOT EXISTS versions (
    subject TEXT NOT NULL,
    version INTEGER NOT NULL,
    schema_id INTEGER NOT NULL,
    deleted INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (subject, version)
);
CREATE INDEX IF NOT EXISTS versions_by_schema ON versions (schema_id);
CREATE TABLE IF NOT EXISTS refs (
    schema_id INTEGER NOT NULL,
    name TEXT NOT NULL,
    subject TEXT NOT NULL,
    version INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS refs_by_target ON refs (subject, version);
CREATE TABLE IF NOT EXISTS config (scope TEXT PRIMARY KEY, body TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS mode (scope TEXT PRIMARY KEY, mode TEXT NOT NULL);
"""


def _refs_json(references: Sequence[Reference]) -> str:
    return json.dumps([r.to_json() for r in references])


def _dumps(value: dict[str, Any] | None) -> str | None:
    return None if value is None else json.dumps(value)


def _loads(text: str | None) -> dict[str, Any] | None:
    return None if text is None else json.loads(text)


class _SqliteTx:
    """`StoreTx` over one SQLite connection inside an open transaction."""

    __slots__ = ("_c",)

    def __init__(self, connection: sqlite3.Connection) -> None:
        self._c = connection

    def subjects(self) -> list[tuple[str, bool]]:
        rows = self._c.execute(
            "SELECT subject, MIN(deleted) FROM versions GROUP BY subject ORDER BY subject"
        ).fetchall()
        return [(subject, not min_deleted) for subject, min_deleted in rows]

    def versions(self, subject: str) -> list[VersionRecord]:
        rows = self._c.execute(
            "SELECT version, schema_id, deleted FROM versions WHERE subject = ? ORDER BY version", (subject,)
        ).fetchall()
        return [VersionRecord(subject, v, sid, bool(d)) for v, sid, d in rows]

    def schema(self, schema_id: int) -> SchemaRecord | None:
        row = self._c.execute(
            "SELECT id, schema_type, schema, refs, metadata, rule_set FROM schemas WHERE id = ?", (schema_id,)
        ).fetchone()
        if row is None:
            return None
        refs = tuple(Reference(r["name"], r["subject"], r["version"]) for r in json.loads(row[3]))
        return SchemaRecord(row[0], row[1], row[2], refs, _loads(row[4]), _loads(row[5]))

    def schema_id_for(self, identity: str) -> int | None:
        row = self._c.execute("SELECT id FROM schemas WHERE identity = ?", (identity,)).fetchone()
        return None if row is None else row[0]

    def add_schema(
        self,
        identity: str,
        schema_type: str,
        text: str,
        references: Sequence[Reference],
        metadata: dict[str, Any] | None = None,
        rule_set: dict[str, Any] | None = None,
    ) -> int:
        cursor = self._c.execute(
            "INSERT INTO schemas (identity, schema_type, schema, refs, metadata, rule_set) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            (identity, schema_type, text, _refs_json(references), _dumps(metadata), _dumps(rule_set)),
        )
        schema_id = int(cursor.lastrowid or 0)
        self._add_refs(schema_id, references)
        return schema_id

    def add_schema_with_id(
        self,
        schema_id: int,
        identity: str,
        schema_type: str,
        text: str,
        references: Sequence[Reference],
        metadata: dict[str, Any] | None = None,
        rule_set: dict[str, Any] | None = None,
    ) -> None:
        self._c.execute(
            "INSERT INTO schemas (id, identity, schema_type, schema, refs, metadata, rule_set) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            (schema_id, identity, schema_type, text, _refs_json(references))
            + (_dumps(metadata), _dumps(rule_set)),
        )
        self._add_refs(schema_id, references)

    def _add_refs(self, schema_id: int, references: Sequence[Reference]) -> None:
        self._c.executemany(
            "INSERT INTO refs (schema_id, name, subject, version) VALUES (?, ?, ?, ?)",
            [(schema_id, r.name, r.subject, r.version) for r in references],
        )

    def add_version(self, subject: str, version: int, schema_id: int) -> None:
        self._c.execute(
            "INSERT INTO versions (subject, version, schema_id, deleted) VALUES (?, ?, ?, 0)",
            (subject, version, schema_id),
        )

    def mark_deleted(self, subject: str, version: int) -> None:
        self._c.execute(
            "UPDATE versions SET deleted = 1 WHERE subject = ? AND version = ?", (subject, version)
        )

    def remove_version(self, subject: str, version: int) -> None:
        self._c.execute("DELETE FROM versions WHERE subject = ? AND version = ?", (subject, version))

    def usages(self, schema_id: int) -> list[VersionRecord]:
        rows = self._c.execute(
            "SELECT subject, version, deleted FROM versions WHERE schema_id = ? ORDER BY subject, version",
            (schema_id,),
        ).fetchall()
        return [VersionRecord(s, v, schema_id, bool(d)) for s, v, d in rows]

    def referenced_by(self, subject: str, version: int) -> list[int]:
        rows = self._c.execute(
            "SELECT DISTINCT r.schema_id FROM refs r JOIN versions v ON v.schema_id = r.schema_id "
            "WHERE r.subject = ? AND r.version = ? AND v.deleted = 0 ORDER BY r.schema_id",
            (subject, version),
        ).fetchall()
        return [row[0] for row in rows]

    def config(self, scope: str) -> dict[str, object] | None:
        row = self._c.execute("SELECT body FROM config WHERE scope = ?", (scope,)).fetchone()
        return None if row is None else json.loads(row[0])

    def set_config(self, scope: str, config: dict[str, object]) -> None:
        self._c.execute(
            "INSERT INTO config (scope, body) VALUES (?, ?) "
            "ON CONFLICT(scope) DO UPDATE SET body = excluded.body",
            (scope, json.dumps(config)),
        )

    def delete_config(self, scope: str) -> None:
        self._c.execute("DELETE FROM config WHERE scope = ?", (scope,))

    def mode(self, scope: str) -> str | None:
        row = self._c.execute("SELECT mode FROM mode WHERE scope = ?", (scope,)).fetchone()
        return None if row is None else row[0]

    def set_mode(self, scope: str, mode: str) -> None:
        self._c.execute(
            "INSERT INTO mode (scope, mode) VALUES (?, ?) "
            "ON CONFLICT(scope) DO UPDATE SET mode = excluded.mode",
            (scope, mode),
        )

    def delete_mode(self, scope: str) -> None:
        self._c.execute("DELETE FROM mode WHERE scope = ?", (scope,))


class SqliteStore:
    """The default store: one SQLite file (WAL) or `:memory:` (one connection behind a lock)."""

    def __init__(self, path: str | Path = ":memory:", *, busy_timeout_s: float = 60.0) -> None:
        self.path = str(path)
        self._busy_timeout_s = busy_timeout_s
        self._memory = self.path == ":memory:"
        self.reads_never_wait = not self._memory  # WAL: readers take no lock a writer holds
        self._local = threading.local()
        self._lock = threading.RLock()  # used only for :memory:
        self._all: list[sqlite3.Connection] = []
        self._all_lock = threading.Lock()
        try:
            if not self._memory:
                Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise StoreError(
                f"cannot create the directory of the registry store {self.path}: {error.strerror}",
                hint="give --store a writable file path (or :memory:)",
            ) from None
        try:
            connection = self._connection()
            self._retry(lambda: self._init_schema(connection))
        except sqlite3.Error as error:
            raise StoreError(
                f"cannot open the registry store {self.path}: {error}",
                hint="give --store a writable SQLite file path (or :memory:)",
            ) from error

    def _init_schema(self, connection: sqlite3.Connection) -> None:
        if not self._memory:
            connection.execute("PRAGMA journal_mode=WAL")
        connection.execute("BEGIN IMMEDIATE")
        try:
            for statement in _DDL.split(";"):
                if statement.strip():
                    connection.execute(statement)
            columns = {row[1] for row in connection.execute("PRAGMA table_info(schemas)")}
            for column in ("metadata", "rule_set"):  # stores written before data contracts
                if column not in columns:
                    connection.execute(f"ALTER TABLE schemas ADD COLUMN {column} TEXT")
            connection.execute("COMMIT")
        except BaseException:
            connection.execute("ROLLBACK")
            raise

    def _retry(self, action: object) -> None:
        deadline = time.monotonic() + self._busy_timeout_s
        while True:
            try:
                action()  # type: ignore[operator]
                return
            except sqlite3.OperationalError as error:
                if "locked" not in str(error) or time.monotonic() > deadline:
                    raise
                time.sleep(0.05)

    def _connection(self) -> sqlite3.Connection:
        if self._memory:
            connection = getattr(self, "_shared", None)
            if connection is None:
                connection = self._shared = self._open()
            return connection
        connection = getattr(self._local, "connection", None)
        if connection is None:
            connection = self._local.connection = self._open()
        return connection

    def _open(self) -> sqlite3.Connection:
        connection = sqlite3.connect(
            self.path, timeout=self._busy_timeout_s, isolation_level=None, check_same_thread=False
        )
        connection.execute(f"PRAGMA busy_timeout = {int(self._busy_timeout_s * 1000)}")
        connection.execute("PRAGMA synchronous = NORMAL")
        with self._all_lock:
            self._all.append(connection)
        return connection

    @contextmanager
    def _unit(self, begin: str) -> Iterator[StoreTx]:
        if self._memory:
            self._lock.acquire()
        try:
            connection = self._connection()
            try:
                connection.execute(begin)
            except sqlite3.Error as error:
                raise StoreError(f"registry store unavailable: {error}") from error
            try:
                yield _SqliteTx(connection)
            except sqlite3.Error as error:
                connection.execute("ROLLBACK")
                raise StoreError(f"registry store error: {error}") from error
            except BaseException:
                connection.execute("ROLLBACK")
                raise
            else:
                try:
                    connection.execute("COMMIT")
                except sqlite3.Error as error:
                    connection.execute("ROLLBACK")
                    raise StoreError(f"registry store write failed: {error}") from error
        finally:
            if self._memory:
                self._lock.release()

    def read(self) -> AbstractContextManager[StoreTx]:
        """A consistent snapshot for reads (a deferred transaction)."""
        return self._unit("BEGIN")

    def write(self) -> AbstractContextManager[StoreTx]:
        """An exclusive write unit: BEGIN IMMEDIATE, so read-check-write sequences never interleave."""
        return self._unit("BEGIN IMMEDIATE")

    def close(self) -> None:
        """Close every connection this store opened."""
        with self._all_lock:
            for connection in self._all:
                try:
                    connection.close()
                except sqlite3.Error:
                    pass
            self._all.clear()
        self._local = threading.local()
        self._shared = None
