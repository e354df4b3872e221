"""UI service benchmark (not a test): deposits and wallet reads against the same stack's ceiling.

On one broker (KAFKA_BOOTSTRAP_SERVERS, else a local one via govern.kafka) and an embedded
registry, starts `python -m services.ui` in a subprocess on loopback, creates an account and
gives it a wallet, then with N concurrent keep-alive clients (default 16) for D seconds each
measures requests/s and p50/p99 latency of:

- `GET /healthz`: the same Starlette + uvicorn stack doing nothing (the ceiling);
- `POST /api/accounts/{id}/deposits` to its 202: validation, Avro encoding, and Kafka's
  acknowledgement (acks=all, idempotent producer) before answering;
- `GET /api/accounts/{id}/wallet`: token check and the materialised wallet as JSON;

and prints each one's ratio to the ceiling. The load generator is a minimal asyncio HTTP/1.1
client in this process, so it costs far less than the server.

    .venv/bin/python bench/ui.py            # 10 s per endpoint
    .venv/bin/python bench/ui.py --quick    # 3 s per endpoint
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import subprocess
import sys
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from _load import free_port, http_request, run_clients, summary  # noqa: E402 - bench/ is sys.path[0]

from govern.kafka import KafkaAdmin, provider_from_env  # noqa: E402
from govern.registry.server.run import serve_in_thread  # noqa: E402
from services.common import Codecs, ServiceConfig  # noqa: E402
from services.common import records as r  # noqa: E402
from services.common.topics import create_topics, delete_topics, produce  # noqa: E402


def start_ui(config: ServiceConfig, port: int) -> subprocess.Popen:
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "services.ui",
            "--port",
            str(port),
            "--bootstrap",
            config.bootstrap,
            "--registry",
            config.registry_url,
            "--topic-prefix",
            config.topic_prefix,
            "--log-level",
            "WARNING",
        ],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1)
            return process
        except httpx.TransportError:
            if process.poll() is not None:
                raise SystemExit("the UI exited at start") from None
            time.sleep(0.1)
    process.kill()
    raise SystemExit("the UI did not start")


def load(
    port: int,
    method: str,
    path: str,
    headers: dict[str, str],
    body: bytes | None,
    expect: int,
    clients: int,
    seconds: float,
) -> tuple[float, float, float]:
    """(requests/s, p50 ms, p99 ms) of one endpoint under `clients` concurrent keep-alive connections."""
    request = http_request(method, path, headers, body, "application/json")
    run_clients(port, request, expect, clients, min(1.0, seconds / 4))  # warm-up
    return summary(*run_clients(port, request, expect, clients, seconds))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--quick", action="store_true", help="3 s per endpoint")
    args = parser.parse_args()
    seconds = 3.0 if args.quick else args.seconds

    with ExitStack() as stack:
        workdir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="govern-bench-ui-")))
        provider = provider_from_env(workdir / "kafka")
        bootstrap = provider.start()
        stack.callback(provider.stop)
        registry = stack.enter_context(serve_in_thread(None))
        config = ServiceConfig(bootstrap, registry, topic_prefix=f"benchui{secrets.token_hex(3)}-")
        admin = KafkaAdmin(bootstrap, timeout=60)
        create_topics(config, admin)
        stack.callback(delete_topics, config, admin)
        port = free_port()
        ui = start_ui(config, port)
        stack.callback(ui.wait, 15)
        stack.callback(ui.terminate)

        made = httpx.post(
            f"http://127.0.0.1:{port}/api/accounts", json={"first_name": "Bench", "last_name": "Mark"}
        ).json()
        account, auth = made["account_id"], {"Authorization": f"Bearer {made['token']}"}
        codecs = Codecs(config)
        stamp = r.now_ms()
        produce(
            config,
            codecs,
            "wallet",
            [
                (
                    account,
                    {
                        "account_id": account,
                        "updated_at": stamp,
                        "total_valuation": None,
                        "balances": [
                            {"currency": c, "amount": r.money("1000"), "valuation": None}
                            for c in ("BTC", "USD")
                        ],
                    },
                )
            ],
        )
        codecs.close()
        deadline = time.monotonic() + 30
        while (
            httpx.get(f"http://127.0.0.1:{port}/api/accounts/{account}/wallet", headers=auth).status_code
            != 200
        ):
            if time.monotonic() > deadline:
                raise SystemExit("the wallet never showed up")
            time.sleep(0.1)

        print(
            f"UI on loopback, {args.clients} concurrent clients, {seconds:g} s per endpoint; "
            f"kafka {provider.name} at {bootstrap}"
        )
        deposit = json.dumps({"amount": "10.50", "currency": "USD"}).encode()
        rows = [
            ("GET /healthz (ceiling)", load(port, "GET", "/healthz", {}, None, 200, args.clients, seconds)),
            (
                "POST deposit (to 202)",
                load(
                    port,
                    "POST",
                    f"/api/accounts/{account}/deposits",
                    auth,
                    deposit,
                    202,
                    args.clients,
                    seconds,
                ),
            ),
            (
                "GET wallet",
                load(port, "GET", f"/api/accounts/{account}/wallet", auth, None, 200, args.clients, seconds),
            ),
        ]
        ceiling = rows[0][1][0]
        print(f"{'endpoint':<26} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'vs ceiling':>11}")
        for name, (rps, p50, p99) in rows:
            print(f"{name:<26} {rps:>9,.0f} {p50:>8.2f} {p99:>8.2f} {rps / ceiling:>10.2f}x")
    sys.stdout.flush()
    os._exit(0)  # everything is stopped; skip slow interpreter teardown


if __name__ == "__main__":
    main()
