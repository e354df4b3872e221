"""Consumer side of the message contracts: each consumer's tests write a Pact (V4 asynchronous
message, no broker) for the JSON form of the decoded records it reads, and feed the pact's
example through the consumer's real handler.

The contract is the *decoded* record in its JSON form (decimals as strings, timestamps as epoch
milliseconds, `services.ui.records.plain`): framed Avro bytes change with every schema id, so
the wire level is guarded by schema compatibility instead. Each interaction's metadata names the
topic, which `govern release-plan` uses (govern/plan/pacts.py). Files go to contracts/pacts/,
overwritten with stable content so a test run leaves git clean.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import uuid
from collections.abc import Callable, Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from pact import Pact, match

from govern.catalog import load_catalog
from services.account.store import AccountStore, account_value
from services.common.pricing import price_exchange
from services.common.records import rate_from_record
from services.transaction.rules import Applied, Request, decide
from services.ui.views import Views
from services.wallet.valuation import apply_transaction, wallet_record

os.environ.setdefault("PACT_DO_NOT_TRACK", "true")
ROOT = Path(__file__).resolve().parents[2]
PACT_DIR = ROOT / "contracts" / "pacts"
CATALOG = load_catalog(ROOT)
GUID = "6f1c2a9e-3b4d-4e5f-8a7b-9c0d1e2f3a4b"
STAMP = 1764000000000

DECIMAL = r"^-?\d+\.\d{8}$"  # decimal(24, 8) as text: always 8 decimals, never a JSON number
UUID = r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$"


def amount(example: str) -> Any:
    return match.regex(example, regex=DECIMAL)


def guid() -> Any:
    return match.regex(GUID, regex=UUID)


def one_of(example: str, *symbols: str) -> Any:
    return match.regex(example, regex=f"^({'|'.join(symbols)})$")


def millis() -> Any:
    return match.int(STAMP)


def message(pact: Pact, description: str, topic: str, body: dict[str, Any]) -> None:
    """Declare one asynchronous message: its body (with matchers) and the topic it comes from."""
    (
        pact.upon_receiving(description, "Async")
        .with_body(body, "application/json")
        .with_metadata({"topic": topic})
    )


def decoded(topic: str, body: Any) -> Any:
    """The pact's JSON example as the consumer's codec would hand it over (Decimal, datetime, UUID)."""
    return _from_plain(
        json.loads(body) if isinstance(body, str | bytes) else body,
        CATALOG.topic(topic).value_schema.expanded,
    )


def _from_plain(value: Any, schema: Any) -> Any:
    if isinstance(schema, list):  # a union: null, or the first branch that fits
        if value is None:
            return None
        branches = [b for b in schema if b != "null"]
        kind = dict if isinstance(value, dict) else None
        for branch in branches:
            if kind is dict and isinstance(branch, dict) and branch.get("type") == "record":
                return _from_plain(value, branch)
        return _from_plain(value, branches[0])
    if isinstance(schema, dict):
        logical, kind = schema.get("logicalType"), schema.get("type")
        if kind == "record":
            fields = {f["name"]: f["type"] for f in schema["fields"]}
            return {k: _from_plain(v, fields[k]) if k in fields else v for k, v in value.items()}
        if kind == "array":
            return [_from_plain(v, schema["items"]) for v in value]
        if logical == "decimal":
            return Decimal(value).quantize(Decimal(1).scaleb(-schema["scale"]))
        if logical == "timestamp-millis":
            return dt.datetime.fromtimestamp(value / 1000, dt.UTC)
        if logical == "uuid":
            return uuid.UUID(value)
    return value


def pact_fixture(consumer: str, provider: str) -> Any:
    """A module-scoped fixture `<consumer>_<provider>`: a V4 pact, written to contracts/pacts/ at teardown."""

    @pytest.fixture(scope="module", name=f"{consumer}_{provider}")
    def fixture() -> Iterator[Pact]:
        pact = Pact(consumer, provider).with_specification("V4")
        yield pact
        pact.write_file(PACT_DIR, overwrite=True)

    return fixture


# ---------------------------------------------------------------- ui


ui_wallet = pact_fixture("ui", "wallet")
ui_transaction = pact_fixture("ui", "transaction")
ui_rate = pact_fixture("ui", "rate")
ui_account = pact_fixture("ui", "account")


def ui_handler(topic: str, views: Views, key: str) -> Callable[[Any, Any], None]:
    """The UI's real consumer handler: the plain record into its views (what its Kafka feed does)."""
    return lambda body, _metadata: views.apply(topic, key, json.loads(body))


def test_ui_reads_wallet_snapshots_with_valuations(ui_wallet: Pact) -> None:
    valuation = {"currency": match.str("USD"), "amount": amount("25000.00000000")}
    message(
        ui_wallet,
        "a wallet snapshot with valuations",
        "wallet",
        {
            "account_id": match.str("acc-1"),
            "balances": match.each_like(
                {"currency": match.str("BTC"), "amount": amount("0.50000000"), "valuation": valuation}
            ),
            "total_valuation": valuation,
            "updated_at": millis(),
        },
    )
    views = Views()
    ui_wallet.verify(ui_handler("wallet", views, "acc-1"), "Async")
    assert views.wallet("acc-1")["balances"][0]["amount"] == "0.50000000"


