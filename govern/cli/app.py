"""Wires every command group into one typer app and maps library errors to exit codes."""

from __future__ import annotations

import sys
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape

from govern import __version__
from govern.errors import ExitCode, GovernError
from govern.redaction import redact

app = typer.Typer(
    name="govern",
    help="Schema governance for event-driven microservices on Apache Kafka.",
    no_args_is_help=True,
    rich_markup_mode="rich",
    pretty_exceptions_enable=False,
)
err_console = Console(stderr=True, highlight=False)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"govern {__version__}")
        raise typer.Exit(ExitCode.OK)


@app.callback()
def root(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version and exit.")
    ] = False,
) -> None:
    """Schema governance for event-driven microservices on Apache Kafka."""
    from govern.config import load_config

    load_config(".")  # an unknown or bad setting in govern.toml fails every command (exit 2)


def report_error(error: GovernError) -> None:
    """Print an error as one line of cause and, where known, one line of remedy."""
    # Messages quote user input and tool output: never interpret their brackets as markup, and
    # never print a registry password or token they may quote (a URL with user info, say).
    err_console.print(f"[bold red]error:[/] {escape(redact(error.message))}", soft_wrap=True)
    if error.hint:
        err_console.print(f"[dim]hint:[/] {escape(redact(error.hint))}", soft_wrap=True)


def main() -> None:
    """Console-script entry point."""
    try:
        app()
    except GovernError as error:
        report_error(error)
        sys.exit(int(error.exit_code))


# Each command module adds its commands to `app` on import; the list lives in commands.py.
from govern.cli import commands  # noqa: E402,F401

if __name__ == "__main__":
    main()
