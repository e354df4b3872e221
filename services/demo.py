"""`python -m services.demo` (`bash ci/demo.sh`): the README's main job, the exchange on govern's defaults.

Starts (or reuses) Kafka, creates the exchange's topics from contracts/, starts an embedded
schema registry and registers the catalog's schemas (as `govern register` does), runs the four
services in this process (account, rate, transaction, wallet; their logs go to
`.govern/demo-services.log`), plays a scripted scenario through the topics (two accounts,
deposits, an exchange each, a rejected withdrawal), prints the outcomes and the resulting
wallets, then stops everything it started. `--keep-running` keeps it all up until Ctrl-C.

A fresh Kafka gets a throwaway registry and account store; a reused cluster (KAFKA_BOOTSTRAP_SERVERS
or a running `govern broker`) gets `.govern/registry.sqlite` and `.govern/demo-accounts.sqlite`, so
schema ids on its topics stay valid from one run to the next.

The demo uses govern as any of its users would: its public library (`govern.kafka`,
`govern.registry`, `govern.config`) and its command line (`govern catalog`, `govern register`).
"""

from __future__ import annotations

import argparse
import json
import logging
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import ExitStack, contextmanager
from decimal import Decimal
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from govern.errors import EnvironmentProblem, GovernError
from services.common import Codecs, ServiceConfig
from services.common.runner import run_services
from services.common.topics import create_topics
from services.runner import build_services
from services.scenario import run_scenario

console = Console(highlight=False)

READY_TIMEOUT_S = 60.0
"""How long the services may take to restore their state and start consuming."""


@contextmanager
def kafka_for_demo(root: Path) -> Iterator[tuple[str, bool]]:
    """(bootstrap, reused): KAFKA_BOOTSTRAP_SERVERS, a running `govern broker`, else a fresh one."""
    from govern.kafka import provider_from_env, resolve_bootstrap

    running = resolve_bootstrap(root)
    if running is not None:
        console.print(f"Kafka: using the running cluster at [bold]{running}[/]")
        yield running, True
        return
    provider = provider_from_env()
    with console.status(f"Starting Kafka ({provider.name}); the first run fetches its jars…"):
        started = time.monotonic()
        bootstrap = provider.start()
    console.print(f"Kafka: started at [bold]{bootstrap}[/] in {time.monotonic() - started:.1f} s")
    try:
        yield bootstrap, False
    finally:
        with console.status("Stopping Kafka…"):
            provider.stop()
        console.print("Kafka: stopped")


@contextmanager
def registry_for_demo(root: Path, reused_kafka: bool, stack: ExitStack) -> Iterator[str]:
    """The registry to use: GOVERN_REGISTRY_URL / govern.toml, else an embedded one in a thread."""
    from govern.config import load_config
    from govern.registry.server import serve_in_thread

    configured = load_config(root).registry_url
    if configured:
        console.print(f"Registry: using [bold]{configured}[/]")
        yield configured
        return
    store = None
    if reused_kafka:
        (root / ".govern").mkdir(exist_ok=True)
        store = root / ".govern" / "registry.sqlite"
    with serve_in_thread(store) as url:
        console.print(f"Registry: embedded at [bold]{url}[/]" + (f" ({store})" if store else " (in memory)"))
        yield url
    console.print("Registry: stopped")


def govern_command(*args: str, capture: bool = False) -> subprocess.CompletedProcess[str]:
    """Run `govern ARGS` (this interpreter's govern), as the exchange's operators would."""
    sys.stdout.flush()
    return subprocess.run([sys.executable, "-m", "govern", *args], capture_output=capture, text=True)


def register_schemas(root: Path, url: str) -> tuple[int, int]:
    """`govern register` the catalog's subjects; returns (registered, unchanged)."""
    command = ["register", "--root", str(root), "--registry", url, "--format", "json"]
    done = govern_command(*command, capture=True)
    if done.returncode not in (0, 1):
        raise EnvironmentProblem(f"govern register failed: {done.stderr.strip()}")
    subjects = json.loads(done.stdout)["subjects"]
    bad = [s["subject"] for s in subjects if s["status"] not in ("registered", "unchanged")]
    if bad:
        raise EnvironmentProblem(f"the registry at {url} refused {', '.join(bad)}",
                                 hint="run `govern register --dry-run` to see why")  # fmt: skip
    statuses = [s["status"] for s in subjects]
    return statuses.count("registered"), statuses.count("unchanged")


