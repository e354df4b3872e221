"""`govern registry serve|add-user`: run the embedded Confluent-compatible schema registry.

Thin commands over govern.registry: `serve` runs the ASGI app under uvicorn (loopback by
default, a SQLite store under `.govern/` by default); `add-user` appends a scrypt-hashed user
to a users file for `serve --users`.
"""

from __future__ import annotations

import getpass
import os
import sys
from pathlib import Path
from typing import Annotated

import typer

from govern.errors import InputError

registry_app = typer.Typer(
    name="registry",
    help="Run a Confluent-compatible schema registry (REST API v1, Avro) on SQLite or Kafka (_schemas).",
    no_args_is_help=True,
)


@registry_app.command("serve")
def serve(
    host: Annotated[
        str, typer.Option(help="Address to bind; loopback unless you mean to expose it.")
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=0, max=65535, help="TCP port.")] = 8081,
    store: Annotated[
        str,
        typer.Option(
            help="SQLite file, ':memory:' for a throwaway store, or kafka://HOST:PORT[,...][?topic=_schemas] "
            "to share Confluent's _schemas topic with other instances."
        ),
    ] = ".govern/registry.sqlite",
    kafka_config: Annotated[
        list[str] | None,
        typer.Option(
            help="A Kafka client setting KEY=VALUE for a kafka:// store (repeatable), e.g. "
            "security.protocol=SASL_SSL; values may be @FILE to read them from a file.",
        ),
    ] = None,
    advertised_url: Annotated[
        str | None,
        typer.Option(help="URL other instances reach this one at (kafka:// store); default http://HOST:PORT."),
    ] = None,
    users: Annotated[
        Path | None,
        typer.Option(help="Users file (name:role:scrypt-hash lines) to require basic auth."),
    ] = None,
    log_level: Annotated[str, typer.Option(help="uvicorn log level.")] = "warning",
    tls_cert: Annotated[Path | None, typer.Option(help="PEM certificate (chain) to serve HTTPS.")] = None,
    tls_key: Annotated[Path | None, typer.Option(help="PEM private key for --tls-cert.")] = None,
    head_timeout: Annotated[
        float, typer.Option(min=0.1, help="Seconds a client has to send a whole request head.")
    ] = 10.0,
    body_timeout: Annotated[
        float, typer.Option(min=0.1, help="Seconds a client has to send a request body after its head.")
    ] = 30.0,
    keep_alive: Annotated[float, typer.Option(min=0.1, help="Seconds an idle connection stays open.")] = 5.0,
    max_connections: Annotated[int, typer.Option(min=1, help="Open connections; more are closed.")] = 1000,
    max_requests: Annotated[
        int, typer.Option(min=1, help="Requests in progress at once; more wait up to 10 s, then 503.")
    ] = 64,
    login_failures_per_user: Annotated[
        int, typer.Option(min=1, help="Failed logins per user name per window before 429.")
    ] = 10,
    login_failures_per_address: Annotated[
        int, typer.Option(min=1, help="Failed logins per client address per window before 429.")
    ] = 100,
    login_window: Annotated[float, typer.Option(min=1, help="Seconds failed logins are counted.")] = 60.0,
) -> None:
    """Serve the registry in the foreground until interrupted (Ctrl-C or SIGTERM).

    Schema complexity limits come from GOVERN_COMPAT_MAX_DEPTH, _NODES and _PAIRS (see README).
    """
    from govern.registry.server import serve as run
    from govern.registry.server.auth import AuthLimits, load_users
    from govern.registry.server.connections import ConnectionLimits

    loaded = load_users(users) if users is not None else None
    shown = store
    opened: object = store
    if store.startswith("kafka:"):
        from govern.registry.kafka_store import redact

        if advertised_url is None and host in ("0.0.0.0", "::", ""):
            raise InputError(
                f"--host {host or repr(host)} with a kafka:// store needs --advertised-url",
                hint="give the URL other registry instances reach this one at, e.g. http://reg-1:8081",
            )
        url = advertised_url or f"{'https' if tls_cert else 'http'}://{host}:{port}"
        opened, shown = _kafka_store(store, kafka_config or [], url), redact(store)
    elif store != ":memory:" and Path(store).is_dir():
        raise InputError(
            f"--store {store} is a directory", hint="give a file path, e.g. .govern/registry.sqlite"
        )
    try:
        run(
            host=host,
            port=port,
            store=opened,  # type: ignore[arg-type]
            users=loaded,
            log_level=log_level,
            tls_cert=tls_cert,
            tls_key=tls_key,
            announce=lambda url: typer.echo(f"govern registry: serving {url} (store: {shown})", err=True),
            auth_limits=AuthLimits(login_failures_per_user, login_failures_per_address, login_window),
            connections=ConnectionLimits(
                head_timeout_s=head_timeout,
                body_timeout_s=body_timeout,
                keep_alive_s=keep_alive,
                max_connections=max_connections,
                max_requests=max_requests,
            ),
        )
    finally:
        if not isinstance(opened, str):
            opened.close()  # type: ignore[attr-defined]  # leave the group: a follower leads at once


def _kafka_store(store: str, settings: list[str], url: str) -> object:
    """Open a `KafkaStore` from `--store kafka://...` and `--kafka-config KEY=VALUE` settings."""
    from govern.errors import EnvironmentProblem
    from govern.kafka.settings import parse_setting
    from govern.registry.errors import StoreError
    from govern.registry.kafka_store import KafkaStore, parse_store_url

    try:
        bootstrap, topic, config = parse_store_url(store)
    except ValueError as error:
        raise InputError(str(error), hint="write --store kafka://HOST:PORT[?topic=_schemas]") from None
    for setting in settings:
        name, value = parse_setting(setting, "--kafka-config")
        config[name] = value
    try:
        return KafkaStore(bootstrap, topic=topic, url=url, settings=config)
    except StoreError as error:
        raise EnvironmentProblem(error.message, hint=getattr(error, "hint", None)) from None
    except Exception as error:  # noqa: BLE001 - librdkafka refuses a bad setting by raising KafkaException
        raise InputError(
            f"--store {store.split('?')[0]}: {error}", hint="check the --kafka-config settings"
        ) from None


@registry_app.command("add-user")
def add_user(
    users_file: Annotated[Path, typer.Argument(help="Users file to append to (created if missing).")],
    name: Annotated[str, typer.Argument(help="User name (no ':' or spaces).")],
    role: Annotated[
        str, typer.Option(help="read (GET, lookups, compatibility checks) or write (everything).")
    ] = "read",
    password_stdin: Annotated[
        bool,
        typer.Option("--password-stdin", help="Read the password from standard input instead of a prompt."),
    ] = False,
) -> None:
    """Append a user with a scrypt-hashed password to a users file for `serve --users`."""
    from govern.registry.server.auth import format_user, load_users

    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = getpass.getpass(f"password for {name}: ")
    if not password:
        raise InputError("empty password", hint="give a non-empty password")
    if users_file.exists() and name in load_users(users_file):
        raise InputError(
            f"user {name} already exists in {users_file}", hint="remove its line first to replace it"
        )
    line = format_user(name, role, password)
    users_file.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(users_file, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    with os.fdopen(fd, "a", encoding="utf-8") as out:
        out.write(line + "\n")
    typer.echo(f"added {role} user {name} to {users_file}", err=True)
