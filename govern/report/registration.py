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
    """JSON-ready: `{"format_version", "dry_run", "changed", "compatible", "subjects": [...]}`."""
    return {
        "format_version": FORMAT_VERSION,
        "dry_run": dry_run,
        "changed": any(
            r.writes or r.status == "new version" or r.level_status == "would set" for r in results
        ),
        "compatible": not any(r.status == "incompatible" for r in results),
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
                "references": [ref.to_json() for ref in r.references],
                "findings": [finding_json(f) for f in r.findings],
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
    """A table (subject names wrap, never cut) then each incompatible subject's findings.

    `width` is the terminal's (None: rich's guess, the COLUMNS variable or 80).
    """
    out = io.StringIO()
    console = console_for(out, color=color, width=width)
    table = Table(box=None, pad_edge=False, show_edge=False)
    table.add_column("subject", overflow="fold", ratio=3)
    table.add_column("schema", no_wrap=True)
    table.add_column("version", no_wrap=True)
    table.add_column("level", overflow="fold", ratio=2)
    for r in results:
        version = f"v{r.version}" if r.version is not None else "-"
        level = (
            r.level
            if r.level_status == "unchanged"
            else f"{r.level} ({r.level_status}, was {r.previous_level or 'unset'})"
        )
        style = _STYLES.get(r.status, "")
        table.add_row(
            escape(r.subject), f"[{style}]{r.status}[/]" if style else r.status, version, escape(level)
        )
    console.print(table)
    for r in results:
        if r.findings:
            console.print(f"[bold red]{escape(r.subject)}[/]:", soft_wrap=True)
        for f in r.findings:
            print_finding(console, f)
    writes = sum(1 for r in results if r.writes)
    bad = sum(1 for r in results if r.status == "incompatible")
    if dry_run:
        planned = sum(1 for r in results if r.status == "new version" or r.level_status == "would set")
        console.print(f"dry run: {planned} subject(s) would change, {bad} incompatible; nothing written")
    elif writes:
        console.print(f"{writes} subject(s) changed, {bad} incompatible")
    else:
        console.print(f"nothing to do: {len(results) - bad} subject(s) unchanged, {bad} incompatible")
    return out.getvalue()
