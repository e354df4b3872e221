"""``govern compat OLD NEW``: is a new schema file compatible with an old one at a level?"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from govern.avro import AvroSchema, parse_schema
from govern.cli.app import app, report_error
from govern.cli.options import OutputFormat
from govern.compat import Level, check_level
from govern.compat.render import render_text, result_to_json
from govern.errors import ExitCode, GovernError


def _parse(path: Path, references: list[AvroSchema], strict: bool) -> AvroSchema:
    return parse_schema(path, references=references, strict=strict)


@app.command()
def compat(
    old: Annotated[Path, typer.Argument(help="The existing schema (.avsc), e.g. the registered version.")],
    new: Annotated[Path, typer.Argument(help="The proposed schema (.avsc).")],
    level: Annotated[
        str,
        typer.Option(
            "--level", "-l", help="NONE, BACKWARD, FORWARD, FULL (each also _TRANSITIVE), any case."
        ),
    ] = "BACKWARD",
    output: Annotated[OutputFormat, typer.Option("--format", "-f", help="text or json.")] = OutputFormat.text,
    reference: Annotated[
        list[Path] | None,
        typer.Option("--ref", "-r", help="A schema file defining named types both schemas use (repeatable)."),
    ] = None,
    lenient_old: Annotated[
        bool,
        typer.Option(
            "--lenient-old", help="Parse OLD as Confluent parses stored schemas (no default checks)."
        ),
    ] = False,
) -> None:
    """Check NEW against OLD at a compatibility level (exit 0 compatible, 1 incompatible, 2 bad input)."""
    try:
        lvl = Level.parse(level)
        refs = [parse_schema(p, strict=False) for p in reference or []]
        old_schema = _parse(old, refs, strict=not lenient_old)
        new_schema = _parse(new, refs, strict=True)
        result = check_level(lvl, new_schema, [old_schema])
    except GovernError as error:
        report_error(error)
        raise typer.Exit(int(error.exit_code)) from None
    if output is OutputFormat.json:
        typer.echo(json.dumps(result_to_json(result, old=str(old), new=str(new)), indent=2))
    else:
        console = Console(highlight=False, soft_wrap=True)
        render_text(
            result,
            console,
            old_label=str(old),
            new_label=str(new),
            schemas={"old": old_schema, "new": new_schema},
        )
    raise typer.Exit(int(ExitCode.OK if result.compatible else ExitCode.FINDINGS))
