"""The transaction service against Kafka alone: accounts and rates as input tables, requests in,
outcomes and changelog out; no other service runs. Inputs are written with govern.serde."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest
from exchange_testing import Running, fixture_records, private_topics

from services.common import Codecs, ServiceConfig
from services.common import records as r
from services.common.topics import produce, read_topic
from services.transaction import TransactionService

pytestmark = pytest.mark.kafka


@pytest.fixture
def exchange(kafka_cluster: str, registry: str) -> Iterator[tuple[ServiceConfig, Codecs]]:
    """A private copy of the exchange's topics (unique prefix), deleted afterwards."""
    with private_topics(kafka_cluster, registry, "t") as exchange:
        yield exchange


def outcomes(config: ServiceConfig, codecs: Codecs, count: int) -> dict[str, tuple[str, dict]]:
    """guid -> ("success" | "failed", record), waiting until `count` outcomes are there."""
    found: dict[str, tuple[str, dict]] = {}
    success = read_topic(config, codecs, "transaction-success", idle=0.5, timeout=5)
    failed = read_topic(config, codecs, "transaction-failed", idle=0.5, timeout=5)
    for kind, recs in (("success", success), ("failed", failed)):
        for _, value in recs:
            guid = str(value["guid"])
            assert guid not in found, f"two outcomes for {guid}"
            found[guid] = (kind, value)
    return found


def wait_outcomes(config, codecs, count, timeout=30.0):
    import time

    deadline = time.monotonic() + timeout
    while True:
        found = outcomes(config, codecs, count)
        if len(found) >= count or time.monotonic() > deadline:
            return found


FIXTURES = Path(__file__).resolve().parents[1] / "data" / "topics" / "exchange"
EIGHT = Decimal("0.00000001")


def test_replayed_full_run_gives_the_same_outcomes(exchange, replay, topic_reader) -> None:
    """Inputs recorded from a full run (tests/data/topics/exchange) replayed; only this service runs."""
    config, _ = exchange
    for name in ("account", "exchange-rate", "transaction-request"):
        replay(FIXTURES / f"{name}.jsonl", topic=config.topic(name))
    recorded = {
        r["value"]["guid"]: r["value"]
        for name in ("transaction-success", "transaction-failed")
        for r in fixture_records(FIXTURES / f"{name}.jsonl")
    }
    with Running(TransactionService(config)):
        success = topic_reader(config.topic("transaction-success"), count=4, timeout=30)
        failed = topic_reader(config.topic("transaction-failed"), count=9, timeout=30)
    got = {r["value"]["guid"]: r["value"] for r in success + failed}
    assert len(got) == len(success) + len(failed) == len(recorded) == 13
    assert {g: v.get("reason") for g, v in got.items()} == {g: v.get("reason") for g, v in recorded.items()}
    for record in success:
        now, then = record["value"], recorded[record["value"]["guid"]]
        assert record["key"] == now["account_id"] == then["account_id"]
        assert (now["debit_amount"], now["debit_currency"]) == (then["debit_amount"], then["debit_currency"])
        if now["type"] != "EXCHANGE":
            assert now["credit_amount"] == then["credit_amount"]
            continue
        # replayed rates are the run's final ones: the price may differ, the rule may not
        debit, price = Decimal(now["debit_amount"]), Decimal(now["rate"]["price"])
        expected = debit * price if now["rate"]["side"] == "BID" else debit / price
        assert Decimal(now["credit_amount"]) == expected.quantize(EIGHT, rounding="ROUND_DOWN")
        assert now["rate"]["side"] == then["rate"]["side"]


