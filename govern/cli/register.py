"""`govern register`: registry-as-code, the registry made to hold what contracts/ declares."""

from __future__ import annotations

import shutil
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
    references: Annotated[
        str,
        typer.Option(
            "--references",
            metavar="auto|always|never",
            help="How schemas using shared types are registered: auto keeps the form each subject "
            "already has (new subjects use references), always uses Confluent schema references, "
            "never registers self-contained schemas.",
        ),
    ] = "auto",
    fmt: FormatOption = OutputFormat.text,
    root: RootOption = Path("."),
) -> None:
    """Make the registry hold what contracts/ declares: each subject's level and schema.

    All or nothing: every subject is checked against the registry (and the accepted-breaks
    ledger) before the first write, and one incompatible subject means nothing is written.
    --dry-run prints the plan that a run without it executes. Idempotent: a second run writes
    nothing. Exit 0 done (or nothing to do), 1 incompatible (nothing written), 2 bad input,
    3 registry unreachable.
    """
    from govern.catalog import load_catalog
    from govern.check.accepted import load_ledger
    from govern.check.data_contracts import load_data_contracts
    from govern.check.register import REFERENCE_MODES, register_all
    from govern.check.subjects import declared_subjects, select
    from govern.config import load_config
    from govern.registry.credentials import connect
    from govern.report.registration import render_json, render_text

    config = load_config(root, registry_url=registry)
    url = config.registry_url
    if not url:
        raise InputError(
            "no registry to register with",
            hint="pass --registry URL or set GOVERN_REGISTRY_URL (e.g. govern registry serve)",
        )
    if references not in REFERENCE_MODES:
        raise InputError(
            f"--references {references!r} is not one of {', '.join(REFERENCE_MODES)}",
            hint="auto keeps each subject's form; always / never force one",
        )
    catalog = load_catalog(root, config=config)
    declared = declared_subjects(catalog)
    chosen = select(declared, subject or ())
    ledger = load_ledger(root, [s.name for s in declared], config.contracts_dir)
    data_contracts = load_data_contracts(catalog, chosen)
    with connect(url, vars(config), retries=1) as client:
        results = register_all(
            catalog,
            client,
            chosen,
            dry_run=dry_run,
            references=references,
            ledger=ledger,
            data_contracts=data_contracts,
        )
    if fmt is OutputFormat.json:
        typer.echo(render_json(results, dry_run=dry_run), nl=False)
    else:
        width = shutil.get_terminal_size((80, 24)).columns  # the table wraps to it (COLUMNS when piped)
        typer.echo(render_text(results, dry_run=dry_run, color=sys.stdout.isatty(), width=width), nl=False)
    if any(r.blocked for r in results):
        raise typer.Exit(int(ExitCode.FINDINGS))
