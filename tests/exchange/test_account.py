"""The account service against Kafka alone: account requests in, the legacy SQLite store, accounts out."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
from exchange_testing import Running, fixture_records, private_topics

from services.account import AccountService
from services.common import Codecs, ServiceConfig
from services.common import records as r
from services.common.topics import latest, produce, read_topic, wait_for

pytestmark = pytest.mark.kafka


@pytest.fixture
def exchange(kafka_cluster: str, registry: str) -> Iterator[tuple[ServiceConfig, Codecs]]:
    """A private copy of the exchange's topics (unique prefix), deleted afterwards."""
    with private_topics(kafka_cluster, registry, "a") as exchange:
        yield exchange


def accounts(config, codecs) -> list:
    return read_topic(config, codecs, "account", idle=0.4, timeout=5)


FIXTURES = Path(__file__).resolve().parents[1] / "data" / "topics" / "exchange"
FIELDS = ("account_id", "first_name", "last_name", "email", "address", "status")


def test_replayed_requests_give_the_recorded_accounts(exchange, tmp_path: Path, replay, topic_reader) -> None:
    """Account requests recorded from a full run replayed; only the account service runs."""
    config, _ = exchange
    replay(FIXTURES / "account-request.jsonl", topic=config.topic("account-request"))
    recorded = latest((r["key"], r["value"]) for r in fixture_records(FIXTURES / "account.jsonl"))
    with Running(AccountService(config, store=tmp_path / "accounts.sqlite")):
        # the source publishes rows as they are when polled: carol may be seen open then closed, or closed

        def done() -> list | None:
            records = topic_reader(config.topic("account"), timeout=2)
            now = latest((r["key"], r["value"]) for r in records)
            closed = now.get("carol-fx", {}).get("status") == "CLOSED"
            return records if closed and len(now) == 3 else None

        published = wait_for(done, what="the three accounts, carol closed")
    now = latest((r["key"], r["value"]) for r in published)
    assert {k: [v[f] for f in FIELDS] for k, v in now.items()} == {
        k: [v[f] for f in FIELDS] for k, v in recorded.items()
    }
    assert now["carol-fx"]["status"] == "CLOSED"
    assert all(r["key"] == r["value"]["account_id"] for r in published)


def test_requests_reach_the_table_once_and_changes_are_published_once(exchange, tmp_path: Path) -> None:
    config, codecs = exchange
    store = tmp_path / "accounts.sqlite"
    create = r.account_request(
        "acc-1", "CREATE", first_name="Ada", last_name="Lovelace", email="ada@example.org"
    )
    produce(config, codecs, "account-request", [
        ("acc-1", create),
        ("acc-1", create),  # redelivered: applied once
        ("acc-2", r.account_request("acc-2", "CREATE", first_name="Alan", last_name="Turing")),
        ("acc-3", r.account_request("acc-3", "UPDATE", first_name="Nobody")),  # unknown: refused
    ])  # fmt: skip
    with Running(AccountService(config, store=store)) as service:
        wait_for(lambda: len(accounts(config, codecs)) >= 2, what="two accounts")
    assert service.counts["duplicate"] == 1 and service.counts["refused"] == 1
    published = accounts(config, codecs)
    assert sorted(k for k, _ in published) == ["acc-1", "acc-2"]
    ada = latest(published)["acc-1"]
    assert (ada["first_name"], ada["email"], ada["status"]) == ("Ada", "ada@example.org", "ACTIVE")
    with sqlite3.connect(store) as db:
        assert db.execute("SELECT count(*) FROM applied_request").fetchone() == (3,)  # distinct guids

    # restart: the position comes from the account topic: nothing is republished, new changes are
    produce(config, codecs, "account-request", [("acc-2", r.account_request("acc-2", "CLOSE"))])
    with Running(AccountService(config, store=store)):
        wait_for(lambda: len(accounts(config, codecs)) >= 3, what="the CLOSE")
    published = accounts(config, codecs)
    assert [k for k, _ in published].count("acc-1") == 1
    assert latest(published)["acc-2"]["status"] == "CLOSED"


def test_rows_changed_in_the_store_directly_are_published(exchange, tmp_path: Path) -> None:
    """The legacy store may be written by other applications: the source picks their rows up too."""
    config, codecs = exchange
    store = tmp_path / "accounts.sqlite"
    with Running(AccountService(config, store=store)) as service:
        assert service.ready.wait(30)
        with sqlite3.connect(store) as db:
            for i in range(5):  # same millisecond: the account id orders them
                row = (f"legacy-{i}", "F", "L", None, None, None, None, None, None, "ACTIVE", 1, 1000)
                db.execute("INSERT INTO account VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", row)
        wait_for(lambda: len(accounts(config, codecs)) >= 5, what="five legacy rows")
    assert sorted(k for k, _ in accounts(config, codecs)) == [f"legacy-{i}" for i in range(5)]
