"""A real browser (headless Debian chromium through chromedriver) on the whole exchange.

Creates an account, deposits, exchanges, sees the wallet update and live rate ticks, and sees a
rejection for an overdraft. The core services come from the all-in-one runner
(`services.runner.build_services`: account with a SQLite store, rate replaying the recorded feed
at speed 1 so ticks keep coming, transaction, wallet); without the runner, each real service is
built here, and a service whose package is missing runs as a small stand-in below.
"""

from __future__ import annotations

import secrets
import shutil
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from confluent_kafka import Consumer, Producer

from govern.kafka import KafkaAdmin, client_config
from govern.registry.testing import registry  # noqa: F401 - the session's embedded registry
from services.common import Codecs, ServiceConfig
from services.common import records as r
from services.common.testing import create_topics
from services.transaction import TransactionService
from services.ui import UiConfig, UiService

pytestmark = [pytest.mark.browser, pytest.mark.kafka, pytest.mark.slow]

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",  # without these, the closed network makes chromium hang
    "--disable-component-update",
    "--disable-sync",
    "--window-size=1280,1100",
)


def _browser_missing() -> str | None:
    missing = [str(p) for p in (CHROMIUM, CHROMEDRIVER) if not p.exists()]
    if missing:
        return (
            f"{' and '.join(missing)} missing: run ci/setup.sh as root "
            "(apt-get install chromium chromium-driver)"
        )
    try:
        import selenium  # noqa: F401
    except ImportError:
        return "selenium is not installed: pip install -e '.[dev]'"
    return None


class StandIn:
    """A tiny consume-and-produce loop playing a service that has not landed yet (not exactly-once)."""

    def __init__(
        self,
        name: str,
        config: ServiceConfig,
        codecs: Codecs,
        reads: list[str],
        handle: Callable[[str, str, dict[str, Any]], list[tuple[str, str, dict[str, Any]]]],
        tick: Callable[[], list[tuple[str, str, dict[str, Any]]]] | None = None,
    ) -> None:
        self.name, self.config, self.codecs, self.reads, self.handle, self.tick = (
            name,
            config,
            codecs,
            reads,
            handle,
            tick,
        )

    def run(self, stop: threading.Event) -> None:
        producer = Producer(client_config(self.config.bootstrap))
        consumer = Consumer(
            client_config(
                self.config.bootstrap,
                **{
                    "group.id": f"{self.config.topic_prefix}{self.name}-{uuid.uuid4().hex[:6]}",
                    "auto.offset.reset": "earliest",
                    "isolation.level": "read_committed",
                },
            )
        )
        if self.reads:
            consumer.subscribe([self.config.topic(t) for t in self.reads])
        logical = {self.config.topic(t): t for t in self.reads}
        try:
            while not stop.is_set():
                outputs = self.tick() if self.tick else []
                for message in consumer.consume(100, 0.3) if self.reads else []:
                    if message.error() is None and message.value() is not None:
                        topic = logical[message.topic()]
                        outputs += self.handle(
                            topic, message.key().decode(), self.codecs.decode(topic, message.value())
                        )
                for topic, key, value in outputs:
                    producer.produce(self.config.topic(topic), self.codecs.encode(topic, value), key.encode())
                producer.flush(10)
                if not self.reads:
                    stop.wait(0.5)
        finally:
            consumer.close()


def stand_ins(config: ServiceConfig, codecs: Codecs) -> list[StandIn]:
    """account (request -> ACTIVE account), wallet (fold of successes, valued in USD), rate (ticks)."""

    def account(_: str, key: str, request: dict[str, Any]) -> list:
        return [("account", key, r.account(key, request["first_name"], request["last_name"]))]

    balances: dict[str, dict[str, Decimal]] = {}

    def wallet(_: str, key: str, tx: dict[str, Any]) -> list:
        held = balances.setdefault(key, {})
        if tx["debit_currency"]:
            held[tx["debit_currency"]] = held.get(tx["debit_currency"], Decimal(0)) - tx["debit_amount"]
        if tx["credit_currency"]:
            held[tx["credit_currency"]] = held.get(tx["credit_currency"], Decimal(0)) + tx["credit_amount"]
        prices = {"USD": Decimal(1), "BTC": Decimal(price["bid"])}
        rows = [
            {
                "currency": c,
                "amount": r.money(a),
                "valuation": {
                    "currency": "USD",
                    "amount": r.money((a * prices[c]).quantize(Decimal("0.00000001"))),
                    "rate_timestamp": None,
                },
            }
            for c, a in sorted(held.items())
        ]
        total = sum((Decimal(row["valuation"]["amount"]) for row in rows), Decimal(0))
        return [
            (
                "wallet",
                key,
                {
                    "account_id": key,
                    "balances": rows,
                    "updated_at": r.now_ms(),
                    "total_valuation": {"currency": "USD", "amount": r.money(total), "rate_timestamp": None},
                },
            )
        ]

    price = {"bid": Decimal("50000"), "n": 0}

    def rate() -> list:
        price["n"] += 1
        bid = Decimal("50000") + price["n"] % 7
        price["bid"] = bid
        return [
            ("exchange-rate", "BTC-USD", r.exchange_rate("BTC", "USD", bid, bid + 10)),
            ("exchange-rate", "ETH-USD", r.exchange_rate("ETH", "USD", "3000", "3001")),
        ]

    return [
        StandIn("account", config, codecs, ["account-request"], account),
        StandIn("wallet", config, codecs, ["transaction-success"], wallet),
        StandIn("rate", config, codecs, [], lambda *_: [], tick=rate),
    ]


