"""A real browser (headless Debian chromium through chromedriver) on the whole exchange.

Creates an account, deposits, exchanges, sees the wallet update and live rate ticks, and sees a
rejection for an overdraft. The core services come from the all-in-one runner
(`services.runner.build_services`: account with a SQLite store, rate replaying the recorded feed
at speed 1 so ticks keep coming, transaction, wallet). Outside CI a machine without chromium
skips with the reason; in CI (where ci/setup.sh installs it) a missing browser fails.
"""

from __future__ import annotations

import os
import secrets
import shutil
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from govern.kafka import KafkaAdmin
from services.common import ServiceConfig
from services.common.topics import create_topics
from services.runner import build_services
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
    """Why the browser cannot run here, or None."""
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


@pytest.fixture
def exchange(kafka_cluster: str, registry: str, tmp_path: Path) -> Iterator[UiService]:  # noqa: F811
    """The exchange on a private copy of the topics, the UI listening on a free port."""
    reason = _browser_missing()
    if reason and os.environ.get("CI"):
        pytest.fail(f"CI must run the browser test: {reason}")
    if reason:
        pytest.skip(reason)
    config = ServiceConfig(kafka_cluster, registry, topic_prefix=f"br{secrets.token_hex(4)}-")
    admin = KafkaAdmin(kafka_cluster)
    create_topics(config, admin)
    stop = threading.Event()
    # The all-in-one runner's own assembly of the core services; the recorded 48 s rate feed at
    # speed 1 keeps ticking through the test.
    services = build_services(config, store=tmp_path / "accounts.sqlite", speed=1.0)
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
