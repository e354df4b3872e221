"""Exchange benchmark (not a test): the transaction service against its ceiling, on one broker in one run.

The ceiling is a no-op consume-transform-produce loop with exactly the transaction service's
settings (the same `EosLoop`: transactional producer, read_committed, offsets in the transaction,
same batch size) that copies each request's bytes to an output topic. Each system gets a private
copy of the topics (its own prefix) and is measured twice:

1. throughput: N requests (deposits, withdrawals, exchanges over A accounts) are produced
   first, then the system starts; requests/s = N / (time from start of processing to the last
   outcome consumed, read_committed);
2. latency: with the system running, M requests are produced at a steady R per second; per
   request, the time from produce to its outcome being consumed (p50, p99).

    .venv/bin/python bench/exchange.py            # N=20,000, M=2,000 at 400/s
    .venv/bin/python bench/exchange.py --quick    # N=5,000, M=500

Uses KAFKA_BOOTSTRAP_SERVERS when set, else starts a local broker for the run.
"""

from __future__ import annotations

import argparse
import os
import random
import secrets
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

from confluent_kafka import OFFSET_BEGINNING, Consumer, Message, Producer, TopicPartition

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from govern.kafka import client_config, provider_from_env  # noqa: E402
from govern.registry.server.run import serve_in_thread  # noqa: E402
from govern.serde import Deserializer  # noqa: E402
from services.common import Batch, Codecs, EosLoop, ServiceConfig  # noqa: E402
from services.common import records as r  # noqa: E402
from services.common.logs import setup_logging  # noqa: E402
from services.common.topics import create_topics, produce  # noqa: E402
from services.transaction import TransactionService  # noqa: E402


class NoOp:
    """The ceiling: the same EOS loop and settings, copying each request to transaction-success."""

    name = "noop"

    def __init__(self, config: ServiceConfig) -> None:
        self.out = config.topic("transaction-success")
        self.loop = EosLoop(
            config, "noop", [config.topic("transaction-request")], self.process, batch_size=500
        )
        self.ready = self.loop.ready

    def process(self, messages: list[Message], batch: Batch) -> None:
        for msg in messages:
            batch.produce(self.out, msg.key().decode(), msg.value())

    def run(self, stop: threading.Event) -> None:
        self.loop.run(stop)


def requests_for(accounts: list[str], count: int, rng: random.Random) -> list[dict]:
    out = []
    for _ in range(count):
        account = rng.choice(accounts)
        kind = rng.choices(["DEPOSIT", "WITHDRAW", "EXCHANGE"], weights=[5, 2, 3])[0]
        currency = rng.choice(["USD", "BTC"])
        amount = (
            str(rng.randint(1, 100_000) / 100) if currency == "USD" else str(rng.randint(1, 10_000) / 10**5)
        )
        target = ("BTC" if currency == "USD" else "USD") if kind == "EXCHANGE" else None
        out.append(r.transaction_request(account, kind, amount, currency, target))
    return out


class Outcomes:
    """Reads the outcome topics (read_committed) in a thread, noting when each guid's outcome arrived."""

    def __init__(self, config: ServiceConfig, codecs: Codecs, topics: list[str]) -> None:
        self.codecs = codecs
        self.deserialize = Deserializer(codecs.client)
        self.arrived: dict[str, float] = {}
        self.count = 0
        self.decode = False
        self.stop = threading.Event()
        self.consumer = Consumer(client_config(config.bootstrap, **{
            "group.id": f"bench-{secrets.token_hex(4)}", "isolation.level": "read_committed",
            "enable.auto.commit": False, "fetch.wait.max.ms": 10}))  # fmt: skip
        self.consumer.assign([TopicPartition(t, p, OFFSET_BEGINNING) for t in topics for p in range(3)])
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        while not self.stop.is_set():
            first = self.consumer.poll(0.05)  # consume(n, t) would wait for n or t: 50 ms of skew
            for msg in [] if first is None else [first, *self.consumer.consume(999, 0)]:
                if msg.error() is not None:
                    continue
                now = time.perf_counter()
                self.count += 1
                if self.decode:  # with the writer's schema: the no-op's outcomes are requests
                    value = self.deserialize(msg.value())
                    self.arrived[str(value["guid"])] = now
        self.consumer.close()

    def wait(self, count: int, timeout: float) -> float:
        deadline = time.perf_counter() + timeout
        while self.count < count:
            if time.perf_counter() > deadline:
                raise SystemExit(f"only {self.count} of {count} outcomes within {timeout:g} s")
            time.sleep(0.005)
        return time.perf_counter()