def test_deposit_withdraw_exchange_and_every_rejection(exchange) -> None:
    config, codecs = exchange
    produce(
        config,
        codecs,
        "account",
        [
            ("alice", r.account("alice", "Alice", "A")),
            ("bob", r.account("bob", "Bob", "B")),
            ("carol", r.account("carol", "Carol", "C", status="CLOSED")),
        ],
    )
    produce(config, codecs, "exchange-rate", [("BTC-USD", r.exchange_rate("BTC", "USD", "50000", "50010"))])
    reqs = {
        "deposit": r.transaction_request("alice", "DEPOSIT", "1000", "USD"),
        "withdraw": r.transaction_request("alice", "WITHDRAW", "100", "USD"),
        "buy_btc": r.transaction_request("alice", "EXCHANGE", "500.10", "USD", "BTC"),
        "sell_btc": r.transaction_request("alice", "EXCHANGE", "0.002", "BTC", "USD"),
        "too_much": r.transaction_request("alice", "WITHDRAW", "5000", "USD"),
        "unknown": r.transaction_request("nobody", "DEPOSIT", "10", "USD"),
        "closed": r.transaction_request("carol", "DEPOSIT", "10", "USD"),
        "zero": r.transaction_request("bob", "DEPOSIT", "0", "USD"),
        "xyz": r.transaction_request("bob", "DEPOSIT", "10", "XYZ"),
        "same": r.transaction_request("alice", "EXCHANGE", "1", "USD", "USD"),
        "no_rate": r.transaction_request("alice", "EXCHANGE", "1", "USD", "EUR"),
        "no_target": r.transaction_request("alice", "EXCHANGE", "1", "USD"),
    }
    duplicate = dict(reqs["deposit"])
    produce(
        config,
        codecs,
        "transaction-request",
        [(v["account_id"], v) for v in reqs.values()] + [("alice", duplicate)],
    )
    with Running(TransactionService(config)):
        found = wait_outcomes(config, codecs, len(reqs))
    assert len(found) == len(reqs)
    kind = {name: found[req["guid"]] for name, req in reqs.items()}
    assert kind["deposit"][0] == kind["withdraw"][0] == kind["buy_btc"][0] == kind["sell_btc"][0] == "success"
    assert kind["buy_btc"][1]["credit_amount"] == Decimal("0.01000000")  # 500.10 / 50010 ask
    assert kind["buy_btc"][1]["rate"]["side"] == "ASK"
    assert kind["sell_btc"][1]["credit_amount"] == Decimal("100.00000000")  # 0.002 x 50000 bid
    assert kind["sell_btc"][1]["rate"]["side"] == "BID"
    reasons = {name: v[1]["reason"] for name, v in kind.items() if v[0] == "failed"}
    assert reasons == {
        "too_much": "INSUFFICIENT_FUNDS",
        "unknown": "UNKNOWN_ACCOUNT",
        "closed": "ACCOUNT_CLOSED",
        "zero": "INVALID_AMOUNT",
        "xyz": "UNSUPPORTED_CURRENCY",
        "same": "SAME_CURRENCY",
        "no_rate": "RATE_UNAVAILABLE",
        "no_target": "INVALID_REQUEST",
    }
    changelog = dict(read_topic(config, codecs, "transaction-balance-changelog", idle=0.5))
    # 1000 - 100 - 500.10 + 100 = 499.90 USD; 0.01 - 0.002 = 0.008 BTC
    assert changelog["alice/USD"]["amount"] == Decimal("499.90000000")
    assert changelog["alice/BTC"]["amount"] == Decimal("0.00800000")
    # balances only: the answered guids are read back from the outcomes themselves on restart
    assert all("/" in key for key in changelog)


def test_restart_restores_balances_and_recognises_duplicates(exchange) -> None:
    config, codecs = exchange
    produce(config, codecs, "account", [("dave", r.account("dave", "Dave", "D"))])
    first = r.transaction_request("dave", "DEPOSIT", "10", "EUR")
    refused = r.transaction_request("dave", "WITHDRAW", "99", "EUR")
    produce(config, codecs, "transaction-request", [("dave", first), ("dave", refused)])
    with Running(TransactionService(config)):
        assert len(wait_outcomes(config, codecs, 2)) == 2
    # a new incarnation: the balance comes from the changelog, the old guids (an applied and a
    # refused one) are recognised from their outcomes
    withdraw = r.transaction_request("dave", "WITHDRAW", "10", "EUR")
    produce(config, codecs, "transaction-request", [("dave", first), ("dave", refused), ("dave", withdraw)])
    with Running(TransactionService(config)) as service:
        found = wait_outcomes(config, codecs, 3)
    assert found[withdraw["guid"]][0] == "success"
    assert found[refused["guid"]][0] == "failed"
    assert len(found) == 3
    assert service.counts["duplicate"] == 2


def test_account_created_just_before_the_request_is_seen(exchange) -> None:
    config, codecs = exchange
    with Running(TransactionService(config)) as service:
        assert service.ready.wait(30)
        produce(config, codecs, "account", [("erin", r.account("erin", "Erin", "E"))])
        req = r.transaction_request("erin", "DEPOSIT", "5", "GBP")
        produce(config, codecs, "transaction-request", [("erin", req)])
        found = wait_outcomes(config, codecs, 1)
    assert found[req["guid"]][0] == "success"