def test_ui_reads_applied_transactions_and_rejections(ui_transaction: Pact) -> None:
    message(
        ui_transaction,
        "a deposit applied",
        "transaction-success",
        {
            "guid": guid(),
            "account_id": match.str("acc-1"),
            "type": one_of("DEPOSIT", "DEPOSIT"),
            "credit_amount": amount("100.00000000"),
            "credit_currency": match.str("USD"),
        },
    )
    message(
        ui_transaction,
        "an exchange applied with its rate",
        "transaction-success",
        {
            "guid": guid(),
            "account_id": match.str("acc-1"),
            "type": one_of("EXCHANGE", "EXCHANGE"),
            "debit_amount": amount("50.00000000"),
            "debit_currency": match.str("USD"),
            "credit_amount": amount("0.00099980"),
            "credit_currency": match.str("BTC"),
            "rate": {
                "base": match.str("BTC"),
                "quote": match.str("USD"),
                "side": one_of("ASK", "BID", "ASK"),
                "price": amount("50010.00000000"),
            },
        },
    )
    message(
        ui_transaction,
        "a withdrawal rejected for insufficient funds",
        "transaction-failed",
        {
            "guid": guid(),
            "account_id": match.str("acc-1"),
            "type": one_of("WITHDRAW", "WITHDRAW"),
            "reason": one_of("INSUFFICIENT_FUNDS", "INSUFFICIENT_FUNDS"),
            "message": match.str("balance too low"),
        },
    )
    seen: list[dict[str, Any]] = []

    def handle(body: Any, metadata: Any) -> None:
        views = Views()
        record = json.loads(body)
        views.apply(metadata["topic"], record["account_id"], record)
        seen.append(views.outcome(record["guid"]))

    ui_transaction.verify(handle, "Async")
    assert sorted(o["status"] for o in seen) == ["rejected", "success", "success"]


def test_ui_reads_exchange_rates(ui_rate: Pact) -> None:
    message(
        ui_rate,
        "a BTC-USD rate",
        "exchange-rate",
        {
            "base": match.str("BTC"),
            "quote": match.str("USD"),
            "bid": amount("50000.00000000"),
            "ask": amount("50010.00000000"),
            "timestamp": millis(),
        },
    )
    views = Views()
    ui_rate.verify(ui_handler("exchange-rate", views, "BTC-USD"), "Async")
    assert views.latest_rates()[0]["pair"] == "BTC-USD"


def test_ui_reads_accounts(ui_account: Pact) -> None:
    message(
        ui_account,
        "an active account",
        "account",
        {
            "account_id": match.str("acc-1"),
            "first_name": match.str("Ada"),
            "last_name": match.str("Lovelace"),
            "status": one_of("ACTIVE", "ACTIVE", "CLOSED"),
        },
    )
    views = Views()
    ui_account.verify(ui_handler("account", views, "acc-1"), "Async")
    assert views.account("acc-1")["status"] == "ACTIVE"


# ---------------------------------------------------------------- transaction


transaction_ui = pact_fixture("transaction", "ui")
transaction_account = pact_fixture("transaction", "account")
transaction_rate = pact_fixture("transaction", "rate")


def test_transaction_reads_requests(transaction_ui: Pact) -> None:
    message(
        transaction_ui,
        "a deposit request",
        "transaction-request",
        {
            "guid": guid(),
            "account_id": match.str("acc-1"),
            "type": one_of("DEPOSIT", "DEPOSIT"),
            "amount": amount("100.00000000"),
            "currency": match.str("USD"),
        },
    )
    message(
        transaction_ui,
        "an exchange request",
        "transaction-request",
        {
            "guid": guid(),
            "account_id": match.str("acc-1"),
            "type": one_of("EXCHANGE", "EXCHANGE"),
            "amount": amount("50.00000000"),
            "currency": match.str("USD"),
            "target_currency": match.str("BTC"),
        },
    )
    outcomes: list[Any] = []

    def handle(body: Any, metadata: Any) -> None:
        request = Request.from_record(decoded(metadata["topic"], body))
        rates = {
            "BTC-USD": rate_from_record(
                {
                    "base": "BTC",
                    "quote": "USD",
                    "bid": Decimal("50000"),
                    "ask": Decimal("50010"),
                    "timestamp": STAMP,
                }
            )
        }
        outcomes.append(
            decide(request, balance=lambda _: Decimal("1000"), account_status="ACTIVE", rates=rates)
        )

    transaction_ui.verify(handle, "Async")
    assert all(isinstance(o, Applied) for o in outcomes), outcomes


