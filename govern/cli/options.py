"""Option types shared by the `govern` commands: one `--root`, `--format` and `--registry` declaration.

Only typer and the standard library here, so importing it keeps `govern --help` light.
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer


class OutputFormat(StrEnum):
    """The text-or-json output formats most commands offer (`--format`)."""

    text = "text"
    json = "json"


RootOption = Annotated[
    Path, typer.Option("--root", help="Project root holding contracts/ and schemas/.", show_default=False)
]
"""`--root`: the project whose contracts/ and schemas/ a command reads (default: the current directory)."""

FormatOption = Annotated[OutputFormat, typer.Option("--format", help="text or json.")]
"""`--format text|json`, for commands whose help needs say no more."""

RegistryOption = Annotated[
    str | None,
    typer.Option(
        "--registry", help="Registry URL (default: GOVERN_REGISTRY_URL / govern.toml).", show_default=False
    ),
]
"""`--registry URL`: unset means GOVERN_REGISTRY_URL or govern.toml decides."""
