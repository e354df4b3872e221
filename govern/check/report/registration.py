"""Printers for `govern register` results: a text table (rich) and JSON."""

from __future__ import annotations

import io
import json
from collections.abc import Sequence
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from govern.check.register import Registration
from govern.check.report.jsonfmt import finding_dict


def to_dict(results: Sequence[Registration], *, dry_run: bool) -> dict[str, Any]:
    """JSON-ready: `{"dry_run", "changed", "compatible", "subjects": [...]}`."""
    return {
        "format_version": 1,
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
                "findings": [finding_dict(f) for f in r.findings],
            }
            for r in results
        ],
    }


def render_json(results: Sequence[Registration], *, dry_run: bool) -> str:
    return json.dumps(to_dict(results, dry_run=dry_run), indent=2) + "\n"


def render_text(results: Sequence[Registration], *, dry_run: bool, color: bool = False) -> str:
    out = io.StringIO()
    console = Console(
        file=out, width=120, force_terminal=color, no_color=not color, highlight=False, emoji=False
    )
    table = Table(box=None, pad_edge=False, show_edge=False)
    for column in ("subject", "schema", "version", "level"):
        table.add_column(column)
    styles = {"incompatible": "bold red", "registered": "green", "new version": "yellow", "unchanged": "dim"}
    for r in results:
        version = f"v{r.version}" if r.version is not None else "-"
        level = (
            r.level
            if r.level_status == "unchanged"
            else f"{r.level} ({r.level_status}, was {r.previous_level or 'unset'})"
        )
        style = styles.get(r.status, "")
        table.add_row(
            escape(r.subject), f"[{style}]{r.status}[/]" if style else r.status, version, escape(level)
        )
    console.print(table)
    for r in results:
        for f in r.findings:
            where = f" {f.place}" if f.place else ""
            console.print(
                f"[bold red]{escape(r.subject)}[/]: [bold]{f.rule}[/] at {escape(f.location)}{escape(where)}",
                soft_wrap=True,
            )
            console.print(f"  why: {escape(f.reason or f.message)}", soft_wrap=True)
            if f.hint:
                console.print(f"  fix: {escape(f.hint)}", soft_wrap=True)
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