def test_transaction_reads_accounts(transaction_account: Pact) -> None:
    message(
        transaction_account,
        "an active account",
        "account",
        {
            "account_id": match.str("acc-1"),
            "status": one_of("ACTIVE", "ACTIVE", "CLOSED"),
        },
    )
    statuses: list[str] = []

    def handle(body: Any, metadata: Any) -> None:
        account = decoded(metadata["topic"], body)  # the service keeps the record and reads its status
        request = Request(GUID, account["account_id"], "DEPOSIT", Decimal("1"), "USD")
        assert isinstance(
            decide(request, balance=lambda _: Decimal(0), account_status=account["status"], rates={}), Applied
        )
        statuses.append(account["status"])

    transaction_account.verify(handle, "Async")
    assert statuses == ["ACTIVE"]


def test_transaction_reads_rates(transaction_rate: Pact) -> None:
    message(
        transaction_rate,
        "a BTC-USD rate",
        "exchange-rate",
        {
            "base": match.str("BTC"),
            "quote": match.str("USD"),
            "bid": amount("50000.00000000"),
            "ask": amount("50010.00000000"),
            "timestamp": millis(),
        },
    )
    priced: list[Any] = []

    def handle(body: Any, metadata: Any) -> None:
        rate = rate_from_record(decoded(metadata["topic"], body))
        priced.append(price_exchange(Decimal("1"), "BTC", "USD", {rate.key: rate}))

    transaction_rate.verify(handle, "Async")
    assert priced[0] is not None and priced[0].credit == Decimal("50000.00000000")


# ---------------------------------------------------------------- account


account_ui = pact_fixture("account", "ui")


def test_account_reads_creation_requests(account_ui: Pact) -> None:
    message(
        account_ui,
        "an account creation request",
        "account-request",
        {
            "guid": guid(),
            "account_id": match.str("acc-1"),
            "action": one_of("CREATE", "CREATE"),
            "first_name": match.str("Ada"),
            "last_name": match.str("Lovelace"),
            "requested_at": millis(),
        },
    )
    applied: list[Any] = []

    def handle(body: Any, metadata: Any) -> None:
        store = AccountStore(":memory:")  # the sink's real SQL apply
        try:
            applied.append(store.apply(decoded(metadata["topic"], body), stamp=STAMP))
            applied.append(store.changed_since(0, "", until=STAMP + 1))
        finally:
            store.close()

    account_ui.verify(handle, "Async")
    assert applied[0].changed and applied[0].outcome == "created", applied[0]
    assert [account_value(row)["status"] for row in applied[1]] == ["ACTIVE"]


# ---------------------------------------------------------------- wallet


wallet_account = pact_fixture("wallet", "account")
wallet_transaction = pact_fixture("wallet", "transaction")
wallet_rate = pact_fixture("wallet", "rate")


def test_wallet_reads_accounts(wallet_account: Pact) -> None:
    message(wallet_account, "an active account", "account", {"account_id": match.str("acc-1")})
    opened: list[Any] = []
    wallet_account.verify(
        lambda body, metadata: opened.append(
            wallet_record(decoded(metadata["topic"], body)["account_id"], {}, {}, "USD", STAMP)
        ),
        "Async",
    )
    assert opened[0]["account_id"] == "acc-1" and opened[0]["balances"] == []


def test_wallet_reads_applied_transactions(wallet_transaction: Pact) -> None:
    message(
        wallet_transaction,
        "a deposit applied",
        "transaction-success",
        {
            "account_id": match.str("acc-1"),
            "credit_amount": amount("100.00000000"),
            "credit_currency": match.str("USD"),
        },
    )
    message(
        wallet_transaction,
        "an exchange applied with its rate",
        "transaction-success",
        {
            "account_id": match.str("acc-1"),
            "debit_amount": amount("50.00000000"),
            "debit_currency": match.str("USD"),
            "credit_amount": amount("0.00099980"),
            "credit_currency": match.str("BTC"),
        },
    )
    balances: dict[str, Decimal] = {"USD": Decimal("100")}

    def handle(body: Any, metadata: Any) -> None:
        balances.update(apply_transaction(balances, decoded(metadata["topic"], body)))

    wallet_transaction.verify(handle, "Async")
    assert balances["BTC"] == Decimal("0.00099980")


def test_wallet_reads_rates(wallet_rate: Pact) -> None:
    message(
        wallet_rate,
        "a BTC-USD rate",
        "exchange-rate",
        {
            "base": match.str("BTC"),
            "quote": match.str("USD"),
            "bid": amount("50000.00000000"),
            "ask": amount("50010.00000000"),
            "timestamp": millis(),
        },
    )
    valued: list[Any] = []

    def handle(body: Any, metadata: Any) -> None:
        rate = rate_from_record(decoded(metadata["topic"], body))  # as the wallet service builds its Rate
        valued.append(wallet_record("acc-1", {"BTC": Decimal("2")}, {rate.key: rate}, "USD", STAMP))

    wallet_rate.verify(handle, "Async")
    assert valued[0]["total_valuation"]["amount"] == Decimal("100000.00000000")
