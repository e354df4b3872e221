"""Provider side of the message contracts: every pact in contracts/pacts/ verified against what
the provider really produces on Kafka (the decoded record of a real produced message, in its JSON
form), with no broker and no mocks: the real service runs on a private copy of the topics."""

from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from exchange_testing import private_topics
from pact import Verifier

from services.common import Codecs, ServiceConfig
from services.common import records as r
from services.common.topics import produce, read_topic
from services.transaction import TransactionService
from services.ui import UiConfig, UiService
from services.ui.records import plain

os.environ.setdefault("PACT_DO_NOT_TRACK", "true")
pytestmark = [pytest.mark.kafka, pytest.mark.slow]
PACT_DIR = Path(__file__).resolve().parents[2] / "contracts" / "pacts"
VERIFIED_HERE = {"ui", "transaction", "account", "wallet", "rate"}


def pacts_of(provider: str) -> list[Path]:
    return sorted(
        p for p in PACT_DIR.glob("*.json") if json.loads(p.read_text())["provider"]["name"] == provider
    )


@pytest.fixture
def topics(kafka_cluster: str, registry: str) -> Iterator[tuple[ServiceConfig, Codecs]]:  # noqa: F811
    """A private copy of the exchange's topics (unique prefix), deleted afterwards."""
    with private_topics(kafka_cluster, registry, "pact") as exchange:
        yield exchange


def verify(provider: str, messages: dict[str, tuple[str, dict[str, Any]]]) -> None:
    """Run the pact verifier for `provider` over its pacts, answering each description with a real record."""

    def respond(name: str, metadata: Any = None) -> dict[str, Any]:  # names matter: pact passes by name
        topic, record = messages[name]
        return {
            "contents": json.dumps(plain(record)).encode(),
            "metadata": {"topic": topic},
            "content_type": "application/json",
        }

    verifier = Verifier(provider).message_handler(respond)
    for path in pacts_of(provider):
        verifier.add_source(path)
    try:
        verifier.verify()
    except RuntimeError:
        raise AssertionError(verifier.output(strip_ansi=True)) from None
    assert verifier.results["result"], verifier.output(strip_ansi=True)


def by_guid(
    config: ServiceConfig, codecs: Codecs, topic: str, guids: set[str], timeout: float = 30.0
) -> dict[str, dict[str, Any]]:
    """The records of `topic` answering `guids`, waiting until all are there."""
    deadline = time.monotonic() + timeout
    while True:
        found = {
            str(v["guid"]): v
            for _, v in read_topic(config, codecs, topic, idle=0.2, timeout=5)
            if v is not None and str(v["guid"]) in guids
        }
        if len(found) == len(guids) or time.monotonic() > deadline:
            return found
        time.sleep(0.2)


def test_ui_produces_what_the_transaction_service_expects(topics: tuple[ServiceConfig, Codecs]) -> None:
    config, codecs = topics
    with UiService(UiConfig(config, port=0)) as ui, httpx.Client(base_url=ui.url, timeout=10) as http:
        made = http.post("/api/accounts", json={"first_name": "Ada", "last_name": "Lovelace"}).json()
        base, headers = f"/api/accounts/{made['account_id']}", {"Authorization": f"Bearer {made['token']}"}
        deposit = http.post(f"{base}/deposits", json={"amount": "100", "currency": "USD"}, headers=headers)
        swap = http.post(
            f"{base}/exchanges",
            json={"amount": "50", "currency": "USD", "target_currency": "BTC"},
            headers=headers,
        )
    guids = {deposit.json()["guid"], swap.json()["guid"]}
    records = by_guid(config, codecs, "transaction-request", guids)
    created = by_guid(config, codecs, "account-request", {made["guid"]})
    verify(
        "ui",
        {
            "a deposit request": ("transaction-request", records[deposit.json()["guid"]]),
            "an exchange request": ("transaction-request", records[swap.json()["guid"]]),
            "an account creation request": ("account-request", created[made["guid"]]),
        },
    )


def test_transaction_produces_what_its_consumers_expect(topics: tuple[ServiceConfig, Codecs]) -> None:
    config, codecs = topics
    produce(config, codecs, "account", [("acc-1", r.account("acc-1", "Ada", "Lovelace"))])
    produce(config, codecs, "exchange-rate", [("BTC-USD", r.exchange_rate("BTC", "USD", "50000", "50010"))])
    requests = {
        "deposit": r.transaction_request("acc-1", "DEPOSIT", "100", "USD"),
        "exchange": r.transaction_request("acc-1", "EXCHANGE", "50", "USD", "BTC"),
        "overdraft": r.transaction_request("acc-1", "WITHDRAW", "1000", "USD"),
    }
    stop = threading.Event()
    service = TransactionService(config)
    thread = threading.Thread(target=service.run, args=(stop,), daemon=True)
    thread.start()
    try:
        for request in requests.values():  # one at a time: the overdraft must follow the others
            produce(config, codecs, "transaction-request", [("acc-1", request)])
        guids = {str(v["guid"]) for v in requests.values()}
        success = by_guid(config, codecs, "transaction-success", guids - {str(requests["overdraft"]["guid"])})
        failed = by_guid(config, codecs, "transaction-failed", {str(requests["overdraft"]["guid"])})
    finally:
        stop.set()
        thread.join(30)
    verify(
        "transaction",
        {
            "a deposit applied": ("transaction-success", success[str(requests["deposit"]["guid"])]),
            "an exchange applied with its rate": (
                "transaction-success",
                success[str(requests["exchange"]["guid"])],
            ),
            "a withdrawal rejected for insufficient funds": (
                "transaction-failed",
                failed[str(requests["overdraft"]["guid"])],
            ),
        },
    )


