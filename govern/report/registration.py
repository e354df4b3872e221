"""Printers for `govern register` results: a table and JSON, findings printed as everywhere else."""

from __future__ import annotations

import io
import json
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from rich.markup import escape
from rich.table import Table

from govern.report.jsonfmt import finding_json
from govern.report.model import FORMAT_VERSION
from govern.report.text import console_for, print_finding

if TYPE_CHECKING:
    from govern.check.register import Registration


def to_dict(results: Sequence[Registration], *, dry_run: bool) -> dict[str, Any]:
    """JSON-ready: `{"dry_run", "changed", "compatible", "written", "subjects": [...]}`.

    With `dry_run` this is the plan: per subject the level to set, the schema text, its form and
    references, and the version it was planned against (`latest`); the apply executes exactly it.
    """
    return {
        "format_version": FORMAT_VERSION,
        "dry_run": dry_run,
        "changed": any(
            r.writes or r.status == "new version" or r.level_status == "would set" for r in results
        ),
        "compatible": not any(r.blocked for r in results),
        "written": any(r.writes for r in results),
        "subjects": [
            {
                "subject": r.subject,
                "kind": r.kind,
                "file": r.file,
                "status": r.status,
                "version": r.version,
                "id": r.schema_id,
                "level": r.level,
                "level_status": r.level_status,
                "previous_level": r.previous_level,
                "form": r.form,
                "latest": r.latest,
                "schema": r.schema,
                "references": [ref.to_json() for ref in r.references],
                "findings": [finding_json(f) for f in r.findings],
                "accepted": [
                    {
                        "rule": a.rule,
                        "location": a.location,
                        "owner": a.owner,
                        "expires": a.expires.isoformat(),
                    }
                    for a in r.accepted
                ],
            }
            for r in results
        ],
    }


def render_json(results: Sequence[Registration], *, dry_run: bool) -> str:
    return json.dumps(to_dict(results, dry_run=dry_run), indent=2) + "\n"


_STYLES = {"incompatible": "bold red", "registered": "green", "new version": "yellow", "unchanged": "dim"}


def render_text(
    results: Sequence[Registration], *, dry_run: bool, color: bool = False, width: int | None = None
) -> str:
    """A table (subject names wrap, never cut) then each subject's findings.

    `width` is the terminal's (None: the COLUMNS variable, else 80).
    """
    out = io.StringIO()
    console = console_for(out, color=color, width=width)
    table = Table(box=None, pad_edge=False, show_edge=False)
    table.add_column("subject", overflow="fold", ratio=3)
    table.add_column("schema", overflow="fold", ratio=1)
    table.add_column("version", no_wrap=True)
    table.add_column("level", overflow="fold", ratio=2)
    for r in results:
        version = f"v{r.version}" if r.version is not None else "-"
        level = (
            r.level
            if r.level_status == "unchanged"
            else f"{r.level} ({r.level_status}, was {r.previous_level or 'unset'})"
        )
        status = f"{r.status} (accepted break)" if r.accepted and r.status != "unchanged" else r.status
        style = _STYLES.get(r.status, "")
        table.add_row(escape(r.subject), f"[{style}]{status}[/]" if style else status, version, escape(level))
    console.print(table)
    for r in results:
        if r.findings:
            console.print(f"[bold]{escape(r.subject)}[/]:", soft_wrap=True)
        for f in r.findings:
            print_finding(console, f)
            if f.accepted is not None:
                console.print(
                    "    written under level NONE for this one version, then the level is restored",
                    soft_wrap=True,
                )
    writes = sum(1 for r in results if r.writes)
    bad = sum(1 for r in results if r.blocked)
    planned = sum(1 for r in results if r.planned)
    if bad:
        console.print(
            f"{bad} subject(s) incompatible: nothing written (of {planned} planned change(s)); "
            "register is all or nothing"
        )
    elif dry_run:
        console.print(f"dry run: {planned} subject(s) would change; nothing written")
    elif writes:
        console.print(f"{writes} subject(s) changed")
    else:
        console.print(f"nothing to do: {len(results)} subject(s) unchanged")
    return out.getvalue()