def measure(label: str, bootstrap: str, registry: str, build: Callable[[ServiceConfig], object],
            n: int, m: int, rate: float) -> dict[str, float]:  # fmt: skip
    config = ServiceConfig(bootstrap, registry, topic_prefix=f"bench-{label}-{secrets.token_hex(3)}-")
    create_topics(config)
    codecs = Codecs(config)
    rng = random.Random(7)
    accounts = [f"acc-{i:03d}" for i in range(100)]
    produce(config, codecs, "account", [(a, r.account(a, "F", "L")) for a in accounts])
    produce(config, codecs, "exchange-rate", [("BTC-USD", r.exchange_rate("BTC", "USD", "50000", "50050"))])
    backlog = requests_for(accounts, n, rng)
    for q in backlog:  # half the accounts get money first so withdrawals and exchanges can succeed
        if q["type"] != "DEPOSIT" and rng.random() < 0.5:
            q["type"], q["target_currency"] = "DEPOSIT", None
    produce(config, codecs, "transaction-request", [(q["account_id"], q) for q in backlog], timeout=120)
    outcomes = Outcomes(
        config, codecs, [config.topic("transaction-success"), config.topic("transaction-failed")]
    )
    service = build(config)
    stop = threading.Event()
    thread = threading.Thread(target=service.run, args=(stop,), daemon=True)  # type: ignore[attr-defined]
    started = time.perf_counter()
    thread.start()
    service.ready.wait(60)  # type: ignore[attr-defined]
    ready = time.perf_counter()
    finished = outcomes.wait(n, timeout=600)
    throughput = n / (finished - ready)

    outcomes.decode = True
    live = requests_for(accounts, m, rng)
    sent: dict[str, float] = {}
    producer = Producer(client_config(bootstrap, **{"enable.idempotence": True, "linger.ms": 0}))
    topic = config.topic("transaction-request")
    interval = 1.0 / rate
    next_at = time.perf_counter()
    for q in live:
        payload = codecs.encode("transaction-request", q)
        while time.perf_counter() < next_at:
            time.sleep(max(0.0, min(next_at - time.perf_counter(), 0.001)))
        sent[q["guid"]] = time.perf_counter()
        producer.produce(topic, key=q["account_id"].encode(), value=payload)
        producer.poll(0)
        next_at += interval
    producer.flush(30)
    outcomes.wait(n + m, timeout=120)
    latencies = sorted((outcomes.arrived[g] - t) * 1000 for g, t in sent.items() if g in outcomes.arrived)
    stop.set()
    thread.join(30)
    outcomes.stop.set()
    outcomes.thread.join(10)
    codecs.close()
    return {
        "throughput": throughput,
        "startup": ready - started,
        "p50": statistics.median(latencies),
        "p99": latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))],
        "measured": len(latencies),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="N=5,000, M=500")
    parser.add_argument("--requests", type=int, help="N, the backlog for throughput")
    parser.add_argument("--live", type=int, help="M, the paced requests for latency")
    parser.add_argument("--rate", type=float, default=400.0, help="R, paced requests per second")
    parser.add_argument("--rounds", type=int, default=2, help="turns each system takes")
    args = parser.parse_args()
    n = args.requests or (5_000 if args.quick else 20_000)
    m = args.live or (500 if args.quick else 2_000)
    setup_logging(os.environ.get("BENCH_LOG_LEVEL", "WARNING"))
    provider = None
    bootstrap = os.environ.get("KAFKA_BOOTSTRAP_SERVERS")
    if not bootstrap:
        provider = provider_from_env(Path(tempfile.mkdtemp()))
        bootstrap = provider.start()
    try:
        with serve_in_thread(None) as registry:
            print(f"exchange benchmark: N={n:,} backlog, M={m:,} paced at {args.rate:g}/s, "
                  f"{os.cpu_count()} CPUs, Kafka at {bootstrap}")  # fmt: skip
            # a discarded warm-up (the broker's JIT), then the two systems take turns, twice, so
            # background load on a shared machine hits both alike; the best round of each counts
            measure("warmup", bootstrap, registry, NoOp, max(n // 10, 500), 100, args.rate)
            systems = {"no-op EOS loop (ceiling)": NoOp, "transaction service": TransactionService}
            rounds: dict[str, list[dict[str, float]]] = {label: [] for label in systems}
            for _ in range(args.rounds):
                for label, build in systems.items():
                    rounds[label].append(
                        measure(label.split()[0], bootstrap, registry, build, n, m, args.rate)
                    )
    finally:
        if provider is not None:
            provider.stop()
    best = {label: max(results, key=lambda x: x["throughput"]) for label, results in rounds.items()}
    ceiling = best["no-op EOS loop (ceiling)"]["throughput"]
    title = f"system (best of {args.rounds} rounds)"
    print(f"\n{title:<34}{'req/s':>10}{'p50 ms':>10}{'p99 ms':>10}{'vs ceiling':>12}")
    for label, result in best.items():
        print(f"{label:<34}{result['throughput']:>10.0f}{result['p50']:>10.1f}{result['p99']:>10.1f}"
              f"{result['throughput'] / ceiling:>11.0%}")  # fmt: skip
    for label, results in rounds.items():
        figures = [f"{x['throughput']:.0f} req/s p50 {x['p50']:.0f} p99 {x['p99']:.0f} ms" for x in results]
        print(f"  {label}: " + ", ".join(figures))
    # each round runs the two back to back: on a shared machine their ratio is steadier than the best-of
    pairs = zip(rounds["no-op EOS loop (ceiling)"], rounds["transaction service"], strict=True)
    ratios = [f"{t['throughput'] / c['throughput']:.0%}" for c, t in pairs]
    print("  per round, service / ceiling: " + ", ".join(ratios))


if __name__ == "__main__":
    main()
