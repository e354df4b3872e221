"""GitHub Actions printer: one workflow command per finding, so the PR shows it on the line.

    ::error file=schemas/X.avsc,line=12,col=5,title=TYPE_MISMATCH (wallet-value)::message

Lint warnings are `::warning`, accepted findings `::notice`; a closing line summarises. Values
are escaped as the runner expects (`%`, CR, LF everywhere; also `:` and `,` in properties).
"""

from __future__ import annotations

from govern.report.model import Finding, Report


def _data(value: str) -> str:
    return value.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _prop(value: str) -> str:
    return _data(value).replace(":", "%3A").replace(",", "%2C")


def annotation(subject: str, finding: Finding) -> str:
    """One `::error` / `::notice` line for a finding of `subject`."""
    kind = "error" if finding.blocking else "notice" if finding.accepted else "warning"
    props = []
    if finding.place is not None:
        props.append(f"file={_prop(finding.place.file)}")
        if finding.place.line is not None:
            props.append(f"line={finding.place.line}")
        if finding.place.column is not None:
            props.append(f"col={finding.place.column}")
    title = f"{finding.rule} ({subject})" + (" accepted" if finding.accepted else "")
    props.append(f"title={_prop(title)}")
    parts = [f"{finding.location}: {finding.message}"]
    parts += [f"{label.capitalize()}: {text}" for label, text in finding.details()]
    return f"::{kind} {','.join(props)}::{_data(chr(10).join(parts))}"


def render(report: Report) -> str:
    lines = [annotation(s.subject, f) for s in report.subjects for f in s.findings]
    lines += [f"::notice title=govern check::{_data(note)}" for note in report.notes]
    bad = [s.subject for s in report.subjects if not s.compatible]
    if bad:
        lines.append(f"govern check: {len(bad)} incompatible subject(s): {', '.join(bad)}")
    else:
        lines.append(
            f"govern check: {len(report.subjects)} subject(s) checked against {report.against}, "
            "all compatible"
        )
    return "\n".join(lines) + "\n"
