"""`govern broker up|status|down|fetch`: a local Apache Kafka for the project, no Docker needed.

Thin commands over govern.kafka: the broker runs detached, its whereabouts are kept in
`<root>/.govern/broker.json` so that later commands (and `resolve_bootstrap()`) find it.
"""

from __future__ import annotations

import json
import os
import shutil
import time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console

from govern.cli.options import FormatOption, OutputFormat
from govern.config import load_config
from govern.errors import EnvironmentProblem, InputError

if TYPE_CHECKING:  # govern.kafka loads confluent_kafka: imported by the commands, not by `govern --help`
    from govern.kafka import BrokerError, LocalBroker

#: = govern.kafka.BROKER_STARTUP_TIMEOUT_S, written out so that `govern --help` need not import
#: govern.kafka (tests/unit/test_cli_imports.py keeps the two equal)
BROKER_STARTUP_TIMEOUT_S = 90.0

broker_app = typer.Typer(
    name="broker",
    help="Run a local single-node Apache Kafka (KRaft, from Maven Central jars) for this project.",
    no_args_is_help=True,
)

# Log lines contain [brackets]; print them verbatim, never as rich markup.
_plain_err = Console(stderr=True, highlight=False, markup=False, soft_wrap=True)

STATUS_REACH_TIMEOUT_S = 3.0
"""How long `status` waits for an external cluster to answer before calling it unreachable."""


RootOption = Annotated[
    Path,
    typer.Option(
        "--root", help="Project root; the broker state lives in <root>/.govern.", show_default=False
    ),
]


@broker_app.command("up")
def up(
    root: RootOption = Path("."),
    timeout: Annotated[
        float, typer.Option("--timeout", help="Seconds to wait for the broker to answer metadata.", min=1)
    ] = BROKER_STARTUP_TIMEOUT_S,
    sasl_user: Annotated[
        list[str] | None,
        typer.Option(
            "--sasl-user",
            metavar="NAME:PASSWORD",
            help="Also listen for SASL/PLAIN logins of this user (repeatable): a local stand-in for a "
            "secured cluster, to try --kafka-config settings on.",
            show_default=False,
        ),
    ] = None,
    tls_keystore: Annotated[
        Path | None,
        typer.Option(
            "--tls-keystore",
            metavar="PEM",
            help="Serve that listener over TLS: a PEM file with the unencrypted private key, then the "
            "certificate chain (SASL_SSL with --sasl-user, else SSL).",
            show_default=False,
        ),
    ] = None,
    output: FormatOption = OutputFormat.text,
) -> None:
    """Start the project's broker (fetching Kafka's jars the first time) and print its bootstrap address."""
    from govern.kafka import BOOTSTRAP_ENV, PROVIDER_ENV, BrokerError, start_local_broker
    from govern.kafka.state import broker_workdir, clear_state, ensure_state_dir, read_state, write_state

    root = root.resolve()
    external = _configured_cluster(root)
    if external is not None:
        bootstrap, source = external
        _emit(
            output,
            {"running": None, "provider": "external", "bootstrap": bootstrap, "source": source},
            [f"{source} sets the cluster to {bootstrap}: using it, no local broker started."],
        )
        return
    provider = os.environ.get(PROVIDER_ENV, "jvm").strip().lower() or "jvm"
    if provider != "jvm":
        raise InputError(
            f"`govern broker up` runs Kafka on the JVM only, but {PROVIDER_ENV}={provider!r}",
            hint=f"unset {PROVIDER_ENV} (testcontainers is for the pytest fixture), or set {BOOTSTRAP_ENV}",
        )
    current = read_state(root)
    if current is not None and current.is_running():
        _emit(output, _describe(current, root, running=True), [*_lines(current, root), "(already running)"])
        return
    users = _sasl_users(sasl_user or [])
    if tls_keystore is not None and not tls_keystore.is_file():
        raise InputError(f"--tls-keystore {tls_keystore}: no such file")
    clear_state(root)
    ensure_state_dir(root)
    started = time.monotonic()
    try:
        broker = start_local_broker(
            broker_workdir(root), timeout=timeout, sasl_users=users, tls_keystore=tls_keystore
        )
    except BrokerError as error:
        _print_log_tail(error)
        raise EnvironmentProblem(error.message, hint=error.hint) from error
    try:
        write_state(root, broker)
    except BaseException:
        broker.stop()  # never leave a broker that no state file points to
        raise
    took = time.monotonic() - started
    details = {**_describe(broker, root, running=True), "startup_seconds": round(took, 2)}
    _emit(
        output,
        details,
        [*_lines(broker, root), f"started in {took:.1f} s; stop it with `govern broker down`"],
    )