def _services_log(root: Path) -> Path:
    from services.common.logs import LOGGER, setup_logging

    (root / ".govern").mkdir(exist_ok=True)
    path = root / ".govern" / "demo-services.log"
    setup_logging("INFO")
    for handler in list(LOGGER.handlers):
        LOGGER.removeHandler(handler)
    handler = logging.FileHandler(path, mode="a", encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(message)s"))
    LOGGER.addHandler(handler)
    kafka_logger = logging.getLogger("govern.kafka.librdkafka")
    for old in list(kafka_logger.handlers):
        if isinstance(old, logging.StreamHandler) and not isinstance(old, logging.FileHandler):
            kafka_logger.removeHandler(old)
    kafka_logger.addHandler(handler)
    return path


def _amount(value: Decimal | None) -> str:
    if value is None:
        return "-"
    text = f"{value.normalize():f}"
    return text


def _describe_request(request: dict[str, Any]) -> str:
    text = f"{request['type']} {_amount(request['amount'])} {request['currency']}"
    return text + (f" -> {request['target_currency']}" if request.get("target_currency") else "")


def _describe_outcome(kind: str, record: dict[str, Any]) -> str:
    if kind == "rejected":
        return f"[red]rejected[/] {record['reason']}: {record['message']}"
    parts = []
    if record.get("debit_amount") is not None:
        parts.append(f"-{_amount(record['debit_amount'])} {record['debit_currency']}")
    if record.get("credit_amount") is not None:
        parts.append(f"+{_amount(record['credit_amount'])} {record['credit_currency']}")
    rate = record.get("rate")
    if rate:
        parts.append(f"at {rate['side'].lower()} {_amount(rate['price'])} {rate['quote']}/{rate['base']}")
    return "[green]applied[/] " + ", ".join(parts)


def _render(result: Any) -> None:
    out = console if console.is_terminal else Console(highlight=False, width=max(console.width, 140))
    outcomes = Table(title="Transactions", title_justify="left")
    for column in ("account", "request", "outcome"):
        outcomes.add_column(column)
    for request in result.requests:
        kind, record = result.outcomes[request["guid"]]
        outcomes.add_row(request["account_id"], _describe_request(request), _describe_outcome(kind, record))
    out.print(outcomes)
    wallets = Table(title="Wallets (topic wallet)", title_justify="left")
    for column, justify in (
        ("account", "left"),
        ("currency", "left"),
        ("balance", "right"),
        ("value", "right"),
    ):
        wallets.add_column(column, justify=justify)  # type: ignore[arg-type]
    for account in result.accounts:
        wallet = result.wallets[account]
        for entry in wallet["balances"]:
            valuation = entry["valuation"]
            value = "-" if valuation is None else f"{_amount(valuation['amount'])} {valuation['currency']}"
            wallets.add_row(account, entry["currency"], _amount(entry["amount"]), value)
        total = wallet["total_valuation"]
        wallets.add_row("", "[bold]total[/]", "",
                        "-" if total is None else f"[bold]{_amount(total['amount'])} {total['currency']}[/]",
                        end_section=True)  # fmt: skip
    out.print(wallets)


def _json(result: Any) -> str:
    def plain(value: Any) -> Any:
        if isinstance(value, Decimal):
            return f"{value:f}"
        if isinstance(value, dict):
            return {k: plain(v) for k, v in value.items()}
        if isinstance(value, list):
            return [plain(v) for v in value]
        if hasattr(value, "isoformat"):
            return value.isoformat()
        return value if isinstance(value, str | int | float | bool | type(None)) else str(value)

    return json.dumps({
        "accounts": result.accounts,
        "transactions": [
            {"request": plain(q), "outcome": kind, "record": plain(record)}
            for q in result.requests
            for kind, record in [result.outcomes[q["guid"]]]
        ],
        "wallets": plain(result.wallets),
        "scenario_seconds": round(result.seconds, 2),
    })  # fmt: skip


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


def demo(
    root: Path = Path("."),
    keep_running: bool = False,
    topic_prefix: str = "",
    output: str = "text",
    ui_port: int = 8000,
) -> None:
    """Run the exchange: Kafka, topics, registry, the services and a scripted scenario."""
    global console
    if output == "json":
        console = Console(highlight=False, stderr=True)
    root = root.resolve()
    from govern.catalog import load_catalog

    load_catalog(root)  # bad contracts fail before anything starts
    started = time.monotonic()
    with ExitStack() as stack:
        bootstrap, reused = stack.enter_context(kafka_for_demo(root))
        with console.status("Creating the exchange's topics…"):
            created, kept = create_topics(ServiceConfig(bootstrap, "", root=root, topic_prefix=topic_prefix))
        console.print(f"Topics: {len(created)} created, {len(kept)} already there")
        if output == "text":
            govern_command("catalog", "--root", str(root))
        url = stack.enter_context(registry_for_demo(root, reused, stack))
        registered, unchanged = register_schemas(root, url)
        console.print(f"Schemas: {registered} subjects registered, {unchanged} unchanged")

        log_path = _services_log(root)
        store_dir = root / ".govern" if reused else Path(stack.enter_context(tempfile.TemporaryDirectory()))
        config = ServiceConfig(bootstrap, url, root=root, topic_prefix=topic_prefix)
        only = ["account", "rate", "transaction", "wallet"] + (["ui"] if keep_running and ui_port else [])
        services = build_services(config, only=only, store=store_dir / "demo-accounts.sqlite", speed=10.0,
                                  ui_port=ui_port)  # fmt: skip
        stop = threading.Event()
        failure: list[BaseException] = []

        def supervise() -> None:
            try:
                run_services(services, stop)
            except BaseException as error:  # noqa: BLE001 - reported below
                failure.append(error)

        runner = threading.Thread(target=supervise, name="services", daemon=True)
        runner.start()
        try:
            with console.status(f"Starting the services ({', '.join(s.name for s in services)})…"):
                deadline = time.monotonic() + READY_TIMEOUT_S
                for service in services:
                    while not service.ready.wait(0.2):  # type: ignore[attr-defined]
                        if failure or time.monotonic() > deadline:
                            raise EnvironmentProblem(
                                f"the {service.name} service did not start: "
                                f"{failure[0] if failure else 'timeout'}",
                                hint=f"see {log_path}",
                            )
            console.print(f"Services: {', '.join(s.name for s in services)} running", soft_wrap=True)
            console.print(f"Service logs: {log_path}", soft_wrap=True)
            codecs = Codecs(config)
            try:
                with console.status("Playing the scenario…"):
                    result = run_scenario(config, codecs)
            except TimeoutError as error:
                raise EnvironmentProblem(
                    f"the scenario did not complete: {error}", hint=f"see {log_path}"
                ) from None
            finally:
                codecs.close()
            if output == "json":
                sys.stdout.write(_json(result) + "\n")
                sys.stdout.flush()
            else:
                _render(result)
            console.print(f"Scenario: {len(result.requests)} requests answered in {result.seconds:.1f} s")
            if keep_running:
                ui = next((s for s in services if s.name == "ui"), None)
                if ui is not None:
                    console.print(f"Web UI: [bold]{ui.url}[/]")  # type: ignore[attr-defined]
                console.print(f"Running; Kafka at [bold]{bootstrap}[/], registry at [bold]{url}[/]. "
                              "Press Ctrl-C to stop.")  # fmt: skip
                _wait_for_interrupt()
        finally:
            stop.set()
            with console.status("Stopping the services…"):
                runner.join(30)
            if runner.is_alive():
                console.print("Services: [red]still running after 30 s[/]")
            else:
                console.print("Services: stopped" + (f" [red](failed: {failure[0]!r})[/]" if failure else ""))
    console.print(f"Demo: done in {time.monotonic() - started:.1f} s")
    if failure:
        raise EnvironmentProblem(f"a service failed: {failure[0]!r}", hint=f"see {log_path}")


def main(argv: Sequence[str] | None = None) -> int:
    """Command line of the demo; errors are one line of cause and one of remedy, exit 2 or 3."""
    parser = argparse.ArgumentParser(
        prog="python -m services.demo",
        description="Run the exchange: Kafka, topics, registry, the services and a scripted scenario.",
    )
    add = parser.add_argument
    add("--root", type=Path, default=Path("."), help="project root holding contracts/ and schemas/")
    add("--keep-running", action="store_true", help="keep everything running until Ctrl-C")
    add("--topic-prefix", default="", help="prefix of every topic, group and subject (share a cluster)")
    add("--format", dest="output", choices=("text", "json"), default="text",
        help="text, or json (the scenario's result on stdout)")  # fmt: skip
    add("--ui-port", type=int, default=8000, help="with --keep-running: the web UI's port (0: none)")
    args = parser.parse_args(argv)
    try:
        demo(args.root, args.keep_running, args.topic_prefix, args.output, args.ui_port)
    except GovernError as error:
        # Messages quote user input and tool output: never interpret their brackets as markup.
        errors = Console(stderr=True, highlight=False)
        errors.print(f"[bold red]error:[/] {escape(error.message)}", soft_wrap=True)
        if error.hint:
            errors.print(f"[dim]hint:[/] {escape(error.hint)}", soft_wrap=True)
        return int(error.exit_code)
    return 0


if __name__ == "__main__":
    sys.exit(main())
