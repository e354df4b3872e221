"""JUnit XML printer: one test case per subject, a <failure> per blocking finding; warnings and accepted
findings as its output."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from govern.report.model import Finding, Report


def _describe(finding: Finding) -> str:
    lines = [f"{finding.rule} at {finding.location}: {finding.message}"]
    if finding.place is not None:
        lines.append(f"  at {finding.place}")
    lines += [f"  {label}: {text}" for label, text in finding.details() if label != "accepted"]
    return "\n".join(lines)


def _aside(finding: Finding) -> str:
    acc = finding.accepted
    if acc is None:
        return f"warning: {_describe(finding)}"
    return f"accepted until {acc.expires.isoformat()} by {acc.owner}: {_describe(finding)}"


def render(report: Report) -> str:
    failures = sum(1 for s in report.subjects if not s.compatible)
    suites = ET.Element(
        "testsuites", name="govern check", tests=str(len(report.subjects)), failures=str(failures)
    )
    suite = ET.SubElement(
        suites,
        "testsuite",
        name=f"govern check against {report.against}",
        tests=str(len(report.subjects)),
        failures=str(failures),
        errors="0",
        skipped="0",
    )
    for entry in report.subjects:
        case = ET.SubElement(suite, "testcase", classname="govern.check", name=entry.subject)
        if entry.schema_file:
            case.set("file", entry.schema_file)
        blocking = [f for f in entry.findings if f.blocking]
        if blocking:
            failure = ET.SubElement(
                case,
                "failure",
                type=blocking[0].rule,
                message=f"{len(blocking)} finding(s) at {entry.level}",
            )
            failure.text = "\n\n".join(_describe(f) for f in blocking)
        others = [f for f in entry.findings if not f.blocking]
        if others:
            out = ET.SubElement(case, "system-out")
            out.text = "\n\n".join(_aside(f) for f in others)
    ET.indent(suites)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(suites, encoding="unicode") + "\n"
