"""Registry benchmark (not a test): read throughput against the stack's ceiling, and registration cost.

Starts `govern registry serve` in a subprocess on loopback (SQLite store in a temp dir; with
`--kafka BOOTSTRAP` also a second run on a fresh `_schemas`-format topic of that cluster), then:

1. With N concurrent keep-alive clients (default 16) for D seconds each (taking turns in short
   slices, so background load affects all alike), measures requests/s and
   p50/p99 latency of `GET /schemas/ids/{id}` and lookup `POST /subjects/{s}`, beside the same
   server stack's trivial endpoint `GET /` (the ceiling), and prints each one's ratio to it.
   The load generator is a minimal asyncio HTTP/1.1 client so it costs far less than the server.
2. Under BACKWARD_TRANSITIVE, registers schemas over many subjects (default 9,910 over 1,000:
   10 "deep" subjects get 100 versions, the other 990 get 9), and prints the mean time per
   registration at versions 1, 50 and 100 of the deep subjects.

    .venv/bin/python bench/registry.py            # full run (about a minute or two)
    .venv/bin/python bench/registry.py --quick    # scaled down: 2 s per endpoint, 1,000 registrations
    .venv/bin/python bench/registry.py --quick --kafka "$(govern broker up | sed -n 's/^bootstrap: //p')"

With `--kafka`, the end prints the time per registration on each store side by side (a Kafka
registration is a transaction written, then read back before it is acknowledged).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
from _load import free_port, http_request, run_clients, summary  # bench/ is sys.path[0]

SR_JSON = "application/vnd.schemaregistry.v1+json"


def start_server(store: str, port: int) -> subprocess.Popen:
    process = subprocess.Popen(
        [sys.executable, "-m", "govern", "registry", "serve", "--port", str(port), "--store", store],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            httpx.get(f"http://127.0.0.1:{port}/", timeout=1)
            return process
        except httpx.TransportError:
            time.sleep(0.1)
    process.kill()
    raise SystemExit("the registry did not start")


def load_all(
    port: int, rows: list[tuple[str, str, str, bytes | None]], clients: int, seconds: float, rounds: int = 4
) -> list[tuple[float, float, float]]:
    """(requests/s, p50 ms, p99 ms) per endpoint under `clients` concurrent connections.

    Endpoints take turns in `rounds` short slices, so background load on a shared machine hits
    the ceiling and the endpoints alike and the ratios stay meaningful.
    """
    accept = {"Accept": SR_JSON}
    requests = [http_request(method, path, accept, body, SR_JSON) for _, method, path, body in rows]
    for request in requests:
        run_clients(port, request, 200, clients, min(0.5, seconds / 8))  # warm-up
    latencies: list[list[float]] = [[] for _ in rows]
    elapsed = [0.0 for _ in rows]
    for _ in range(rounds):
        for i, request in enumerate(requests):
            got, took = run_clients(port, request, 200, clients, seconds / rounds)
            latencies[i] += got
            elapsed[i] += took
    return [summary(values, took) for values, took in zip(latencies, elapsed, strict=True)]


def schema_version(subject_index: int, version: int) -> str:
    fields = [{"name": "id", "type": "string"}]
    fields += [{"name": f"f{i}", "type": "long", "default": i} for i in range(1, version)]
    return json.dumps({"type": "record", "name": f"S{subject_index}", "namespace": "bench", "fields": fields})


def registrations(url: str, subjects: int, deep: int, deep_versions: int, shallow_versions: int) -> float:
    """Register the history; print its timings; the mean seconds per registration."""
    with httpx.Client(base_url=url, timeout=60) as http:
        http.put("/config", json={"compatibility": "BACKWARD_TRANSITIVE"}).raise_for_status()
        timings: dict[int, list[float]] = {1: [], 50: [], 100: []}
        count = 0
        started = time.perf_counter()
        for version in range(1, max(deep_versions, shallow_versions) + 1):
            for subject in range(subjects):
                limit = deep_versions if subject < deep else shallow_versions
                if version > limit:
                    continue
                body = {"schema": schema_version(subject, version)}
                t0 = time.perf_counter()
                response = http.post(f"/subjects/bench-{subject}/versions", json=body)
                elapsed = time.perf_counter() - t0
                if response.status_code != 200 or response.json()["version"] != version:
                    raise SystemExit(f"registration failed: {response.status_code} {response.text[:200]}")
                count += 1
                if subject < deep and version in timings:
                    timings[version].append(elapsed)
        total = time.perf_counter() - started
    print(
        f"\nregistrations under BACKWARD_TRANSITIVE: {count} over {subjects} subjects in {total:.1f} s "
        f"({count / total:.0f}/s overall)"
    )
    for version, values in timings.items():
        if values:
            print(
                f"  version {version:>3}: {statistics.mean(values) * 1000:7.2f} ms per registration "
                f"(mean of {len(values)} deep subjects)"
            )
    return total / count


def run_store(label: str, store: str, args: argparse.Namespace, seconds: float, subjects: int) -> float:
    """Reads against the ceiling, then registrations, on one store; the mean seconds per registration."""
    deep = max(1, subjects // 100)
    print(f"\n== store: {label}")
    port = free_port()
    server = start_server(store, port)
    url = f"http://127.0.0.1:{port}"
    try:
        schema = schema_version(0, 3)
        registered = httpx.post(f"{url}/subjects/read-bench/versions", json={"schema": schema}).json()
        lookup_body = json.dumps({"schema": schema}).encode()
        rows = [
            ("GET / (ceiling)", "GET", "/", None),
            ("GET /schemas/ids/{id}", "GET", f"/schemas/ids/{registered['id']}", None),
            ("POST /subjects/{s} (lookup)", "POST", "/subjects/read-bench", lookup_body),
        ]
        print(f"\n{'endpoint':<30}{'req/s':>10}{'p50 ms':>10}{'p99 ms':>10}{'vs ceiling':>12}")
        results = load_all(port, rows, args.clients, seconds)
        ceiling = results[0][0]
        for (label_, *_), (rps, p50, p99) in zip(rows, results, strict=True):
            print(f"{label_:<30}{rps:>10.0f}{p50:>10.2f}{p99:>10.2f}{rps / ceiling:>11.0%}")
        return registrations(url, subjects, deep, 100, 9)
    finally:
        server.terminate()
        server.wait(15)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="scaled-down run for a smoke check")
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=None, help="per endpoint (default 8, quick 2)")
    parser.add_argument("--subjects", type=int, default=None, help="default 1000 (quick 100)")
    parser.add_argument(
        "--kafka", metavar="BOOTSTRAP", help="also run on a fresh _schemas topic of this cluster"
    )
    args = parser.parse_args()
    seconds = args.seconds or (2.0 if args.quick else 8.0)
    subjects = args.subjects or (100 if args.quick else 1000)
    print(f"govern registry benchmark: {args.clients} clients, {seconds:g} s/endpoint, {os.cpu_count()} CPUs")

    per_registration = {}
    with tempfile.TemporaryDirectory() as tmp:
        sqlite = str(Path(tmp) / "bench.sqlite")
        per_registration["SQLite"] = run_store("SQLite", sqlite, args, seconds, subjects)
    if args.kafka:
        topic = f"_schemas-bench-{os.getpid()}-{int(time.time())}"
        store = f"kafka://{args.kafka}?topic={topic}"
        per_registration["Kafka"] = run_store(f"Kafka ({topic})", store, args, seconds, subjects)
        base = per_registration["SQLite"]
        print("\ntime per registration (all versions): ", end="")
        print(", ".join(f"{name} {value * 1000:.2f} ms" for name, value in per_registration.items()), end="")
        print(f"; Kafka/SQLite {per_registration['Kafka'] / base:.1f}x")


if __name__ == "__main__":
    main()
