"""`govern demo`: the README's main job, on the embedded defaults.

Starts (or reuses) Kafka, creates the exchange's topics from contracts/ with their declared
settings, prints the catalog, and stops what it started. Later steps of the exchange plug in here.
"""

from __future__ import annotations

import signal
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from govern.catalog import Catalog, load_catalog, topic_specs
from govern.cli.app import app
from govern.cli.catalog import render_table
from govern.kafka import KafkaAdmin, provider_from_env, resolve_bootstrap

console = Console(highlight=False)


@contextmanager
def kafka_for_demo(root: Path) -> Iterator[str]:
    """The cluster to use: KAFKA_BOOTSTRAP_SERVERS, a running `govern broker`, else a fresh one."""
    running = resolve_bootstrap(root)
    if running is not None:
        console.print(f"Kafka: using the running cluster at [bold]{running}[/]")
        yield running
        return
    provider = provider_from_env()
    with console.status(f"Starting Kafka ({provider.name}); the first run fetches its jars…"):
        started = time.monotonic()
        bootstrap = provider.start()
    console.print(f"Kafka: started at [bold]{bootstrap}[/] in {time.monotonic() - started:.1f} s")
    try:
        yield bootstrap
    finally:
        with console.status("Stopping Kafka…"):
            provider.stop()
        console.print("Kafka: stopped")


def create_topics(bootstrap: str, catalog: Catalog) -> tuple[list[str], list[str]]:
    """Create every catalog topic that does not exist yet; returns (created, already there)."""
    admin = KafkaAdmin(bootstrap)
    try:
        existing = admin.list_topics()
        created, kept = [], []
        for spec in topic_specs(catalog):
            if spec.name in existing:
                kept.append(spec.name)
                continue
            admin.create_topic(spec.name, spec.partitions, spec.config)
            created.append(spec.name)
        return created, kept
    finally:
        admin.close()


def _wait_for_interrupt() -> None:
    stop = threading.Event()
    previous = signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        while not stop.wait(0.5):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        signal.signal(signal.SIGTERM, previous)


@app.command("demo")
def demo(
    root: Annotated[
        Path, typer.Option("--root", help="Project root holding contracts/ and schemas/.", show_default=False)
    ] = Path("."),
    keep_running: Annotated[
        bool, typer.Option("--keep-running", help="Keep everything running until Ctrl-C.")
    ] = False,
) -> None:
    """Run the exchange's platform on the embedded defaults: Kafka, its topics, the catalog."""
    catalog = load_catalog(root)  # bad contracts fail before anything starts
    with kafka_for_demo(root) as bootstrap:
        with console.status("Creating the exchange's topics…"):
            created, kept = create_topics(bootstrap, catalog)
        console.print(f"Topics: {len(created)} created, {len(kept)} already there")
        render_table(console, catalog)
        if keep_running:
            console.print(f"Running; Kafka at [bold]{bootstrap}[/]. Press Ctrl-C to stop.")
            _wait_for_interrupt()