@broker_app.command("status")
def status(root: RootOption = Path("."), output: FormatOption = OutputFormat.text) -> None:
    """Say whether the project's Kafka is up (exit 0) or not (exit 3), with bootstrap, pid and log path."""
    from govern.kafka import is_reachable, read_state, state_path
    from govern.kafka.settings import connection_settings

    root = root.resolve()
    external = _configured_cluster(root)
    if external is not None:
        bootstrap, source = external
        reachable = is_reachable(bootstrap, STATUS_REACH_TIMEOUT_S, connection=connection_settings())
        word = "reachable" if reachable else f"not reachable within {STATUS_REACH_TIMEOUT_S:g} s"
        _emit(
            output,
            {"running": reachable, "provider": "external", "bootstrap": bootstrap, "source": source},
            [f"external cluster ({source}): {word}", f"bootstrap: {bootstrap}"],
        )
        if not reachable:
            raise typer.Exit(3)
        return
    broker = read_state(root)
    if broker is None:
        _emit(
            output,
            {"running": False, "provider": "jvm", "state_file": str(state_path(root))},
            ["not running (start it with `govern broker up`)"],
        )
        raise typer.Exit(3)
    running = broker.is_running()
    lines = _lines(broker, root)
    if not running:
        lines = [f"not running: the recorded broker (pid {broker.pid}) is gone; see its log", *lines[1:]]
    _emit(output, _describe(broker, root, running=running), lines)
    if not running:
        raise typer.Exit(3)


@broker_app.command("down")
def down(root: RootOption = Path("."), output: FormatOption = OutputFormat.text) -> None:
    """Stop the project's broker (SIGTERM, then SIGKILL after a timeout) and remove its state and data."""
    from govern.kafka import BOOTSTRAP_ENV, clear_state, read_state

    root = root.resolve()
    broker = read_state(root)
    if broker is None:
        note = "no local broker recorded for this project; nothing to stop"
        if os.environ.get(BOOTSTRAP_ENV):
            note += f" ({BOOTSTRAP_ENV} names a cluster govern does not manage)"
        _emit(output, {"stopped": False, "running": False}, [note])
        return
    was_running = broker.stop()
    clear_state(root)
    shutil.rmtree(broker.data_dir, ignore_errors=True)
    message = (
        f"stopped Kafka (pid {broker.pid}); log kept at {broker.log_path}"
        if was_running
        else f"the recorded broker (pid {broker.pid}) was not running; state removed"
    )
    _emit(output, {"stopped": was_running, "running": False, "pid": broker.pid}, [message])


@broker_app.command("fetch")
def fetch(output: FormatOption = OutputFormat.text) -> None:
    """Fetch the pinned Kafka's jars from Maven Central into the cache (once; later runs are instant)."""
    from govern.kafka import KAFKA_VERSION, fetch_kafka
    from govern.kafka.distribution import is_fetched, version_dir

    already = is_fetched(KAFKA_VERSION)
    distribution = fetch_kafka(KAFKA_VERSION)
    jars = sorted(distribution.libs.glob("*.jar"))
    verb = "already fetched" if already else "fetched"
    _emit(
        output,
        {
            "version": KAFKA_VERSION,
            "path": str(version_dir(KAFKA_VERSION)),
            "jars": len(jars),
            "fetched": not already,
        },
        [f"Apache Kafka {KAFKA_VERSION}: {verb}, {len(jars)} jars in {distribution.libs}"],
    )


def _sasl_users(items: list[str]) -> dict[str, str]:
    """`--sasl-user NAME:PASSWORD` flags as {name: password}, checked as the broker needs them."""
    from govern.kafka.broker import check_sasl_users

    users: dict[str, str] = {}
    for item in items:
        name, sep, password = item.partition(":")
        if not sep:
            raise InputError(f"--sasl-user {item!r}: expected NAME:PASSWORD")
        users[name] = password
    try:
        check_sasl_users(users)
    except ValueError as error:
        raise InputError(f"--sasl-user: {error}") from None
    return users


def _configured_cluster(root: Path) -> tuple[str, str] | None:
    """(bootstrap, where it was set) when the environment or govern.toml names a cluster."""
    from govern.kafka import BOOTSTRAP_ENV

    from_env = os.environ.get(BOOTSTRAP_ENV, "").strip()
    if from_env:
        return from_env, BOOTSTRAP_ENV
    configured = load_config(root).bootstrap_servers
    return (configured, "project config (bootstrap_servers)") if configured else None


def _describe(broker: LocalBroker, root: Path, *, running: bool) -> dict[str, Any]:
    from govern.kafka import state_path

    return {"running": running, "provider": "jvm", **broker.to_dict(), "state_file": str(state_path(root))}


def _lines(broker: LocalBroker, root: Path) -> list[str]:
    from govern.kafka import state_path

    return [
        f"running: Apache Kafka {broker.version} (KRaft, one node)",
        f"bootstrap: {broker.bootstrap}",
        *([f"secured listener: {broker.secured_bootstrap}"] if broker.secured_bootstrap else []),
        f"pid: {broker.pid}",
        f"log: {broker.log_path}",
        f"data: {broker.data_dir}",
        f"state: {state_path(root)}",
    ]


def _emit(output: OutputFormat, data: dict[str, Any], lines: list[str]) -> None:
    if output is OutputFormat.json:
        typer.echo(json.dumps(data, indent=2, sort_keys=True))
    else:
        for line in lines:
            typer.echo(line)


def _print_log_tail(error: BrokerError) -> None:
    _plain_err.print(f"last lines of {error.log_path}:")
    for line in error.log_tail or ["(log is empty)"]:
        _plain_err.print(f"  | {line}")
