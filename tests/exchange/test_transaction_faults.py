"""Fault test: the transaction service SIGKILLed mid-stream, several times, loses and doubles nothing.

N random requests (deposits, withdrawals, exchanges, some invalid, some re-sent with the same
guid) over A accounts are answered by `python -m services.transaction` in a subprocess that is
SIGKILLed at least K times while it works and restarted each time. Then: every guid has exactly
one outcome; each outcome and the final balances equal a sequential model of the requests
(per account, in order, written independently of the service's rules); no balance is negative;
and the wallet service, run on the outcomes, agrees with the balances.

Scale with FAULT_REQUESTS (default 5000), FAULT_ACCOUNTS (50), FAULT_KILLS (3).
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from decimal import ROUND_DOWN, Decimal
from pathlib import Path

import pytest
from confluent_kafka import OFFSET_BEGINNING, Consumer, KafkaError, TopicPartition
from exchange_testing import Running, private_topics

from govern.kafka import client_config
from services.common import Codecs, ServiceConfig
from services.common import records as r
from services.common.topics import latest, produce, read_topic, wait_for
from services.wallet import WalletService

pytestmark = [pytest.mark.kafka, pytest.mark.slow]

REQUESTS = int(os.environ.get("FAULT_REQUESTS", "5000"))
ACCOUNTS = int(os.environ.get("FAULT_ACCOUNTS", "50"))
KILLS = int(os.environ.get("FAULT_KILLS", "3"))
RATES = {
    "BTC-USD": (Decimal("50000.00"), Decimal("50050.00")),
    "EUR-USD": (Decimal("1.0800"), Decimal("1.0900")),
}
EIGHT = Decimal("0.00000001")


@pytest.fixture
def exchange(kafka_cluster: str, registry: str) -> Iterator[tuple[ServiceConfig, Codecs]]:
    """A private copy of the exchange's topics (unique prefix), deleted afterwards."""
    with private_topics(kafka_cluster, registry, "f") as exchange:
        yield exchange


def generate(rng: random.Random) -> list[dict]:
    """Random requests; about 2% re-send an earlier request (same guid), 2% are invalid."""
    accounts = [f"acc-{i:03d}" for i in range(ACCOUNTS)]
    requests: list[dict] = []
    for _ in range(REQUESTS):
        roll = rng.random()
        if requests and roll < 0.02:
            requests.append(dict(rng.choice(requests)))  # a client's retry: same guid
            continue
        account = rng.choice(accounts) if roll > 0.03 else "ghost"  # 1% unknown accounts
        kind = rng.choices(["DEPOSIT", "WITHDRAW", "EXCHANGE"], weights=[4, 3, 3])[0]
        currency = rng.choice(["USD", "EUR", "BTC"])
        amount = {"USD": rng.randint(1, 200_000) / 100, "EUR": rng.randint(1, 100_000) / 100,
                  "BTC": rng.randint(1, 300_000) / 10**6}[currency]  # fmt: skip
        amount = str(amount) if rng.random() > 0.01 else "0"
        target = (
            rng.choice([c for c in ("USD", "EUR", "BTC") if c != currency]) if kind == "EXCHANGE" else None
        )
        requests.append(r.transaction_request(account, kind, amount, currency, target))
    return requests


def model(requests: list[dict]) -> tuple[dict[str, str], dict[tuple[str, str], Decimal]]:
    """guid -> "applied" or the rejection reason, and the final balances, computed sequentially."""
    balances: dict[tuple[str, str], Decimal] = {}
    outcome: dict[str, str] = {}
    for q in requests:
        guid, account, amount, currency = q["guid"], q["account_id"], q["amount"], q["currency"]
        if guid in outcome:
            continue
        held = balances.get((account, currency), Decimal(0))
        if amount <= 0:
            outcome[guid] = "INVALID_AMOUNT"
        elif account == "ghost":
            outcome[guid] = "UNKNOWN_ACCOUNT"
        elif q["type"] == "DEPOSIT":
            balances[(account, currency)] = held + amount
            outcome[guid] = "applied"
        elif q["type"] == "WITHDRAW" or (q["type"] == "EXCHANGE" and q["target_currency"]):
            target = q["target_currency"]
            credit = None
            if q["type"] == "EXCHANGE":
                if f"{currency}-{target}" in RATES:  # selling the base at the bid
                    credit = (amount * RATES[f"{currency}-{target}"][0]).quantize(EIGHT, ROUND_DOWN)
                elif f"{target}-{currency}" in RATES:  # buying the base at the ask
                    credit = (amount / RATES[f"{target}-{currency}"][1]).quantize(EIGHT, ROUND_DOWN)
                else:
                    outcome[guid] = "RATE_UNAVAILABLE"
                    continue
                if credit <= 0:
                    outcome[guid] = "INVALID_AMOUNT"
                    continue
            if held < amount:
                outcome[guid] = "INSUFFICIENT_FUNDS"
                continue
            balances[(account, currency)] = held - amount
            if credit is not None:
                balances[(account, target)] = balances.get((account, target), Decimal(0)) + credit
            outcome[guid] = "applied"
    return outcome, balances


