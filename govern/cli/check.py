"""`govern check`: is the working tree's schema change compatible with history and consumers?"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from govern.cli.options import RootOption
from govern.errors import ExitCode, InputError
from govern.report.printers import Format


def check_command(
    against: Annotated[
        str | None,
        typer.Option(
            "--against",
            help="Git ref to compare with (main, origin/main, a tag, a commit); no registry needed.",
            show_default=False,
            metavar="REF",
        ),
    ] = None,
    registry: Annotated[
        str | None,
        typer.Option(
            "--registry",
            help="Registry URL to compare with (default: GOVERN_REGISTRY_URL / govern.toml).",
            show_default=False,
            metavar="URL",
        ),
    ] = None,
    subject: Annotated[
        list[str] | None,
        typer.Option(
            "--subject",
            help="Check only this subject (repeat for several); must be declared.",
            show_default=False,
            metavar="SUBJECT",
        ),
    ] = None,
    all_subjects: Annotated[
        bool, typer.Option("--all", help="Check every subject, not only changed ones.")
    ] = False,
    ask_registry: Annotated[
        bool,
        typer.Option("--ask-registry", help="Also ask the registry's own verdict and report disagreements."),
    ] = False,
    fmt: Annotated[
        Format,
        typer.Option(
            "--format",
            help="text, json, junit, sarif, github (workflow annotations), gitlab (a code-quality report) "
            "or markdown (a pull-request comment).",
        ),
    ] = Format.text,
    output: Annotated[
        Path | None,
        typer.Option(
            "--output",
            help="Write the report to this file instead of stdout.",
            show_default=False,
            metavar="FILE",
        ),
    ] = None,
    reports: Annotated[
        list[str] | None,
        typer.Option(
            "--report",
            help="Also write the same run's findings in another format to a file, e.g. "
            "sarif:govern-check.sarif (repeat for several), so CI runs the check once.",
            show_default=False,
            metavar="FORMAT:FILE",
        ),
    ] = None,
    root: RootOption = Path("."),
) -> None:
    """Check changed subjects against a git ref (--against) or a registry, and each consumer's reader schema.

    Exit 0 when everything is compatible (accepted breaks included), 1 for findings (or an expired
    accepted break), 2 for bad input (invalid schema or contract, undeclared subject), 3 when git
    history or the registry cannot answer. Deliberate breaks are listed in
    contracts/accepted-breaks.yaml (subject, rule, location, reason, owner, expires).
    """
    from govern.check import render, run_check
    from govern.config import load_config

    if against is not None and registry is not None:
        raise InputError("--against and --registry are exclusive", hint="check against one thing per run")
    if ask_registry and against is not None:
        raise InputError("--ask-registry needs a registry, not --against", hint="drop one of the two options")
    extra = [_report_option(value) for value in reports or ()]
    registry_url = None
    if against is None:
        registry_url = load_config(root, registry_url=registry).registry_url
    report = run_check(
        root,
        against=against,
        registry_url=registry_url,
        subjects=subject or (),
        all_subjects=all_subjects,
        ask_registry=ask_registry,
    )
    color = output is None and fmt is Format.text and sys.stdout.isatty()
    text = render(report, fmt.value, color=color)
    for extra_fmt, path in extra:
        _write(path, render(report, extra_fmt.value), "--report")
    if output is not None:
        _write(output, text, "--output")
    else:
        typer.echo(text, nl=False)
    if not report.compatible:
        raise typer.Exit(int(ExitCode.FINDINGS))


def _report_option(value: str) -> tuple[Format, Path]:
    """`FORMAT:FILE` of --report; a bad one is exit 2 before anything is checked."""
    name, sep, file = value.partition(":")
    names = ", ".join(f.value for f in Format)
    if not sep or not file:
        raise InputError(
            f"--report {value!r}: expected FORMAT:FILE", hint=f"e.g. sarif:govern-check.sarif ({names})"
        )
    try:
        return Format(name), Path(file)
    except ValueError:
        raise InputError(f"--report {value!r}: unknown format {name!r}", hint=f"formats: {names}") from None


def _write(path: Path, text: str, option: str) -> None:
    try:
        path.write_text(text, encoding="utf-8")
    except OSError as error:
        raise InputError(f"{option} {path}: cannot write: {error.strerror}", hint="check the path") from None
