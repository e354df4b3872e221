"""``govern compat OLD NEW``: is a new schema file compatible with an old one at a level?"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from govern.cli.options import OutputFormat, report_error
from govern.errors import ExitCode, GovernError


def compat(
    old: Annotated[Path, typer.Argument(help="The existing schema (.avsc), e.g. the registered version.")],
    new: Annotated[Path, typer.Argument(help="The proposed schema (.avsc).")],
    level: Annotated[
        str,
        typer.Option(
            "--level",
            "-l",
            help="NONE, BACKWARD, FORWARD, FULL (each also _TRANSITIVE), any case.",
            metavar="LEVEL",
        ),
    ] = "BACKWARD",
    output: Annotated[OutputFormat, typer.Option("--format", "-f", help="text or json.")] = OutputFormat.text,
    reference: Annotated[
        list[Path] | None,
        typer.Option(
            "--ref",
            "-r",
            help="A schema file defining named types both schemas use (repeat for several).",
            metavar="FILE",
        ),
    ] = None,
    lenient_old: Annotated[
        bool,
        typer.Option(
            "--lenient-old", help="Parse OLD as Confluent parses stored schemas (no default checks)."
        ),
    ] = False,
    with_lint: Annotated[
        bool,
        typer.Option(
            "--lint/--no-lint",
            help="Also warn of compatible changes that put readers at risk (the LINT rules; never exit 1).",
        ),
    ] = True,
) -> None:
    """Check NEW against OLD at a compatibility level.

    Exit 0 compatible (lint warnings included), 1 incompatible, 2 bad input.
    """
    from govern.avro import parse_schema
    from govern.compat import Level, check_level
    from govern.compat.lint import lint
    from govern.report import FORMAT_VERSION, Report, SubjectReport
    from govern.report.jsonfmt import finding_json
    from govern.report.sources import Lines
    from govern.report.text import render

    try:
        lvl = Level.parse(level)
        refs = [parse_schema(p, strict=False) for p in reference or []]
        old_schema = parse_schema(old, references=refs, strict=not lenient_old)
        new_schema = parse_schema(new, references=refs, strict=True)
        result = check_level(lvl, new_schema, [old_schema])
    except GovernError as error:
        report_error(error)
        raise typer.Exit(int(error.exit_code)) from None
    lines = Lines()
    warnings = lint(old_schema, new_schema) if with_lint else []
    findings = [lines.finding(f) for f in [*result.findings, *warnings]]
    if output is OutputFormat.json:
        doc = {
            "format_version": FORMAT_VERSION,
            "compatible": result.compatible,
            "level": result.level,
            "old": str(old),
            "new": str(new),
            "findings": [finding_json(f) for f in findings],
        }
        typer.echo(json.dumps(doc, indent=2))
    else:
        status = "compatible" if result.compatible else "incompatible"
        report = Report(
            str(old), [SubjectReport(str(new), lvl.value, status, str(new), [str(old)], findings)]
        )
        typer.echo(render(report, title=f"govern compat {new} against {old} at {lvl}"), nl=False)
    raise typer.Exit(int(ExitCode.OK if result.compatible else ExitCode.FINDINGS))
