"""The UI service on real Kafka and the real registry: requests become records, views follow topics.

The other services do not run here: the test plays them by writing their records (account,
wallet, rates, outcomes) with the shared codecs, and reads what the UI published.
"""

from __future__ import annotations

import json
import secrets
import time
from collections.abc import Callable, Iterator
from decimal import Decimal
from typing import Any

import httpx
import pytest

from govern.kafka import KafkaAdmin
from services.common import Codecs, ServiceConfig
from services.common import records as r
from services.common.topics import create_topics, delete_topics, produce, read_topic
from services.transaction.rules import DEFAULT_CURRENCIES as TRANSACTION_CURRENCIES
from services.ui import UiConfig, UiService
from services.ui.records import DEFAULT_CURRENCIES

JSON_TYPE = {"content-type": "application/json"}

pytestmark = [pytest.mark.kafka, pytest.mark.slow]


class Exchange:
    """A private copy of the topics, the UI on it, and an HTTP client for the UI."""

    def __init__(self, config: ServiceConfig, codecs: Codecs, ui: UiService) -> None:
        self.config, self.codecs, self.ui = config, codecs, ui
        self.http = httpx.Client(base_url=ui.url, timeout=10)

    def produce(self, topic: str, *records: tuple[str, dict[str, Any]]) -> None:
        produce(self.config, self.codecs, topic, records)

    def account(self, first: str = "Ada", last: str = "Lovelace") -> tuple[str, dict[str, str]]:
        """Create an account through the API and play the account service publishing it."""
        answer = self.http.post("/api/accounts", json={"first_name": first, "last_name": last})
        assert answer.status_code == 202, answer.text
        account_id = answer.json()["account_id"]
        self.produce("account", (account_id, r.account(account_id, first, last)))
        return account_id, {"Authorization": f"Bearer {answer.json()['token']}"}


@pytest.fixture(scope="module")
def exchange(kafka_cluster: str, registry: str) -> Iterator[Exchange]:  # noqa: F811
    config = ServiceConfig(kafka_cluster, registry, topic_prefix=f"ui{secrets.token_hex(4)}-")
    admin = KafkaAdmin(kafka_cluster)
    create_topics(config, admin)
    codecs = Codecs(config)
    ui = UiService(UiConfig(config, port=0)).start()
    try:
        yield Exchange(config, codecs, ui)
    finally:
        ui.stop()
        codecs.close()
        delete_topics(config, admin)