class Outcomes(threading.Thread):
    """Collects every committed outcome record (read_committed) while the test runs.

    With `isolation="read_uncommitted"` it sees what the service has written, open and aborted
    transactions included: a guid seen there and not (yet) among the committed ones means a
    transaction holding outcomes is open right now.
    """

    def __init__(self, config: ServiceConfig, codecs: Codecs, isolation: str = "read_committed") -> None:
        super().__init__(daemon=True)
        self.codecs = codecs
        self.records: list[tuple[str, dict]] = []
        self.guids: set[str] = set()
        self.stop = threading.Event()
        topics = [config.topic("transaction-success"), config.topic("transaction-failed")]
        self.success_topic = topics[0]
        self.consumer = Consumer(client_config(config.bootstrap, **{
            "group.id": f"fault-{uuid.uuid4().hex[:8]}", "isolation.level": isolation,
            "enable.auto.commit": False}))  # fmt: skip
        self.consumer.assign([TopicPartition(t, p, OFFSET_BEGINNING) for t in topics for p in range(3)])

    def run(self) -> None:
        while not self.stop.is_set():
            # poll, then drain: consume(1000, 0.2) would wait up to 0.2 s for 1000 records, long
            # enough for the service to finish the backlog before a kill meant for its middle
            first = self.consumer.poll(0.05)
            for msg in [] if first is None else [first, *self.consumer.consume(999, 0)]:
                if msg.error() is not None:
                    assert msg.error().code() == KafkaError._PARTITION_EOF, msg.error()
                    continue
                name = "transaction-success" if msg.topic() == self.success_topic else "transaction-failed"
                value = self.codecs.decode(name, msg.value())
                self.records.append((name, value))
                self.guids.add(str(value["guid"]))
        self.consumer.close()


def count_uncommitted(config: ServiceConfig) -> int:
    """How many records the outcome topics hold, aborted transactions' included."""
    settings = {"group.id": f"fault-{uuid.uuid4().hex[:8]}", "isolation.level": "read_uncommitted"}
    consumer = Consumer(client_config(config.bootstrap, **settings))
    total = 0
    try:
        topics = [config.topic("transaction-success"), config.topic("transaction-failed")]
        consumer.assign([TopicPartition(t, p, OFFSET_BEGINNING) for t in topics for p in range(3)])
        quiet = time.monotonic()
        while time.monotonic() - quiet < 1.0:
            batch = consumer.consume(1000, 0.2)
            if batch:
                quiet = time.monotonic()
                total += sum(1 for m in batch if m.error() is None)
        return total
    finally:
        consumer.close()


def start_service(config: ServiceConfig, log: Path) -> subprocess.Popen:
    command = [sys.executable, "-m", "services.transaction", "--bootstrap", config.bootstrap,
               "--registry", config.registry_url, "--topic-prefix", config.topic_prefix,
               "--log-level", "WARNING"]  # fmt: skip
    return subprocess.Popen(
        command, stdout=subprocess.DEVNULL, stderr=log.open("a"), cwd=Path(__file__).parents[2]
    )


