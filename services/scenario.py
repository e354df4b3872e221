"""The demo's scripted scenario, driven through the topics only, as a UI would.

Two accounts are created through `account-request`; once the account service has published
them on `account` (and rates are flowing), each gets a deposit, each makes an exchange, and one
asks to withdraw more than it holds. The outcomes are read from `transaction-success` and
`transaction-failed`, and the scenario waits until the `wallet` topic shows every applied
transaction, then returns the outcomes and wallets. Account ids carry a run id so that runs
against a reused cluster do not mix.
"""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from services.common import Codecs, ServiceConfig
from services.common import records as r
from services.common.topics import latest, produce, read_topic, wait_for
from services.wallet.valuation import apply_transaction


@dataclass
class ScenarioResult:
    """Outcomes (in request order) and the final wallets of the scenario's accounts."""

    accounts: list[str]
    requests: list[dict[str, Any]]
    outcomes: dict[str, tuple[str, dict[str, Any]]]  #: guid -> ("applied" | "rejected", record)
    wallets: dict[str, dict[str, Any]]
    seconds: float


def _outcomes(
    config: ServiceConfig, codecs: Codecs, guids: set[str]
) -> dict[str, tuple[str, dict[str, Any]]]:
    found: dict[str, tuple[str, dict[str, Any]]] = {}
    for kind, name in (("applied", "transaction-success"), ("rejected", "transaction-failed")):
        for _, value in read_topic(config, codecs, name, idle=0.2, timeout=5):
            if value is not None and str(value["guid"]) in guids:
                found[str(value["guid"])] = (kind, value)
    return found


def run_scenario(
    config: ServiceConfig, codecs: Codecs, *, timeout: float = 60.0, run: str | None = None
) -> ScenarioResult:
    """Play the scenario against running services; TimeoutError if an answer does not come in time."""
    started = time.monotonic()
    run = run or secrets.token_hex(2)
    alice, bob = f"alice-{run}", f"bob-{run}"
    creates = [
        r.account_request(alice, "CREATE", first_name="Alice", last_name="Martin", email="alice@example.org"),
        r.account_request(bob, "CREATE", first_name="Bob", last_name="Dupont"),
    ]
    produce(config, codecs, "account-request", [(c["account_id"], c) for c in creates])

    def keys(name: str) -> set[str]:
        return set(latest(read_topic(config, codecs, name, idle=0.2, timeout=5)))

    wait_for(
        lambda: {alice, bob} <= keys("account"), timeout=timeout, what="the accounts on the account topic"
    )
    wait_for(lambda: {"BTC-USD", "BTC-EUR"} <= keys("exchange-rate"), timeout=timeout, what="rates")
    requests = [
        r.transaction_request(alice, "DEPOSIT", "10000", "USD"),
        r.transaction_request(bob, "DEPOSIT", "2", "BTC"),
        r.transaction_request(alice, "EXCHANGE", "5000", "USD", "BTC"),  # alice buys BTC at the ask
        r.transaction_request(bob, "EXCHANGE", "0.5", "BTC", "EUR"),  # bob sells BTC at the bid
        r.transaction_request(bob, "WITHDRAW", "5", "BTC"),  # more than bob holds: rejected
    ]
    produce(config, codecs, "transaction-request", [(q["account_id"], q) for q in requests])
    guids = {q["guid"] for q in requests}
    outcomes = wait_for(lambda: (o := _outcomes(config, codecs, guids)) and len(o) == len(guids) and o,
                        timeout=timeout, what="an outcome for every request")  # fmt: skip
    expected: dict[str, dict[str, Decimal]] = {alice: {}, bob: {}}
    for q in requests:
        kind, record = outcomes[q["guid"]]
        if kind == "applied":
            expected[q["account_id"]] = apply_transaction(expected[q["account_id"]], record)

    def settled() -> dict[str, dict[str, Any]] | None:
        wallets = latest(read_topic(config, codecs, "wallet", idle=0.2, timeout=5))
        for account, balances in expected.items():
            wallet = wallets.get(account)
            if wallet is None or {b["currency"]: b["amount"] for b in wallet["balances"]} != balances:
                return None
        return {account: wallets[account] for account in expected}

    wallets = wait_for(settled, timeout=timeout, what="wallets showing every applied transaction")
    return ScenarioResult([alice, bob], requests, outcomes, wallets, time.monotonic() - started)
