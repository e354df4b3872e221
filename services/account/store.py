"""The legacy account store: a SQL table of accounts (SQLite file by default, PostgreSQL by URL).

Two tables: `account` (one row per account, `updated_at` set on every change, the column the
source polls) and `applied_request` (the guid of every account request applied, written in the
same SQL transaction as the change, so a redelivered request is recognised and changes nothing).

PostgreSQL: pass a `postgresql://…` URL; it needs `psycopg` (version 3), which is optional and
not installed by default; the SQL is the common subset of both (ON CONFLICT, BIGINT, `?`
placeholders rewritten to `%s`). Only the SQLite path is exercised by the tests.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from services.common.records import now_ms

SCHEMA = [
    """CREATE TABLE IF NOT EXISTS account (
        account_id TEXT PRIMARY KEY, first_name TEXT NOT NULL, last_name TEXT NOT NULL, email TEXT,
        street TEXT, number TEXT, city TEXT, postal_code TEXT, country TEXT,
        status TEXT NOT NULL, created_at BIGINT NOT NULL, updated_at BIGINT NOT NULL)""",
    "CREATE INDEX IF NOT EXISTS account_changes ON account (updated_at, account_id)",
    "CREATE TABLE IF NOT EXISTS applied_request (guid TEXT PRIMARY KEY, applied_at BIGINT NOT NULL)",
]
COLUMNS = (
    "account_id, first_name, last_name, email, street, number, city, postal_code, country, "
    "status, created_at, updated_at"
)


@dataclass(frozen=True)
class Applied:
    """What applying one request did: `changed` False for a duplicate or a refused request."""

    changed: bool
    outcome: str  #: created, updated, closed, duplicate, exists, unknown_account, invalid
    detail: str = ""


class AccountStore:
    """The account table, its idempotent writer (the sink) and its change query (the source)."""

    def __init__(self, url: str | Path = "accounts.sqlite") -> None:
        text = str(url)
        self.postgres = text.startswith(("postgresql://", "postgres://"))
        if self.postgres:
            import psycopg  # optional dependency

            self._db: Any = psycopg.connect(text)
        else:
            path = text.removeprefix("sqlite:///")
            self._db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
            self._db.execute("PRAGMA journal_mode=WAL")
        for statement in SCHEMA:
            self._execute(statement)
        self._commit()

    def _sql(self, statement: str) -> str:
        return statement.replace("?", "%s") if self.postgres else statement

    def _execute(self, statement: str, params: tuple = ()) -> Any:
        return self._db.execute(self._sql(statement), params)

    def _begin(self) -> None:
        if not self.postgres:
            self._db.execute("BEGIN IMMEDIATE")

    def _commit(self) -> None:
        if self.postgres:
            self._db.commit()
        elif self._db.in_transaction:
            self._db.execute("COMMIT")

    def _rollback(self) -> None:
        if self.postgres:
            self._db.rollback()
        elif self._db.in_transaction:
            self._db.execute("ROLLBACK")

    def apply(self, request: Mapping[str, Any], *, stamp: int | None = None) -> Applied:
        """Apply one AccountRequest in one SQL transaction, at most once per guid."""
        stamp = stamp or now_ms()
        guid = str(request["guid"])
        self._begin()
        try:
            fresh = self._execute(
                "INSERT INTO applied_request (guid, applied_at) VALUES (?, ?) ON CONFLICT (guid) DO NOTHING",
                (guid, stamp),
            ).rowcount
            if fresh == 0:
                self._rollback()
                return Applied(False, "duplicate")
            result = self._change(request, stamp)
            self._commit()
            return result
        except BaseException:
            self._rollback()
            raise

    def _change(self, request: Mapping[str, Any], stamp: int) -> Applied:
        account_id = request["account_id"]
        action = request["action"]
        row = self._execute("SELECT status FROM account WHERE account_id = ?", (account_id,)).fetchone()
        address = request.get("address") or {}
        if action == "CREATE":
            if row is not None:
                return Applied(False, "exists", f"account {account_id} already exists")
            if not request.get("first_name") or not request.get("last_name"):
                return Applied(False, "invalid", "CREATE needs first_name and last_name")
            self._execute(
                f"INSERT INTO account ({COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'ACTIVE', ?, ?)",
                (account_id, request["first_name"], request["last_name"], request.get("email"),
                 address.get("street"), address.get("number"), address.get("city"),
                 address.get("postal_code"), address.get("country"), stamp, stamp),
            )  # fmt: skip
            return Applied(True, "created")
        if row is None:
            return Applied(False, "unknown_account", f"no account {account_id}")
        if action == "CLOSE":
            self._execute(
                "UPDATE account SET status = 'CLOSED', updated_at = ? WHERE account_id = ?",
                (stamp, account_id),
            )
            return Applied(True, "closed")
        if action == "UPDATE":
            changes = {
                k: request.get(k) for k in ("first_name", "last_name", "email") if request.get(k) is not None
            }
            if address:
                changes.update(
                    {k: address.get(k) for k in ("street", "number", "city", "postal_code", "country")}
                )
            sets = ", ".join(f"{column} = ?" for column in changes)
            self._execute(
                f"UPDATE account SET {sets + ', ' if sets else ''}updated_at = ? WHERE account_id = ?",
                (*changes.values(), stamp, account_id),
            )
            return Applied(True, "updated")
        return Applied(False, "invalid", f"unknown action {action}")

    def changed_since(
        self, updated_at: int, account_id: str, *, until: int, limit: int = 1000
    ) -> list[dict[str, Any]]:
        """Rows after position (updated_at, account_id) in that order, changed no later than `until`.

        The JDBC source connector's timestamp+incrementing mode: the pair is a total order, so
        rows sharing a millisecond are neither skipped nor repeated.
        """
        rows = self._execute(
            f"SELECT {COLUMNS} FROM account WHERE (updated_at > ? OR (updated_at = ? AND account_id > ?)) "
            "AND updated_at <= ? ORDER BY updated_at, account_id LIMIT ?",
            (updated_at, updated_at, account_id, until, limit),
        ).fetchall()
        self._commit()  # PostgreSQL opened a transaction for the SELECT
        names = [c.strip() for c in COLUMNS.split(",")]
        return [dict(zip(names, row, strict=True)) for row in rows]

    def close(self) -> None:
        self._db.close()


def account_value(row: Mapping[str, Any]) -> dict[str, Any]:
    """The Account record of one table row."""
    address = None
    if row.get("street") and row.get("city") and row.get("country"):
        address = {
            "street": row["street"], "number": row.get("number") or "", "city": row["city"],
            "postal_code": row.get("postal_code"), "country": row["country"],
        }  # fmt: skip
    return {
        "account_id": row["account_id"], "first_name": row["first_name"], "last_name": row["last_name"],
        "email": row.get("email"), "address": address, "status": row["status"],
        "created_at": row["created_at"], "updated_at": row["updated_at"],
    }  # fmt: skip
