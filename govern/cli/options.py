"""What the `govern` commands share: one `--root`, `--format` and `--registry` declaration, the
error console and the one way to print an error.

Only typer, rich and the standard library here, so importing it keeps `govern --help` light.
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape

from govern.errors import GovernError
from govern.redaction import redact

err_console = Console(stderr=True, highlight=False)


def report_error(error: GovernError) -> None:
    """Print an error as one line of cause and, where known, one line of remedy."""
    # Messages quote user input and tool output: never interpret their brackets as markup, and
    # never print a registry password or token they may quote (a URL with user info, say).
    err_console.print(f"[bold red]error:[/] {escape(redact(error.message))}", soft_wrap=True)
    if error.hint:
        err_console.print(f"[dim]hint:[/] {escape(redact(error.hint))}", soft_wrap=True)


class OutputFormat(StrEnum):
    """The text-or-json output formats most commands offer (`--format`)."""

    text = "text"
    json = "json"


RootOption = Annotated[
    Path,
    typer.Option(
        "--root", help="Project root holding contracts/ and schemas/.", show_default=False, metavar="DIR"
    ),
]
"""`--root`: the project whose contracts/ and schemas/ a command reads (default: the current directory)."""

FormatOption = Annotated[OutputFormat, typer.Option("--format", help="text or json.")]
"""`--format text|json`, for commands whose help needs say no more."""

KafkaConfigOption = Annotated[
    list[str] | None,
    typer.Option(
        "--kafka-config",
        metavar="KEY=VALUE",
        help="A Kafka client setting for a secured cluster (repeatable; librdkafka's names, e.g. "
        "security.protocol=SASL_SSL, sasl.mechanism=PLAIN, sasl.username=..., sasl.password=@FILE: a value "
        "@FILE is read from FILE). Over the settings file GOVERN_KAFKA_CONFIG names.",
        show_default=False,
    ),
]

RegistryOption = Annotated[
    str | None,
    typer.Option(
        "--registry",
        help="Registry URL (default: GOVERN_REGISTRY_URL / govern.toml).",
        show_default=False,
        metavar="URL",
    ),
]
"""`--registry URL`: unset means GOVERN_REGISTRY_URL or govern.toml decides."""
