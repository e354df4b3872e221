"""The wallet service against Kafka alone: accounts, applied transactions and rates in, wallets out."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest
from exchange_testing import Running, fixture_records, private_topics

from services.common import Codecs, ServiceConfig
from services.common import records as r
from services.common.topics import latest, produce, read_topic, wait_for
from services.wallet import WalletService

pytestmark = pytest.mark.kafka


@pytest.fixture
def exchange(kafka_cluster: str, registry: str) -> Iterator[tuple[ServiceConfig, Codecs]]:
    """A private copy of the exchange's topics (unique prefix), deleted afterwards."""
    with private_topics(kafka_cluster, registry, "w") as exchange:
        yield exchange


def transaction(account: str, type_: str, *, debit=None, credit=None) -> dict:
    return {
        "guid": str(uuid.uuid4()),
        "account_id": account,
        "type": type_,
        "debit_amount": None if debit is None else r.money(debit[0]),
        "debit_currency": None if debit is None else debit[1],
        "credit_amount": None if credit is None else r.money(credit[0]),
        "credit_currency": None if credit is None else credit[1],
        "rate": None,
        "processed_at": r.now_ms(),
    }


def wallets(config, codecs) -> dict:
    return latest(read_topic(config, codecs, "wallet", idle=0.3, timeout=5))


def balances(wallet: dict) -> dict[str, Decimal]:
    return {e["currency"]: e["amount"] for e in wallet["balances"]}


FIXTURES = Path(__file__).resolve().parents[1] / "data" / "topics" / "exchange"


def test_replayed_full_run_gives_the_same_wallets(exchange, replay, topic_reader) -> None:
    """Accounts, rates and outcomes recorded from a full run replayed; only the wallet service runs."""
    config, _ = exchange
    for name in ("account", "exchange-rate", "transaction-success"):
        replay(FIXTURES / f"{name}.jsonl", topic=config.topic(name))
    recorded = latest((r["key"], r["value"]) for r in fixture_records(FIXTURES / "wallet.jsonl"))

    def amounts(wallet: dict) -> dict[str, str]:
        return {b["currency"]: b["amount"] for b in wallet["balances"]}

    def settled() -> dict | None:
        now = latest((r["key"], r["value"]) for r in topic_reader(config.topic("wallet"), timeout=2))
        same = set(now) == set(recorded) and all(amounts(now[k]) == amounts(recorded[k]) for k in now)
        return now if same else None

    with Running(WalletService(config)):
        wallets = wait_for(settled, timeout=30, what="the recorded wallets")
    assert set(wallets) == {"alice-fx", "bob-fx", "carol-fx"}
    assert amounts(wallets["carol-fx"]) == {}
    for wallet in wallets.values():
        total = wallet["total_valuation"]
        values = [Decimal(b["valuation"]["amount"]) for b in wallet["balances"]]
        assert Decimal(total["amount"]) == sum(values, Decimal(0)) and total["currency"] == "USD"


def test_wallets_follow_transactions_and_rates_and_survive_a_restart(exchange) -> None:
    config, codecs = exchange
    produce(config, codecs, "exchange-rate", [("BTC-USD", r.exchange_rate("BTC", "USD", "40000", "40010"))])
    produce(
        config,
        codecs,
        "account",
        [("ann", r.account("ann", "Ann", "A")), ("ben", r.account("ben", "Ben", "B"))],
    )
    produce(
        config,
        codecs,
        "transaction-success",
        [
            ("ann", transaction("ann", "DEPOSIT", credit=("100", "USD"))),
            ("ann", transaction("ann", "EXCHANGE", debit=("80.02", "USD"), credit=("0.002", "BTC"))),
            ("ann", transaction("ann", "WITHDRAW", debit=("10", "USD"))),
        ],
    )
    with Running(WalletService(config)):
        got = wait_for(
            lambda: (
                (w := wallets(config, codecs)).get("ann", {}).get("balances")
                and balances(w["ann"]).get("USD") == Decimal("9.98")
                and w
            ),
            what="ann's wallet",
        )
    assert balances(got["ben"]) == {}
    ann = got["ann"]
    assert balances(ann) == {"BTC": Decimal("0.002"), "USD": Decimal("9.98")}
    assert ann["total_valuation"]["amount"] == Decimal("89.98000000")  # 0.002 x 40000 bid + 9.98
    assert ann["total_valuation"]["currency"] == "USD"

    # a new incarnation restores from the wallet topic: no transaction counted twice
    produce(
        config, codecs, "transaction-success", [("ann", transaction("ann", "DEPOSIT", credit=("1", "BTC")))]
    )
    produce(config, codecs, "exchange-rate", [("BTC-USD", r.exchange_rate("BTC", "USD", "50000", "50010"))])
    with Running(WalletService(config)):
        got = wait_for(
            lambda: (
                (w := wallets(config, codecs))["ann"]["total_valuation"]["amount"]
                == Decimal("50109.98000000")
                and w
            ),
            what="revalued wallet",
        )
    assert balances(got["ann"]) == {"BTC": Decimal("1.002"), "USD": Decimal("9.98")}


def test_a_currency_without_rate_has_no_valuation(exchange) -> None:
    config, codecs = exchange
    produce(
        config, codecs, "transaction-success", [("cy", transaction("cy", "DEPOSIT", credit=("3", "ETH")))]
    )
    with Running(WalletService(config)):
        got = wait_for(lambda: wallets(config, codecs).get("cy"), what="cy's wallet")
    assert got["balances"][0]["valuation"] is None
    assert got["total_valuation"] is None
