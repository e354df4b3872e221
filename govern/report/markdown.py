"""Markdown printer: a pull-request comment (GitHub or GitLab flavoured).

A verdict heading, one table row per subject, then per finding its rule, place, why and fix;
Avro's own message and the offending lines fold into a ``<details>`` block so the comment stays
short. Table cells escape ``|`` and line breaks.
"""

from __future__ import annotations

from govern.report.model import Finding, Report, SubjectReport


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _code(text: str) -> str:
    return "`" + text.replace("`", "'") + "`"


def _verdict(entry: SubjectReport) -> str:
    blocking = sum(1 for f in entry.findings if f.blocking)
    warnings = sum(1 for f in entry.findings if f.level == "warning" and f.accepted is None)
    accepted = sum(1 for f in entry.findings if f.accepted is not None)
    parts = [f"❌ {blocking} finding{'s' if blocking != 1 else ''}" if blocking else "✅ compatible"]
    if warnings:
        parts.append(f"⚠️ {warnings} warning{'s' if warnings != 1 else ''}")
    if accepted:
        parts.append(f"{accepted} accepted")
    return ", ".join(parts)


def _finding(subject: str, finding: Finding) -> list[str]:
    icon = "🟡" if finding.accepted is not None or finding.level == "warning" else "🔴"
    where = f" in {_code(str(finding.place))}" if finding.place else ""
    lines = [f"- {icon} **{finding.rule}** at {_code(finding.location)}{where} ({_code(subject)})  "]
    shown = [(label, text) for label, text in finding.details() if label != "against"]
    lines += [f"  **{label.capitalize()}:** {text}  " for label, text in shown]
    details = [f"Avro: {finding.message}"]
    if finding.against:
        details.append(f"Against: {finding.against}")
    for label, place in (("new", finding.place), ("other", finding.other)):
        if place is not None:
            details.append(f"{label}: {place}" + (f" │ {place.text}" if place.text else ""))
    lines += ["  <details><summary>details</summary>", "", "  ```"]
    lines += [f"  {d}" for d in details]
    lines += ["  ```", "  </details>"]
    return lines


def render(report: Report) -> str:
    icon = "✅" if report.compatible else "❌"
    verdict = "compatible" if report.compatible else "incompatible"
    lines = [f"### {icon} govern check: {verdict}", "", f"Against {_code(report.against)}.", ""]
    if report.subjects:
        lines += ["| Subject | Level | Status | Verdict |", "|---|---|---|---|"]
        for entry in report.subjects:
            lines.append(
                f"| {_code(entry.subject)} | {entry.level} | {entry.status} | {_cell(_verdict(entry))} |"
            )
    else:
        lines.append("No changed subjects.")
    found = report.findings()
    if found:
        lines += ["", "**Findings**", ""]
        for subject, finding in found:
            lines += _finding(subject, finding)
    if report.notes:
        lines += ["", *(f"> {note}  " for note in report.notes)]
    return "\n".join(lines) + "\n"