def eventually(check: Callable[[], Any], timeout: float = 15.0) -> Any:
    """The first truthy result of `check`, polling; fails after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result:
            return result
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.1)


def test_currencies_are_the_transaction_services() -> None:
    assert set(DEFAULT_CURRENCIES) == set(TRANSACTION_CURRENCIES)


def test_create_account_publishes_a_request_and_shows_the_account_once_published(exchange: Exchange) -> None:
    answer = exchange.http.post(
        "/api/accounts", json={"first_name": "Grace", "last_name": "Hopper", "email": "grace@example.org"}
    )
    assert answer.status_code == 202
    created = answer.json()
    account_id, headers = created["account_id"], {"Authorization": f"Bearer {created['token']}"}
    requests = [
        v
        for k, v in read_topic(exchange.config, exchange.codecs, "account-request", idle=0.3)
        if k == account_id
    ]
    assert len(requests) == 1
    assert requests[0]["action"] == "CREATE" and requests[0]["first_name"] == "Grace"
    assert str(requests[0]["guid"]) == created["guid"]
    assert exchange.http.get(f"/api/accounts/{account_id}", headers=headers).json()["state"] == "pending"

    exchange.produce("account", (account_id, r.account(account_id, "Grace", "Hopper")))
    shown = eventually(
        lambda: (
            (a := exchange.http.get(f"/api/accounts/{account_id}", headers=headers).json())["state"]
            == "active"
            and a
        )
    )
    assert shown["account"]["last_name"] == "Hopper"


def test_requests_are_published_keyed_by_account_and_answer_202_with_the_guid(exchange: Exchange) -> None:
    account_id, headers = exchange.account()
    base = f"/api/accounts/{account_id}"
    bodies = [
        ("deposits", {"amount": "100.50", "currency": "USD"}),
        ("withdrawals", {"amount": "0.25", "currency": "USD"}),
        ("exchanges", {"amount": "10", "currency": "USD", "target_currency": "BTC"}),
    ]
    guids = []
    for path, body in bodies:
        answer = exchange.http.post(f"{base}/{path}", json=body, headers=headers)
        assert answer.status_code == 202, answer.text
        assert answer.json()["status"] == "pending"
        guids.append(answer.json()["guid"])
    published = {
        str(v["guid"]): (k, v)
        for k, v in read_topic(exchange.config, exchange.codecs, "transaction-request", idle=0.3)
    }
    kinds = [published[g][1]["type"] for g in guids]
    assert kinds == ["DEPOSIT", "WITHDRAW", "EXCHANGE"]
    assert all(published[g][0] == account_id for g in guids)
    assert published[guids[0]][1]["amount"] == Decimal("100.50")
    assert published[guids[2]][1]["target_currency"] == "BTC"
    outcome = exchange.http.get(f"{base}/requests/{guids[0]}", headers=headers).json()
    assert outcome["status"] == "pending" and outcome["request"]["amount"] == "100.50000000"


def test_outcomes_by_guid_show_success_with_amounts_and_rate_or_rejection_with_reason(
    exchange: Exchange,
) -> None:
    account_id, headers = exchange.account()
    base = f"/api/accounts/{account_id}"
    deposit = exchange.http.post(
        f"{base}/deposits", json={"amount": "100", "currency": "USD"}, headers=headers
    ).json()["guid"]
    swap = exchange.http.post(
        f"{base}/exchanges",
        json={"amount": "50", "currency": "USD", "target_currency": "BTC"},
        headers=headers,
    ).json()["guid"]
    overdraft = exchange.http.post(
        f"{base}/withdrawals", json={"amount": "1000", "currency": "USD"}, headers=headers
    ).json()["guid"]
    stamp = r.now_ms()
    exchange.produce(
        "transaction-success",
        (account_id, success(deposit, account_id, "DEPOSIT", None, None, "100", "USD", stamp)),
    )
    exchange.produce(
        "transaction-success",
        (
            account_id,
            {
                **success(swap, account_id, "EXCHANGE", "50", "USD", "0.001", "BTC", stamp),
                "rate": {
                    "base": "BTC",
                    "quote": "USD",
                    "side": "ASK",
                    "price": r.money("50000"),
                    "rate_timestamp": stamp,
                },
            },
        ),
    )
    exchange.produce(
        "transaction-failed",
        (
            account_id,
            {
                "guid": overdraft,
                "account_id": account_id,
                "type": "WITHDRAW",
                "amount": r.money("1000"),
                "currency": "USD",
                "target_currency": None,
                "reason": "INSUFFICIENT_FUNDS",
                "message": "balance 50.00000000 USD is below 1000.00000000 USD",
                "rejected_at": stamp,
            },
        ),
    )

    def status(guid: str) -> dict[str, Any]:
        return exchange.http.get(f"{base}/requests/{guid}", headers=headers).json()

    eventually(lambda: status(overdraft)["status"] == "rejected")
    assert status(deposit)["outcome"]["credit_amount"] == "100.00000000"
    exchanged = status(swap)
    assert exchanged["status"] == "success"
    assert exchanged["outcome"]["debit_amount"] == "50.00000000"
    assert exchanged["outcome"]["credit_amount"] == "0.00100000"
    assert exchanged["outcome"]["rate"] == {
        "base": "BTC",
        "quote": "USD",
        "side": "ASK",
        "price": "50000.00000000",
        "rate_timestamp": stamp,
    }
    rejected = status(overdraft)["outcome"]
    assert rejected["reason"] == "INSUFFICIENT_FUNDS" and "below" in rejected["message"]
    listed = exchange.http.get(f"{base}/requests", headers=headers).json()["requests"]
    assert [item["guid"] for item in listed] == [overdraft, swap, deposit]


def success(
    guid: str,
    account_id: str,
    kind: str,
    debit: str | None,
    debit_currency: str | None,
    credit: str | None,
    credit_currency: str | None,
    stamp: int,
) -> dict[str, Any]:
    return {
        "guid": guid,
        "account_id": account_id,
        "type": kind,
        "debit_amount": r.money(debit) if debit else None,
        "debit_currency": debit_currency,
        "credit_amount": r.money(credit) if credit else None,
        "credit_currency": credit_currency,
        "rate": None,
        "processed_at": stamp,
    }


def test_wallet_with_valuation_comes_from_the_wallet_topic(exchange: Exchange) -> None:
    account_id, headers = exchange.account()
    path = f"/api/accounts/{account_id}/wallet"
    assert exchange.http.get(path, headers=headers).status_code == 404
    stamp = r.now_ms()
    usd = {
        "currency": "USD",
        "amount": r.money("40"),
        "valuation": {"currency": "USD", "amount": r.money("40"), "rate_timestamp": None},
    }
    btc = {
        "currency": "BTC",
        "amount": r.money("0.5"),
        "valuation": {"currency": "USD", "amount": r.money("25000"), "rate_timestamp": stamp},
    }
    exchange.produce(
        "wallet",
        (
            account_id,
            {
                "account_id": account_id,
                "balances": [btc, usd],
                "total_valuation": {"currency": "USD", "amount": r.money("25040"), "rate_timestamp": stamp},
                "updated_at": stamp,
            },
        ),
    )
    wallet = eventually(
        lambda: (w := exchange.http.get(path, headers=headers)).status_code == 200 and w.json()
    )
    assert [(b["currency"], b["amount"]) for b in wallet["balances"]] == [
        ("BTC", "0.50000000"),
        ("USD", "40.00000000"),
    ]
    assert wallet["total_valuation"]["amount"] == "25040.00000000"


def test_rates_stream_sends_the_latest_rate_per_pair_first_then_live_ticks(exchange: Exchange) -> None:
    exchange.produce(
        "exchange-rate",
        ("BTC-USD", r.exchange_rate("BTC", "USD", "49000", "49010")),
        ("BTC-USD", r.exchange_rate("BTC", "USD", "50000", "50010")),
        ("ETH-USD", r.exchange_rate("ETH", "USD", "3000", "3001")),
    )
    eventually(
        lambda: (
            len(exchange.http.get("/api/rates").json()["rates"]) >= 2
            and exchange.http.get("/api/rates").json()["rates"][0]["bid"] == "50000.00000000"
        )
    )
    seen: list[dict[str, Any]] = []
    with exchange.http.stream("GET", "/api/rates/stream") as stream:
        assert stream.headers["content-type"].startswith("text/event-stream")
        lines = stream.iter_lines()
        while len(seen) < 2:
            line = next(lines)
            if line.startswith("data: "):
                seen.append(json.loads(line[6:]))
        assert [(s["pair"], s["bid"]) for s in seen] == [
            ("BTC-USD", "50000.00000000"),
            ("ETH-USD", "3000.00000000"),
        ]
        exchange.produce("exchange-rate", ("BTC-USD", r.exchange_rate("BTC", "USD", "51000", "51010")))
        while True:
            line = next(lines)
            if line.startswith("data: "):
                tick = json.loads(line[6:])
                break
    assert (tick["pair"], tick["bid"], tick["ask"]) == ("BTC-USD", "51000.00000000", "51010.00000000")


def test_an_accounts_data_needs_its_token_and_another_token_gets_403(exchange: Exchange) -> None:
    mine, my_headers = exchange.account()
    _, other_headers = exchange.account("Alan", "Turing")
    guid = exchange.http.post(
        f"/api/accounts/{mine}/deposits", json={"amount": "1", "currency": "EUR"}, headers=my_headers
    ).json()["guid"]
    for method, path, body in [
        ("GET", f"/api/accounts/{mine}", None),
        ("GET", f"/api/accounts/{mine}/wallet", None),
        ("GET", f"/api/accounts/{mine}/requests", None),
        ("GET", f"/api/accounts/{mine}/requests/{guid}", None),
        ("POST", f"/api/accounts/{mine}/deposits", {"amount": "1", "currency": "EUR"}),
        (
            "POST",
            f"/api/accounts/{mine}/exchanges",
            {"amount": "1", "currency": "EUR", "target_currency": "BTC"},
        ),
    ]:
        assert exchange.http.request(method, path, json=body).status_code == 401, path
        assert exchange.http.request(method, path, json=body, headers=other_headers).status_code == 403, path
        bad = {"Authorization": "Bearer nope"}
        assert exchange.http.request(method, path, json=body, headers=bad).status_code == 403, path
    assert exchange.http.get(f"/api/accounts/{mine}/requests/{guid}", headers=my_headers).status_code == 200


@pytest.mark.parametrize(
    ("path", "body", "field", "words"),
    [
        ("deposits", {"amount": "10", "currency": "XYZ"}, "currency", "not traded"),
        ("deposits", {"amount": "-5", "currency": "USD"}, "amount", "greater than zero"),
        ("deposits", {"amount": "0", "currency": "USD"}, "amount", "greater than zero"),
        ("deposits", {"amount": "ten", "currency": "USD"}, "amount", "decimal number"),
        ("deposits", {"amount": 10, "currency": "USD"}, "amount", "decimal string"),
        ("deposits", {"amount": "1.123456789", "currency": "USD"}, "amount", "8 decimal places"),
        ("deposits", {"currency": "USD"}, "amount", "required"),
        ("withdrawals", {"amount": "1"}, "currency", "required"),
        ("exchanges", {"amount": "1", "currency": "USD"}, "target_currency", "required"),
        (
            "exchanges",
            {"amount": "1", "currency": "USD", "target_currency": "USD"},
            "target_currency",
            "differ",
        ),
        (
            "exchanges",
            {"amount": "1", "currency": "USD", "target_currency": "DOGE"},
            "target_currency",
            "not traded",
        ),
        ("deposits", {"amount": "1", "currency": "USD", "memo": "x"}, "memo", "unknown field"),
        ("deposits", ["not", "an", "object"], None, "JSON object"),
    ],
)
def test_bad_requests_get_422_with_a_clear_message_and_publish_nothing(
    exchange: Exchange, path: str, body: Any, field: str | None, words: str
) -> None:
    account_id, headers = exchange.account()
    before = KafkaAdmin(exchange.config.bootstrap).end_offsets(exchange.config.topic("transaction-request"))
    answer = exchange.http.post(f"/api/accounts/{account_id}/{path}", json=body, headers=headers)
    assert answer.status_code == 422
    assert answer.json()["field"] == field and words in answer.json()["error"]
    after = KafkaAdmin(exchange.config.bootstrap).end_offsets(exchange.config.topic("transaction-request"))
    assert after == before
    assert exchange.http.get(f"/api/accounts/{account_id}/requests", headers=headers).json()["requests"] == []


def test_bad_account_creation_gets_422_and_publishes_nothing(exchange: Exchange) -> None:
    topic = exchange.config.topic("account-request")
    before = KafkaAdmin(exchange.config.bootstrap).end_offsets(topic)
    for body, field in [
        ({"first_name": "A"}, "last_name"),
        ({"first_name": "", "last_name": "B"}, "first_name"),
        ({"first_name": "A", "last_name": "B", "email": "nope"}, "email"),
    ]:
        answer = exchange.http.post("/api/accounts", json=body)
        assert answer.status_code == 422 and answer.json()["field"] == field, answer.text
    assert exchange.http.post("/api/accounts", content=b"{not json", headers=JSON_TYPE).status_code == 400
    assert KafkaAdmin(exchange.config.bootstrap).end_offsets(topic) == before


def test_a_cross_site_form_post_cannot_create_an_account(exchange: Exchange) -> None:
    topic = exchange.config.topic("account-request")
    before = KafkaAdmin(exchange.config.bootstrap).end_offsets(topic)
    body = json.dumps({"first_name": "Eve", "last_name": "Mallory"})
    for media in ("text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x"):
        answer = exchange.http.post("/api/accounts", content=body, headers={"content-type": media})
        assert answer.status_code == 415, (media, answer.text)
    deep = "[" * 5000 + "]" * 5000
    assert exchange.http.post("/api/accounts", content=deep, headers=JSON_TYPE).status_code == 400
    assert KafkaAdmin(exchange.config.bootstrap).end_offsets(topic) == before


def test_the_page_and_the_openapi_document_are_served(exchange: Exchange) -> None:
    page = exchange.http.get("/")
    assert page.status_code == 200 and "govern exchange" in page.text
    assert exchange.http.get("/static/app.js").status_code == 200
    document = exchange.http.get("/openapi.json").json()
    assert (
        document["openapi"].startswith("3.1") and "/api/accounts/{account_id}/exchanges" in document["paths"]
    )


def test_a_poison_record_is_skipped_and_the_feed_goes_on(exchange: Exchange) -> None:
    from confluent_kafka import Producer

    from govern.kafka import client_config

    account_id, headers = exchange.account()
    producer = Producer(client_config(exchange.config.bootstrap))
    producer.produce(exchange.config.topic("wallet"), b"not avro at all", account_id.encode())
    producer.produce(exchange.config.topic("exchange-rate"), b"\x00\x00\x00\x00\x01junk", b"BTC-USD")
    assert producer.flush(10) == 0
    errors = exchange.ui.feed.errors
    stamp = r.now_ms()
    exchange.produce(
        "wallet",
        (
            account_id,
            {"account_id": account_id, "balances": [], "total_valuation": None, "updated_at": stamp},
        ),
    )
    path = f"/api/accounts/{account_id}/wallet"
    eventually(lambda: exchange.http.get(path, headers=headers).status_code == 200)
    assert exchange.ui.feed.errors >= errors + 2