def exchange_services(config: ServiceConfig, codecs: Codecs, tmp_path: Path) -> list[Any]:
    """The real account, wallet and rate services; a stand-in for any that is not there."""
    fallback = {s.name: s for s in stand_ins(config, codecs)}
    found: list[Any] = []
    try:
        from services.account import AccountService

        found.append(AccountService(config, store=tmp_path / "accounts.sqlite"))
    except ImportError:
        found.append(fallback["account"])
    try:
        from services.wallet import WalletService

        found.append(WalletService(config))
    except ImportError:
        found.append(fallback["wallet"])
    try:
        from services.rate import RateService

        found.append(RateService(config, speed=1.0))  # the recorded 48 s feed, ticking through the test
    except ImportError:
        found.append(fallback["rate"])
    return found


@pytest.fixture
def exchange(kafka_cluster: str, registry: str, tmp_path: Path) -> Iterator[UiService]:  # noqa: F811
    """The exchange on a private copy of the topics, the UI listening on a free port."""
    reason = _browser_missing()
    if reason:
        pytest.skip(reason)
    config = ServiceConfig(kafka_cluster, registry, topic_prefix=f"br{secrets.token_hex(4)}-")
    admin = KafkaAdmin(kafka_cluster)
    create_topics(config, admin)
    codecs = Codecs(config)
    stop = threading.Event()
    try:  # the all-in-one runner's own assembly of the core services
        from services.runner import build_services

        services = build_services(config, store=tmp_path / "accounts.sqlite", speed=1.0)
    except ImportError:
        services = [TransactionService(config), *exchange_services(config, codecs, tmp_path)]
    threads = [threading.Thread(target=s.run, args=(stop,), name=s.name, daemon=True) for s in services]
    for thread in threads:
        thread.start()
    ui = UiService(UiConfig(config, port=0)).start()
    try:
        yield ui
    finally:
        ui.stop()
        stop.set()
        for thread in threads:
            thread.join(30)
        codecs.close()
        for name in list(admin.list_topics()):
            if name.startswith(config.topic_prefix):
                admin.delete_topic(name)


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[Any]:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    profile = tempfile.mkdtemp(prefix="chromium-", dir=tmp_path)
    for flag in (*CHROMIUM_FLAGS, f"--user-data-dir={profile}"):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)
    driver.set_page_load_timeout(30)
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


def test_a_user_creates_an_account_deposits_exchanges_and_sees_an_overdraft_rejected(
    exchange: UiService, browser: Any, tmp_path: Path
) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select, WebDriverWait

    def wait(condition: Callable[[], Any], what: str, timeout: float = 45) -> Any:
        try:
            return WebDriverWait(browser, timeout, poll_frequency=0.2).until(lambda _: condition())
        except Exception:
            browser.save_screenshot(str(tmp_path / "failure.png"))
            raise AssertionError(f"{what} (screenshot: {tmp_path / 'failure.png'})") from None

    el = lambda css: browser.find_element(By.CSS_SELECTOR, css)  # noqa: E731
    browser.get(exchange.url)
    wait(lambda: el("#exchange-to").text, "the page loads its currencies")
    ticks = int(el("#rate-ticks").text)
    el("#first-name").send_keys("Ada")
    el("#last-name").send_keys("Lovelace")
    el("#create-account").click()
    wait(lambda: el("#account-state").text == "active", "the account becomes active")

    el("#deposit-amount").send_keys("1000")
    Select(el("#deposit-currency")).select_by_value("USD")
    el("#deposit-btn").click()
    wait(lambda: el('#requests-body tr[data-status="success"]'), "the deposit succeeds")
    wait(
        lambda: browser.find_elements(
            By.CSS_SELECTOR, '#wallet-body tr[data-currency="USD"][data-amount="1000"]'
        ),
        "the wallet shows 1000 USD",
    )

    el("#exchange-amount").send_keys("500")
    Select(el("#exchange-from")).select_by_value("USD")
    Select(el("#exchange-to")).select_by_value("BTC")
    el("#exchange-btn").click()
    wait(
        lambda: len(browser.find_elements(By.CSS_SELECTOR, '#requests-body tr[data-status="success"]')) == 2,
        "the exchange succeeds",
    )
    wait(
        lambda: (
            browser.find_elements(By.CSS_SELECTOR, '#wallet-body tr[data-currency="USD"][data-amount="500"]')
            and browser.find_elements(By.CSS_SELECTOR, '#wallet-body tr[data-currency="BTC"]')
        ),
        "the wallet shows 500 USD and some BTC",
    )
    btc = Decimal(el('#wallet-body tr[data-currency="BTC"]').get_attribute("data-amount"))
    assert Decimal(0) < btc < Decimal("0.1"), btc  # 500 USD at a BTC price in the tens of thousands

    wait(
        lambda: el('#rates-body tr[data-pair="BTC-USD"]') and int(el("#rate-ticks").text) > ticks,
        "a live rate tick arrives",
    )

    el("#withdraw-amount").send_keys("100000")
    Select(el("#withdraw-currency")).select_by_value("USD")
    el("#withdraw-btn").click()
    rejected = wait(
        lambda: browser.find_elements(By.CSS_SELECTOR, '#requests-body tr[data-status="rejected"]'),
        "the overdraft is rejected",
    )
    assert "INSUFFICIENT_FUNDS" in rejected[0].text
    time.sleep(0.5)  # let the next rate tick flash before the picture
    shot = tmp_path / "ui.png"
    browser.save_screenshot(str(shot))
    print(f"screenshot: {shot}")
    assert shot.stat().st_size > 10_000
