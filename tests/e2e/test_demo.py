"""The exchange's demo (`python -m services.demo`, what ci/demo.sh runs) on the session's Kafka."""

from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from decimal import Decimal
from pathlib import Path

import httpx
import pytest

DEMO = [sys.executable, "-m", "services.demo"]
REPO = Path(__file__).resolve().parents[2]

pytestmark = [pytest.mark.kafka, pytest.mark.slow]


def test_demo_plays_the_scenario_and_stops_cleanly(kafka_cluster: str, tmp_path: Path) -> None:
    for part in ("contracts", "schemas"):
        shutil.copytree(REPO / part, tmp_path / part)
    env = {k: v for k, v in os.environ.items() if k not in ("GOVERN_REGISTRY_URL", "GOVERN_TOPIC_PREFIX")}
    env["KAFKA_BOOTSTRAP_SERVERS"] = kafka_cluster
    done = subprocess.run(
        [*DEMO, "--root", str(tmp_path), "--format", "json",
         "--topic-prefix", f"demo{secrets.token_hex(3)}-"],
        capture_output=True, text=True, timeout=180, env=env, cwd=tmp_path,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-4000:]
    result = json.loads(done.stdout)
    alice, bob = result["accounts"]
    outcomes = {(t["request"]["account_id"], t["request"]["type"]): t for t in result["transactions"]}
    assert all(t["outcome"] == "applied" for k, t in outcomes.items() if k != (bob, "WITHDRAW"))
    rejected = outcomes[(bob, "WITHDRAW")]
    assert (rejected["outcome"], rejected["record"]["reason"]) == ("rejected", "INSUFFICIENT_FUNDS")

    def balances(account: str) -> dict[str, Decimal]:
        return {b["currency"]: Decimal(b["amount"]) for b in result["wallets"][account]["balances"]}

    bought = Decimal(outcomes[(alice, "EXCHANGE")]["record"]["credit_amount"])
    sold_for = Decimal(outcomes[(bob, "EXCHANGE")]["record"]["credit_amount"])
    assert balances(alice) == {"USD": Decimal("5000"), "BTC": bought} and Decimal("0.01") < bought < 1
    assert balances(bob) == {"BTC": Decimal("1.5"), "EUR": sold_for} and sold_for > 1000
    assert outcomes[(alice, "EXCHANGE")]["record"]["rate"]["side"] == "ASK"  # buying BTC costs the ask
    assert outcomes[(bob, "EXCHANGE")]["record"]["rate"]["side"] == "BID"  # selling BTC yields the bid
    assert result["wallets"][alice]["total_valuation"]["currency"] == "USD"
    assert "Services: stopped" in done.stderr and "Registry: stopped" in done.stderr
    assert "failed" not in done.stderr
    assert "Kafka: stopped" not in done.stderr  # a reused cluster is left running


def test_demo_keeps_running_with_the_web_ui_until_sigterm(kafka_cluster: str, tmp_path: Path) -> None:
    for part in ("contracts", "schemas"):
        shutil.copytree(REPO / part, tmp_path / part)
    env = {k: v for k, v in os.environ.items() if k not in ("GOVERN_REGISTRY_URL", "GOVERN_TOPIC_PREFIX")}
    env |= {"KAFKA_BOOTSTRAP_SERVERS": kafka_cluster, "COLUMNS": "200"}
    port = free_port()
    demo = subprocess.Popen(
        [*DEMO, "--root", str(tmp_path), "--keep-running", "--ui-port", str(port),
         "--topic-prefix", f"demo{secrets.token_hex(3)}-"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env, cwd=tmp_path,
    )  # fmt: skip
    seen: list[str] = []
    try:
        reader = threading.Thread(target=lambda: seen.extend(demo.stdout), daemon=True)  # type: ignore[arg-type]
        reader.start()
        deadline = time.monotonic() + 180
        while not any("Press Ctrl-C to stop" in line for line in seen):
            assert demo.poll() is None and time.monotonic() < deadline, "".join(seen)[-4000:]
            time.sleep(0.2)
        assert any(f"Web UI: http://127.0.0.1:{port}" in line for line in seen), "".join(seen)
        page = httpx.get(f"http://127.0.0.1:{port}/", timeout=10)
        assert page.status_code == 200 and "<html" in page.text.lower()
        rates = httpx.get(f"http://127.0.0.1:{port}/api/rates", timeout=10).json()
        assert rates, "the rate service's pairs reach the UI"
        demo.send_signal(signal.SIGTERM)
        assert demo.wait(60) == 0, "".join(seen)[-4000:]
        reader.join(10)
        assert any("Services: stopped" in line for line in seen)
    finally:
        if demo.poll() is None:
            demo.kill()
            demo.wait(10)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_all_services_in_one_process_stop_cleanly_on_sigterm(
    kafka_cluster: str, registry: str, tmp_path: Path
) -> None:
    from govern.kafka import KafkaAdmin
    from services.common import ServiceConfig
    from services.common.topics import create_topics, delete_topics

    config = ServiceConfig(kafka_cluster, registry, topic_prefix=f"mono{secrets.token_hex(3)}-")
    admin = KafkaAdmin(kafka_cluster)
    create_topics(config, admin)
    log = tmp_path / "services.log"
    command = [sys.executable, "-m", "services", "--bootstrap", kafka_cluster, "--registry", registry,
               "--topic-prefix", config.topic_prefix, "--store", str(tmp_path / "accounts.sqlite"),
               "--speed", "100"]  # fmt: skip
    with log.open("w") as err:
        process = subprocess.Popen(command, stderr=err, cwd=REPO)
        try:
            deadline = time.monotonic() + 60
            wanted = ("service=transaction event=restored", "service=wallet event=assigned",
                      "service=account event=started", "service=rate event=first_rates")  # fmt: skip
            while not all(w in log.read_text() for w in wanted):
                assert process.poll() is None, log.read_text()[-3000:]
                assert time.monotonic() < deadline, log.read_text()[-3000:]
                time.sleep(0.2)
            process.send_signal(signal.SIGTERM)
            assert process.wait(30) == 0, log.read_text()[-3000:]
        finally:
            if process.poll() is None:
                process.kill()
    text = log.read_text()
    for service in ("account", "rate", "transaction", "wallet"):
        assert f"service={service} event=stopped" in text, service
    assert "event=failed" not in text
    delete_topics(config, admin)