def handles_sigterm(pid: int) -> bool:
    """Whether process `pid` has installed a SIGTERM handler yet (Linux: the SigCgt mask in /proc)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("SigCgt:"):
            return bool(int(line.split()[1], 16) >> (signal.SIGTERM - 1) & 1)
    return False


def test_sigkill_loses_and_doubles_nothing(exchange, tmp_path: Path) -> None:
    config, codecs = exchange
    rng = random.Random(int(os.environ.get("FAULT_SEED", "47")))
    accounts = [f"acc-{i:03d}" for i in range(ACCOUNTS)]
    produce(config, codecs, "account", [(a, r.account(a, "First", "Last")) for a in accounts])
    produce(config, codecs, "exchange-rate",
            [(k, r.exchange_rate(*k.split("-"), bid, ask)) for k, (bid, ask) in RATES.items()])  # fmt: skip
    requests = generate(rng)
    expected, final = model(requests)
    unique = len(expected)
    collector = Outcomes(config, codecs)
    collector.start()
    writes = Outcomes(config, codecs, isolation="read_uncommitted")
    writes.start()
    log = tmp_path / "transaction.log"
    started = time.monotonic()
    # a backlog, so the service is busy (mid-transaction) when it is killed; the rest arrive later
    half = len(requests) // 2
    produce(config, codecs, "transaction-request", [(q["account_id"], q) for q in requests[:half]])
    slices = [requests[half + i * (len(requests) - half) // 5 : half + (i + 1) * (len(requests) - half) // 5]
              for i in range(5)]  # fmt: skip

    def feed() -> None:
        for chunk in slices:
            produce(config, codecs, "transaction-request", [(q["account_id"], q) for q in chunk])
            time.sleep(0.3)

    feeder = threading.Thread(target=feed, daemon=True)
    process = start_service(config, log)
    feeder.start()
    kills = 0

    def answered() -> int:
        return len(collector.guids)

    restarts: list[float] = []
    try:
        for k in range(KILLS):
            # inside the up-front backlog (the first half), where the service is always mid-batch
            threshold = unique * (k + 1) // (2 * (KILLS + 1))
            wait_for(lambda: len(collector.records) >= threshold, timeout=120, every=0.02,  # noqa: B023
                     what=f"{threshold} outcomes before kill {k + 1}")  # fmt: skip
            # and while outcomes are written but not committed: a transaction is open (a batch
            # takes a few ms; without this the kill often fell between batches or after the backlog).
            # The process is frozen (SIGSTOP) and both readers given time to catch up, so "open" is
            # seen on a process that cannot commit any more; if it had committed meanwhile, it goes
            # on (SIGCONT) and the next open transaction is tried.
            deadline = time.monotonic() + 60
            while True:
                wait_for(lambda: not writes.guids <= collector.guids or answered() >= unique,
                         timeout=60, every=0.001, what=f"an open transaction for kill {k + 1}")  # fmt: skip
                process.send_signal(signal.SIGSTOP)
                time.sleep(0.3)
                if not writes.guids <= collector.guids or answered() >= unique or time.monotonic() > deadline:
                    break
                process.send_signal(signal.SIGCONT)
            process.send_signal(signal.SIGKILL)
            process.wait(10)
            time.sleep(0.5)  # let the collector read what the killed instance had committed
            restarted_at, seen = time.monotonic(), len(collector.records)
            kills += 1
            process = start_service(config, log)
            wait_for(
                lambda: len(collector.records) > seen or answered() >= unique,  # noqa: B023
                timeout=120,
                every=0.02,
                what="the restart",
            )  # noqa: B023
            restarts.append(time.monotonic() - restarted_at)
        feeder.join(60)
        wait_for(lambda: len({str(v["guid"]) for _, v in collector.records}) >= unique, timeout=180,
                 what="an outcome for every guid")  # fmt: skip
        # the last restart may find nothing left to answer: SIGTERM only once the service can stop cleanly
        wait_for(lambda: handles_sigterm(process.pid), timeout=30, every=0.02, what="the SIGTERM handler")
        process.send_signal(signal.SIGTERM)
        assert process.wait(30) == 0, log.read_text()[-3000:]
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(10)
    time.sleep(1.0)  # anything late (there should be nothing) would show as a second outcome
    collector.stop.set()
    writes.stop.set()
    collector.join(10)
    writes.join(10)
    elapsed = time.monotonic() - started

    per_guid = Counter(str(v["guid"]) for _, v in collector.records)
    assert kills >= min(KILLS, 3)
    assert set(per_guid) == set(expected)
    assert [g for g, n in per_guid.items() if n != 1] == []
    got = {
        str(v["guid"]): ("applied" if name == "transaction-success" else v["reason"])
        for name, v in collector.records
    }
    assert got == expected

    changelog = latest(read_topic(config, codecs, "transaction-balance-changelog", idle=0.5, timeout=30))
    balances = {tuple(key.split("/")): v["amount"] for key, v in changelog.items() if "/" in key}
    assert {k: v for k, v in balances.items() if v != 0} == {k: v for k, v in final.items() if v != 0}
    assert all(v >= 0 for v in balances.values())

    # the kills did hit open transactions: their records are in the log, aborted (read_uncommitted sees them)
    written = count_uncommitted(config)
    assert written > len(collector.records), "no kill landed inside a transaction"

    with Running(WalletService(config)):

        def agreed() -> bool:
            wallets = latest(read_topic(config, codecs, "wallet", idle=0.5, timeout=30))
            seen = {(a, b["currency"]): b["amount"] for a, w in wallets.items() for b in w["balances"]}
            return {k: v for k, v in seen.items() if v != 0} == {k: v for k, v in final.items() if v != 0}

        wait_for(agreed, timeout=60, what="wallets equal to the balances")
    print(f"\nfault test: {len(requests)} requests ({unique} unique guids) over {ACCOUNTS} accounts, "
          f"{kills} SIGKILLs, {written - len(collector.records)} outcome records aborted, "
          f"{sum(1 for v in expected.values() if v == 'applied')} applied, "
          f"{elapsed:.1f} s; restart to first new outcome: "
          f"{', '.join(f'{s:.1f}' for s in restarts)} s")  # fmt: skip
