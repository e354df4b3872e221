"""Text printer (rich): grouped by subject; each finding with rule, place, reason, fix and both lines."""

from __future__ import annotations

import io

from rich.console import Console
from rich.markup import escape

from govern.check.model import GOVERN_RULES, CheckFinding, Report, SubjectReport

WIDTH = 110


def _finding(console: Console, finding: CheckFinding) -> None:
    if finding.accepted is not None:
        mark, style = "accepted", "yellow"
    else:
        mark, style = "error", "bold red"
    where = f" {finding.place}" if finding.place else ""
    console.print(
        f"  [{style}]{mark}[/] [bold]{finding.rule}[/] at [cyan]{escape(finding.location)}[/]{escape(where)}",
        soft_wrap=True,
    )
    # Same layout as govern.compat.render (why / fix / avro, then each side's line).
    if finding.reason:
        console.print(f"    [dim]why:[/]  {escape(finding.reason)}", soft_wrap=True)
    if finding.hint:
        console.print(f"    [dim]fix:[/]  {escape(finding.hint)}", soft_wrap=True)
    console.print(
        f"    [dim]avro:[/] {escape(finding.message)}"
        if finding.rule not in GOVERN_RULES
        else f"    [dim]what:[/] {escape(finding.message)}",
        soft_wrap=True,
    )
    if finding.against:
        console.print(f"    [dim]against:[/] {escape(finding.against)}", soft_wrap=True)
    for role, place in (("new", finding.place), ("old", finding.other)):
        if place is None:
            continue
        shown = f" │ {escape(place.text)}" if place.text else ""
        console.print(f"    [dim]{role:>3}:[/]  {escape(str(place))}{shown}", soft_wrap=True)
    acc = finding.accepted
    if acc is not None:
        console.print(
            f"    [yellow]accepted[/] until {acc.expires.isoformat()} by {escape(acc.owner)}: "
            f"{escape(acc.reason)}",
            soft_wrap=True,
            highlight=False,
        )


def _subject(console: Console, entry: SubjectReport) -> None:
    blocking = sum(1 for f in entry.findings if f.blocking)
    accepted = len(entry.findings) - blocking
    if blocking:
        verdict = f"[bold red]{blocking} finding{'s' if blocking != 1 else ''}[/]"
    else:
        verdict = "[green]compatible[/]"
    if accepted:
        verdict += f" [yellow]({accepted} accepted)[/]"
    level = f" {entry.level}" if entry.level else ""
    console.print(f"[bold]{escape(entry.subject)}[/]{level} ({entry.status}): {verdict}", highlight=False)
    if entry.checked:
        console.print(f"  [dim]checked against {escape(', '.join(entry.checked))}[/]", soft_wrap=True)
    for finding in entry.findings:
        _finding(console, finding)


def render(report: Report, *, color: bool = False) -> str:
    """The report as text; ANSI colours only when `color`."""
    out = io.StringIO()
    console = Console(
        file=out, width=WIDTH, force_terminal=color, no_color=not color, highlight=False, emoji=False
    )
    console.print(f"govern check against {escape(report.against)}", style="bold" if color else None)
    if not report.subjects:
        console.print("no changed subjects (use --all to check every subject)")
    for entry in report.subjects:
        _subject(console, entry)
    for note in report.notes:
        console.print(f"[dim]note:[/] {escape(note)}", soft_wrap=True, highlight=False)
    blocking = sum(1 for s in report.subjects if not s.compatible)
    if report.compatible:
        console.print(f"[green]OK[/]: {len(report.subjects)} subject(s) checked, all compatible")
    else:
        console.print(f"[bold red]FAILED[/]: {blocking} of {len(report.subjects)} subject(s) incompatible")
    return out.getvalue()
