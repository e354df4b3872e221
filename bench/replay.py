"""Fixture benchmark (not a test): govern replay / record beside their ceilings and kcat.

On one broker (KAFKA_BOOTSTRAP_SERVERS, else a local one started via govern.kafka) and an
embedded registry, with N records (default 200,000) of ~500-byte Avro values over 3 partitions:

- replay: messages/s of `govern.recording.replay` (whole run: validation + registration + one
  transaction) beside a raw confluent-kafka Producer sending the same pre-encoded bytes (the
  ceiling) and `kcat -P` on the same bytes. Target: >= 60 % of the ceiling.
- record: messages/s of `govern.recording.record_topics` beside a raw consumer loop (the ceiling)
  and `kcat -C`, all three reading the topic the replay wrote, each timed from start to finish.
  Target: >= 50 % of the ceiling.
- memory: peak RSS of `govern replay` (a child process) on a file of M records (default 1,000,000).
  Target: < 300 MB.

Each measurement runs `--repeat` times (default 3), ours right after its ceiling, and the verdict
is the median of the rounds' ratios: on a shared two-core machine one round's ceiling moves by a
fifth to a half from one round to the next, and ours with it.

    .venv/bin/python bench/replay.py                                  # full run (several minutes)
    .venv/bin/python bench/replay.py --records 20000 --memory-records 100000 --repeat 1  # quick run
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from contextlib import ExitStack
from pathlib import Path

from confluent_kafka import Consumer, Producer, TopicPartition

from govern.kafka import KafkaAdmin, client_config, provider_from_env
from govern.recording import (
    FixtureRecord,
    FixtureWriter,
    Header,
    ReplayOptions,
    SchemaEntry,
    TopicInfo,
    file_source,
    record_topics,
    records_source,
    replay,
)
from govern.recording.codec import Codec
from govern.recording.schemas import FixtureSchemas
from govern.registry import Client
from govern.registry.server.run import serve_in_thread

PARTITIONS = 3
SCHEMA = {
    "type": "record",
    "name": "Payment",
    "namespace": "bench",
    "fields": [
        {"name": "id", "type": "string"},
        {"name": "account", "type": "string"},
        {"name": "amount", "type": {"type": "bytes", "logicalType": "decimal", "precision": 18, "scale": 4}},
        {"name": "currency", "type": "string"},
        {"name": "at", "type": {"type": "long", "logicalType": "timestamp-millis"}},
        {"name": "status", "type": {"type": "enum", "name": "Status", "symbols": ["NEW", "DONE", "FAILED"]}},
        {"name": "memo", "type": ["null", "string"], "default": None},
        {"name": "tags", "type": {"type": "array", "items": "string"}},
        {"name": "attributes", "type": {"type": "map", "values": "string"}},
    ],
}
RAW_PRODUCER = {"linger.ms": 10, "batch.size": 1_000_000, "queue.buffering.max.messages": 500_000}


def make_value(rng: random.Random, i: int) -> dict:
    """~450 bytes of Avro with a decimal, a timestamp, an enum, an optional, an array and a map."""
    letters = "abcdefghijklmnopqrstuvwxyz"

    def word(n: int) -> str:
        return "".join(rng.choices(letters, k=n))

    return {
        "id": str(uuid.UUID(int=rng.getrandbits(128))),
        "account": f"acc-{i % 1000:04d}",
        "amount": f"{rng.randint(1, 10**8)}.{rng.randint(0, 9999):04d}",
        "currency": rng.choice(["USD", "EUR", "BTC"]),
        "at": 1_700_000_000_000 + i,
        "status": rng.choice(["NEW", "DONE", "FAILED"]),
        "memo": word(60),
        "tags": [word(16) for _ in range(6)],
        "attributes": {word(8): word(40) for _ in range(4)},
    }


POOL = 5000
"""Distinct values generated; records cycle through them (generation would dominate otherwise)."""


def build_file(
    path: Path, count: int, codec: Codec, seed: int = 7
) -> tuple[list[tuple[bytes, bytes, int]], int]:
    """Write the fixture file; return (key, Avro body, partition) per record (when asked) and the mean size.

    Bodies never contain byte 0x0a, so kcat's newline-delimited input carries the very same bytes.
    """
    rng = random.Random(seed)
    pool: list[tuple[dict, bytes]] = []
    while len(pool) < min(POOL, count):
        value = make_value(rng, len(pool))
        body = codec.encode(value)
        if b"\n" not in body:
            pool.append((value, body))
    entry = SchemaEntry("payment", SCHEMA, "bench-value", 1, 1)
    keep = path.name.startswith("bench")
    bodies: list[tuple[bytes, bytes, int]] = []
    size = 0
    with FixtureWriter(path) as writer:
        for i in range(count):
            value, body = pool[i % len(pool)]
            key = f"acc-{i % 1000:04d}"
            writer.write(
                FixtureRecord(
                    value,
                    key,
                    schema="payment",
                    topic="bench",
                    partition=i % PARTITIONS,
                    timestamp=1_700_000_000_000 + i,
                    timestamp_type="create",
                )
            )
            if keep:
                bodies.append((key.encode(), body, i % PARTITIONS))
            size += len(body) + 5
        writer.commit(Header((entry,), (TopicInfo("bench", PARTITIONS),)))
    return bodies, size // max(count, 1)


def rate(count: int, seconds: float) -> float:
    return count / seconds if seconds > 0 else float("inf")


def raw_produce(bootstrap: str, topic: str, records: list[tuple[bytes, bytes]], prefix: bytes) -> float:
    producer = Producer(client_config(bootstrap, **RAW_PRODUCER))
    started = time.perf_counter()
    produce, poll = producer.produce, producer.poll
    for n, (key, body, partition) in enumerate(records):
        value = prefix + body
        while True:
            try:
                produce(topic, value, key, partition=partition)
                break
            except BufferError:
                poll(0.05)
        if n % 1000 == 0:
            poll(0)
    producer.flush(120)
    return time.perf_counter() - started


def kcat_produce(bootstrap: str, topic: str, data_file: Path) -> float | None:
    if shutil.which("kcat") is None:
        return None
    started = time.perf_counter()
    with data_file.open("rb") as stdin:
        subprocess.run(
            [
                "kcat",
                "-P",
                "-b",
                bootstrap,
                "-t",
                topic,
                "-K",
                "\t",
                "-X",
                "linger.ms=10",
                "-X",
                "batch.size=1000000",
            ],
            stdin=stdin,
            check=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
    return time.perf_counter() - started


def raw_consume(bootstrap: str, topic: str, count: int) -> float:
    """A raw consumer loop over `topic`, timed like `record_topics`: from creating the client to
    closing it (connecting and the first fetch included, as they are in ours)."""
    started = time.perf_counter()
    consumer = Consumer(
        client_config(bootstrap, **{"group.id": f"raw-{uuid.uuid4().hex}", "enable.auto.commit": False})
    )
    consumer.assign([TopicPartition(topic, p, 0) for p in range(PARTITIONS)])
    seen = total = 0
    while seen < count:
        # never more than are left: consume() waits its whole timeout for a batch it cannot fill
        for message in consumer.consume(min(2000, count - seen), 1.0):
            if message.error() is None:
                total += len(message.value())
                seen += 1
    consumer.close()
    return time.perf_counter() - started


def kcat_consume(bootstrap: str, topic: str) -> float | None:
    if shutil.which("kcat") is None:
        return None
    started = time.perf_counter()
    subprocess.run(
        ["kcat", "-C", "-b", bootstrap, "-t", topic, "-e", "-q", "-o", "beginning"],
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    return time.perf_counter() - started


def line(label: str, count: int, seconds: float | None, ceiling: float | None = None) -> str:
    if seconds is None:
        return f"  {label:<34} kcat not installed"
    text = f"  {label:<34} {rate(count, seconds):>10,.0f} msg/s  ({seconds:6.2f} s)"
    if ceiling:
        text += f"  {rate(count, seconds) / rate(count, ceiling):6.1%} of ceiling"
    return text


def machine(workdir: Path) -> str:
    """The load, and how fast 64 MB go into fresh page-cache pages: on some virtual machines that
    rate drops from GB/s to ~100 MB/s for a while, which costs ours (a spool file, a recording)
    far more than the ceilings (no file)."""
    data = os.urandom(1 << 20)
    probe = workdir / "page-probe"
    started = time.perf_counter()
    with probe.open("wb", buffering=0) as out:
        for _ in range(64):
            out.write(data)
    rate_mb = 64 / (time.perf_counter() - started)
    probe.unlink()
    return f"load {os.getloadavg()[0]:.2f}, fresh page-cache writes {rate_mb:,.0f} MB/s"


def print_round(
    round_: int,
    workdir: Path,
    count: int,
    ceiling: tuple[str, float],
    kcat: tuple[str, float | None],
    ours: tuple[str, float],
) -> None:
    """A round's lines, each (label, seconds): the machine's state, the ceiling, kcat (first round
    only), ours; the last two as a share of the ceiling."""
    print(f"  round {round_} ({machine(workdir)})")
    (ceiling_label, seconds), (kcat_label, kcat_seconds), (ours_label, ours_seconds) = ceiling, kcat, ours
    print(line(ceiling_label, count, seconds))
    if round_ == 1:
        print(line(kcat_label, count, kcat_seconds, seconds))
    print(line(ours_label, count, ours_seconds, seconds))


def verdict(what: str, ratios: list[float], target: float) -> str:
    """The median of the rounds' ratios (ours / ceiling, each from one round) against the target."""
    rounds = ", ".join(f"{r:.1%}" for r in ratios)
    middle = statistics.median(ratios)
    mark = "met" if middle >= target else "NOT met"
    return (
        f"  {what}: median {middle:.1%} of the ceiling over {len(ratios)} round(s) ({rounds}); "
        f"target >= {target:.0%}: {mark}"
    )


