"""`govern register`: registry-as-code, the registry made to hold what contracts/ declares."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from govern.cli.options import FormatOption, OutputFormat, RegistryOption, RootOption
from govern.errors import ExitCode, InputError


def register_command(
    registry: RegistryOption = None,
    dry_run: Annotated[
        bool,
        typer.Option(
            "--dry-run", help="Show per subject new version / unchanged / incompatible; write nothing."
        ),
    ] = False,
    subject: Annotated[
        list[str] | None,
        typer.Option(
            "--subject",
            help="Register only this subject (repeat for several); must be declared.",
            show_default=False,
            metavar="SUBJECT",
        ),
    ] = None,
    fmt: FormatOption = OutputFormat.text,
    root: RootOption = Path("."),
) -> None:
    """Register every topic's schemas (shared types first, as references) and set each subject's level.

    Idempotent: a second run reports every subject unchanged and writes nothing. Exit 0 done (or
    nothing to do), 1 when a schema is incompatible with the registry's versions (nothing is
    written for it), 2 bad input, 3 registry unreachable.
    """
    from govern.catalog import load_catalog
    from govern.check.register import register_all
    from govern.check.report.registration import render_json, render_text
    from govern.check.subjects import declared_subjects, select
    from govern.config import load_config
    from govern.registry import Client

    url = load_config(root, registry_url=registry).registry_url
    if not url:
        raise InputError(
            "no registry to register with",
            hint="pass --registry URL or set GOVERN_REGISTRY_URL (e.g. govern registry serve)",
        )
    catalog = load_catalog(root)
    chosen = select(declared_subjects(catalog), subject or ())
    with Client(url, retries=1) as client:
        results = register_all(catalog, client, chosen, dry_run=dry_run)
    if fmt is OutputFormat.json:
        typer.echo(render_json(results, dry_run=dry_run), nl=False)
    else:
        typer.echo(render_text(results, dry_run=dry_run, color=sys.stdout.isatty()), nl=False)
    if any(r.status == "incompatible" for r in results):
        raise typer.Exit(int(ExitCode.FINDINGS))
