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
    """JSON-ready: `{"dry_run", "changed", "compatible", "written", "subjects": [...]}`.

    With `dry_run` this is the plan: per subject the level to set, the schema text, its form and
    references, and the version it was planned against (`latest`); the apply executes exactly it.
    """
    return {
        "format_version": 1,
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
                "findings": [finding_dict(f) for f in r.findings],
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
        status = f"{r.status} (accepted break)" if r.accepted and r.status != "unchanged" else r.status
        style = styles.get(r.status, "")
        table.add_row(escape(r.subject), f"[{style}]{status}[/]" if style else status, version, escape(level))
    console.print(table)
    for r in results:
        for f in r.findings:
            if f.accepted is not None:
                console.print(
                    f"[yellow]{escape(r.subject)}[/]: {f.rule} at {escape(f.location)} accepted by "
                    f"{escape(f.accepted.owner)} until {f.accepted.expires.isoformat()}: written under "
                    "level NONE for this one version, then the level is restored",
                    soft_wrap=True,
                )
                continue
            where = f" {f.place}" if f.place else ""
            console.print(
                f"[bold red]{escape(r.subject)}[/]: [bold]{f.rule}[/] at {escape(f.location)}{escape(where)}",
                soft_wrap=True,
            )
            console.print(f"  why: {escape(f.reason or f.message)}", soft_wrap=True)
            if f.hint:
                console.print(f"  fix: {escape(f.hint)}", soft_wrap=True)
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