def peak_rss_of_replay(bootstrap: str, registry: str, path: Path, topic: str) -> tuple[float, float]:
    """Peak RSS (MB) and wall time of `govern replay` in a child process: that child's own
    (os.wait4), not RUSAGE_CHILDREN's, which is the largest of every child waited for so far,
    the broker's storage-format JVM (~200-320 MB) included."""
    started = time.perf_counter()
    child = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "govern",
            "replay",
            str(path),
            "--topic",
            topic,
            "--create",
            "--bootstrap",
            bootstrap,
            "--registry",
            registry,
        ],
        stdout=subprocess.DEVNULL,
    )
    _, status, usage = os.wait4(child.pid, 0)
    child.returncode = os.waitstatus_to_exitcode(status)  # reaped here: Popen must not wait again
    elapsed = time.perf_counter() - started
    if child.returncode != 0:
        raise subprocess.CalledProcessError(child.returncode, child.args)
    return usage.ru_maxrss / 1024, elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=200_000)
    parser.add_argument("--memory-records", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3, help="rounds of replay and record (median ratio)")
    args = parser.parse_args()
    count = args.records

    with ExitStack() as stack:
        workdir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="govern-bench-")))
        provider = provider_from_env(workdir / "kafka")
        bootstrap = provider.start()
        stack.callback(provider.stop)
        registry = stack.enter_context(serve_in_thread(None))
        admin = KafkaAdmin(bootstrap, timeout=60)
        stack.callback(admin.delete_created_topics)
        codec = FixtureSchemas(Header((SchemaEntry("payment", SCHEMA),))).codecs["payment"]

        fixture = workdir / "bench.jsonl"
        started = time.perf_counter()
        records, avg = build_file(fixture, count, codec)
        print(
            f"{count:,} records, {avg} bytes per framed value, "
            f"{fixture.stat().st_size / 1e6:.0f} MB of fixture "
            f"(written in {time.perf_counter() - started:.1f} s); kafka {provider.name} at {bootstrap}"
        )
        with Client(registry) as client:
            prefix = b"\x00" + client.register("raw-value", SCHEMA).id.to_bytes(4, "big")
        kcat_input = workdir / "kcat.in"
        with kcat_input.open("wb") as out:
            for key, body, _ in records:
                out.write(key + b"\t" + prefix + body + b"\n")

        def topic(label: str) -> str:
            return admin.create_topic(f"bench-{label}-{uuid.uuid4().hex[:8]}", PARTITIONS)

        # The first transactional producer on a fresh cluster waits ~1 s for the broker to create
        # __transaction_state, and the registry's first compatibility check and registration take
        # ~50 ms more than later ones; a real cluster and registry are warm already, so warm them
        # up outside the measurement.
        warm_up = {"schema": "payment", "value": make_value(random.Random(0), 0)}
        replay(
            [records_source(Header((SchemaEntry("payment", SCHEMA),)), [warm_up])],
            bootstrap=bootstrap,
            registry_url=registry,
            options=ReplayOptions(topic=topic("warmup")),
        )
        kcat = kcat_produce(bootstrap, topic("kcat"), kcat_input)
        print("replay (produce)")
        replay_ratios, replayed = [], []
        for round_ in range(1, args.repeat + 1):
            ceiling = raw_produce(bootstrap, topic("raw"), records, prefix)
            ours_topic = topic("ours")
            started = time.perf_counter()
            summary = replay(
                [file_source(fixture)],
                bootstrap=bootstrap,
                registry_url=registry,
                options=ReplayOptions(topic=ours_topic),
            )
            ours = time.perf_counter() - started
            assert summary.records == count
            replayed.append(ours_topic)
            replay_ratios.append(ceiling / ours)
            print_round(
                round_,
                workdir,
                count,
                ("raw Producer, pre-encoded (ceiling)", ceiling),
                ("kcat -P, same bytes", kcat),
                ("govern replay (validate+txn)", ours),
            )
            phases = ", ".join(f"{name} {seconds:.2f} s" for name, seconds in summary.phases.items())
            print(f"    phases: {phases}")
            per_record = summary.phases["validate"] / count * 1e6
            print(f"    validation (Rust codec): {per_record:.2f} us per record")
            print(line("  its produce pass alone (spool->txn)", count, summary.phases["produce"], ceiling))
            if kcat is not None:
                print(f"  govern replay vs kcat: {rate(count, ours) / rate(count, kcat):.2f}x")
        print(verdict("replay", replay_ratios, 0.60))

        del records
        # all read a topic the replay wrote (transactional: commit markers, read_committed)
        print("record (consume: confluent-kafka, decode: Rust codec)")
        kcat = kcat_consume(bootstrap, replayed[0])
        record_ratios = []
        for round_, source in enumerate(replayed, 1):
            ceiling = raw_consume(bootstrap, source, count)
            output = workdir / f"recorded-{round_}.jsonl"
            started = time.perf_counter()
            recorded = record_topics([source], output, bootstrap=bootstrap, registry_url=registry)
            ours = time.perf_counter() - started
            assert recorded.records == count
            output.unlink()
            record_ratios.append(ceiling / ours)
            print_round(
                round_,
                workdir,
                count,
                ("raw consumer loop (ceiling)", ceiling),
                ("kcat -C", kcat),
                ("govern record (decode+write)", ours),
            )
        print(verdict("record", record_ratios, 0.50))

        if args.memory_records:
            big = workdir / "memory.jsonl"
            build_file(big, args.memory_records, codec, seed=11)
            rss, elapsed = peak_rss_of_replay(bootstrap, registry, big, f"bench-mem-{uuid.uuid4().hex[:8]}")
            print(
                f"memory: govern replay of {args.memory_records:,} records "
                f"({big.stat().st_size / 1e6:.0f} MB): "
                f"peak RSS {rss:.0f} MB (target < 300 MB), {rate(args.memory_records, elapsed):,.0f} msg/s"
            )
    sys.stdout.flush()
    os._exit(0)  # the provider and registry are already stopped; skip slow interpreter teardown


if __name__ == "__main__":
    main()
