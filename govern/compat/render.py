"""Printers for compatibility results (text with rich, JSON); separate from the rules."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.markup import escape

from govern.avro import AvroSchema, Position
from govern.compat.findings import Finding, Result

JSON_FORMAT_VERSION = 1


def _pos(p: Position | None) -> dict[str, Any]:
    if p is None:
        return {"file": None, "line": None, "column": None}
    return {"file": p.file, "line": p.line, "column": p.column}


def finding_to_json(finding: Finding) -> dict[str, Any]:
    """One finding in the documented JSON shape."""
    return {
        "rule": finding.rule,
        "location": finding.location,
        "message": finding.message,
        "reason": finding.reason,
        "hint": finding.hint,
        "reader": _pos(finding.reader_pos) | {"role": finding.reader_role, "pointer": finding.reader_pointer},
        "writer": _pos(finding.writer_pos) | {"role": finding.writer_role, "pointer": finding.writer_pointer},
        "version": finding.version,
    }


def result_to_json(result: Result, *, old: str | None = None, new: str | None = None) -> dict[str, Any]:
    """The CLI's JSON document: ``{"compatible", "level", "findings": [...]}`` (+ format version, files)."""
    return {
        "format_version": JSON_FORMAT_VERSION,
        "compatible": result.compatible,
        "level": result.level,
        "old": old,
        "new": new,
        "findings": [finding_to_json(f) for f in result.findings],
    }


def _source_line(schema: AvroSchema | None, pos: Position | None) -> str | None:
    if schema is None or pos is None:
        return None
    text = schema.line(pos.line)
    return text.strip() if text else None


def render_text(
    result: Result,
    console: Console,
    *,
    old_label: str,
    new_label: str,
    schemas: dict[str, AvroSchema] | None = None,
) -> None:
    """Human output: verdict, then per finding the rule, reason, fix and offending lines of both files.

    ``schemas`` maps a role ("old"/"new") to its parsed schema, for quoting source lines.
    """
    schemas = schemas or {}
    level = result.level or "reader/writer"
    if result.compatible:
        console.print(
            f"[bold green]✓ compatible[/] {escape(new_label)} is {level}-compatible with {escape(old_label)}"
        )
        return
    count = len(result.findings)
    console.print(
        f"[bold red]✗ incompatible[/] {escape(new_label)} is not {level}-compatible with "
        f"{escape(old_label)} ({count} finding{'s' if count != 1 else ''})"
    )
    for finding in result.findings:
        direction = f"{finding.reader_role} reads {finding.writer_role} data"
        console.print()
        console.print(f"[bold]{finding.rule}[/] at [cyan]{escape(finding.location)}[/] [dim]({direction})[/]")
        console.print(f"  [dim]why:[/]  {escape(finding.reason)}")
        console.print(f"  [dim]fix:[/]  {escape(finding.hint)}")
        console.print(f"  [dim]avro:[/] {escape(finding.message)}")
        for role, pos in (
            (finding.reader_role, finding.reader_pos),
            (finding.writer_role, finding.writer_pos),
        ):
            if pos is None:
                continue
            line = _source_line(schemas.get(role), pos)
            shown = f" │ {escape(line)}" if line else ""
            console.print(f"  [dim]{role:>3}:[/]  {escape(str(pos))}{shown}")
