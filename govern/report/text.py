"""Text printer (rich): grouped by subject; each finding with rule, place, why, fix and both lines.

``print_finding`` is the one layout of a finding on a terminal, used by ``check``, ``compat``,
``register`` and ``release-plan``. Long lines are left whole (``soft_wrap``) for the terminal to
wrap: cutting a path or a hint in two would make it harder to copy.
"""

from __future__ import annotations

import io

from rich.console import Console
from rich.markup import escape

from govern.report.model import Finding, Report, SubjectReport
from govern.report.rules import Category


def _mark(finding: Finding) -> tuple[str, str]:
    if finding.accepted is not None:
        return "accepted", "yellow"
    if finding.level == "warning":
        return "warning", "yellow"
    return "error", "bold red"


def print_finding(console: Console, finding: Finding, indent: str = "  ") -> None:
    """One finding: headline, why, fix, Avro's own message, the cause, then the lines of both sides."""
    mark, style = _mark(finding)
    where = f" {finding.place}" if finding.place else ""
    inner = indent + "  "
    console.print(
        f"{indent}[{style}]{mark}[/] [bold]{finding.rule}[/] at [cyan]{escape(finding.location)}[/]"
        f"{escape(where)}",
        soft_wrap=True,
    )
    if finding.reason:
        console.print(f"{inner}[dim]why:[/]  {escape(finding.reason)}", soft_wrap=True)
    if finding.hint:
        console.print(f"{inner}[dim]fix:[/]  {escape(finding.hint)}", soft_wrap=True)
    label = "avro:" if finding.category is Category.COMPAT else "what:"
    console.print(f"{inner}[dim]{label}[/] {escape(finding.message)}", soft_wrap=True)
    if finding.causes:
        for root in finding.root_causes():
            where = f" {root.place}" if root.place else ""
            console.print(
                f"{inner}[dim]cause:[/] {root.rule} at {escape(root.location)}{escape(where)}: "
                f"{escape(root.message)}",
                soft_wrap=True,
            )
    if finding.against:
        console.print(f"{inner}[dim]against:[/] {escape(finding.against)}", soft_wrap=True)
    for role, place in (("new", finding.place), (_other_role(finding), finding.other)):
        if place is None:
            continue
        shown = f" │ {escape(place.text)}" if place.text else ""
        console.print(f"{inner}[dim]{role:>3}:[/]  {escape(str(place))}{shown}", soft_wrap=True)
    acc = finding.accepted
    if acc is not None:
        console.print(
            f"{inner}[yellow]accepted[/] until {acc.expires.isoformat()} by {escape(acc.owner)}: "
            f"{escape(acc.reason)}",
            soft_wrap=True,
        )


def _other_role(finding: Finding) -> str:
    """How to label `other`: the role of the side that is not the new schema ("old", "wallet reader")."""
    for side in (finding.reader, finding.writer):
        if side is not None and side.role not in ("new", "reader", "writer"):
            return side.role
    return "old"


def _subject(console: Console, entry: SubjectReport) -> None:
    blocking = sum(1 for f in entry.findings if f.blocking)
    warnings = sum(1 for f in entry.findings if not f.blocking and f.accepted is None)
    accepted = len(entry.findings) - blocking - warnings
    if blocking:
        verdict = f"[bold red]{blocking} finding{'s' if blocking != 1 else ''}[/]"
    else:
        verdict = "[green]compatible[/]"
    if warnings:
        verdict += f" [yellow]({warnings} warning{'s' if warnings != 1 else ''})[/]"
    if accepted:
        verdict += f" [yellow]({accepted} accepted)[/]"
    level = f" {entry.level}" if entry.level else ""
    console.print(f"[bold]{escape(entry.subject)}[/]{level} ({entry.status}): {verdict}", soft_wrap=True)
    if entry.checked:
        console.print(f"  [dim]checked against {escape(', '.join(entry.checked))}[/]", soft_wrap=True)
    for finding in entry.findings:
        print_finding(console, finding)


def console_for(out: io.StringIO, *, color: bool, width: int | None = None) -> Console:
    """A console writing to `out`: ANSI colours only when `color`; never rich's own highlighting."""
    return Console(
        file=out, width=width, force_terminal=color, no_color=not color, highlight=False, emoji=False
    )


def render(report: Report, *, color: bool = False, title: str | None = None) -> str:
    """The report as text; ANSI colours only when `color`."""
    out = io.StringIO()
    console = console_for(out, color=color)
    heading = title if title is not None else f"govern check against {report.against}"
    console.print(escape(heading), style="bold" if color else None, soft_wrap=True)
    if not report.subjects:
        console.print("no changed subjects (use --all to check every subject)")
    for entry in report.subjects:
        _subject(console, entry)
    for note in report.notes:
        console.print(f"[dim]note:[/] {escape(note)}", soft_wrap=True)
    blocking = sum(1 for s in report.subjects if not s.compatible)
    if report.compatible:
        console.print(f"[green]OK[/]: {len(report.subjects)} subject(s) checked, all compatible")
    else:
        console.print(f"[bold red]FAILED[/]: {blocking} of {len(report.subjects)} subject(s) incompatible")
    return out.getvalue()