class Running:
    """A service's `run(stop)` in a thread for the duration of a `with` block."""

    def __init__(self, service: Any) -> None:
        self.stop = threading.Event()
        self.thread = threading.Thread(target=service.run, args=(self.stop,), daemon=True)

    def __enter__(self) -> Running:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        self.thread.join(30)


def latest(
    config: ServiceConfig,
    codecs: Codecs,
    topic: str,
    key: str,
    ready: Callable[[dict], bool],
    timeout: float = 30.0,
) -> dict[str, Any]:
    """The latest record of `key` on `topic` once `ready(record)` holds."""
    deadline = time.monotonic() + timeout
    while True:
        found = [v for k, v in read_topic(config, codecs, topic, idle=0.2, timeout=5) if k == key and v]
        if found and ready(found[-1]):
            return found[-1]
        assert time.monotonic() < deadline, f"no ready {topic} record for {key}"
        time.sleep(0.2)


def test_account_produces_what_its_consumers_expect(
    topics: tuple[ServiceConfig, Codecs], tmp_path: Path
) -> None:
    from services.account import AccountService

    config, codecs = topics
    request = r.account_request("acc-1", first_name="Ada", last_name="Lovelace")
    produce(config, codecs, "account-request", [("acc-1", request)])
    with Running(AccountService(config, store=tmp_path / "accounts.sqlite")):
        account = latest(config, codecs, "account", "acc-1", lambda v: v["status"] == "ACTIVE")
    verify("account", {"an active account": ("account", account)})


def test_rate_produces_what_its_consumers_expect(topics: tuple[ServiceConfig, Codecs]) -> None:
    from services.rate import RateService

    config, codecs = topics
    with Running(RateService(config, speed=100.0)):
        rate = latest(config, codecs, "exchange-rate", "BTC-USD", lambda v: True)
    verify("rate", {"a BTC-USD rate": ("exchange-rate", rate)})


def test_wallet_produces_what_its_consumers_expect(topics: tuple[ServiceConfig, Codecs]) -> None:
    from services.wallet import WalletService

    config, codecs = topics
    produce(config, codecs, "exchange-rate", [("BTC-USD", r.exchange_rate("BTC", "USD", "50000", "50010"))])
    produce(config, codecs, "account", [("acc-1", r.account("acc-1", "Ada", "Lovelace"))])
    deposit = r.transaction_request("acc-1", "DEPOSIT", "100", "BTC")
    produce(
        config,
        codecs,
        "transaction-success",
        [
            (
                "acc-1",
                {
                    "guid": deposit["guid"],
                    "account_id": "acc-1",
                    "type": "DEPOSIT",
                    "debit_amount": None,
                    "debit_currency": None,
                    "credit_amount": r.money("100"),
                    "credit_currency": "BTC",
                    "rate": None,
                    "processed_at": r.now_ms(),
                },
            )
        ],
    )
    with Running(WalletService(config)):
        wallet = latest(
            config,
            codecs,
            "wallet",
            "acc-1",
            lambda v: bool(v["balances"]) and v["total_valuation"] is not None,
        )
    verify("wallet", {"a wallet snapshot with valuations": ("wallet", wallet)})


def test_every_pacts_provider_is_verified() -> None:
    """Every provider named by a pact under contracts/pacts has a verification test here."""
    providers = {json.loads(p.read_text())["provider"]["name"] for p in PACT_DIR.glob("*.json")}
    assert providers, "no pacts under contracts/pacts"
    unverified = sorted(providers - VERIFIED_HERE)
    assert not unverified, f"pacts with no provider verification: {unverified}"


def test_a_drifted_record_fails_verification() -> None:
    """The verifier is not vacuous: a request whose amount became a JSON number breaks the pact."""
    drifted = {**r.transaction_request("acc-1", "DEPOSIT", "100", "USD"), "amount": 100}
    exchange = r.transaction_request("acc-1", "EXCHANGE", "50", "USD", "BTC")
    creation = r.account_request("acc-1", first_name="Ada", last_name="Lovelace")
    with pytest.raises(AssertionError, match=r"\$\.amount -> Expected '100' to match"):
        verify(
            "ui",
            {
                "a deposit request": ("transaction-request", drifted),
                "an exchange request": ("transaction-request", exchange),
                "an account creation request": ("account-request", creation),
            },
        )
