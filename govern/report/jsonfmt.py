"""JSON printer: the documented, versioned shape of findings and reports (docs/findings.md).

Every command writes a finding as the same object (``finding_json``); a report is::

    {"format_version": 2, "compatible": bool, "against": str,
     "subjects": [{"subject", "level", "status", "compatible", "schema_file", "checked": [str],
                   "findings": [finding]}],
     "notes": [str]}
"""

from __future__ import annotations

import json
from typing import Any

from govern.report.model import FORMAT_VERSION, Finding, Place, Report, Side


def _place(place: Place | None) -> dict[str, Any] | None:
    if place is None:
        return None
    return {"file": place.file, "line": place.line, "column": place.column}


def _side(side: Side | None) -> dict[str, Any] | None:
    if side is None:
        return None
    place = _place(side.place) or {"file": None, "line": None, "column": None}
    return {"role": side.role, "pointer": side.pointer, **place}


def finding_json(finding: Finding) -> dict[str, Any]:
    """One finding as its JSON object (the same in every command)."""
    place = finding.place
    acc = finding.accepted
    return {
        "rule": finding.rule,
        "category": finding.category.value,
        "severity": finding.level,
        "location": finding.location,
        "message": finding.message,
        "reason": finding.reason,
        "hint": finding.hint,
        "file": place.file if place else None,
        "line": place.line if place else None,
        "column": place.column if place else None,
        "other": _place(finding.other),
        "reader": _side(finding.reader),
        "writer": _side(finding.writer),
        "version": finding.version,
        "against": finding.against,
        "causes": [finding_json(c) for c in finding.causes],
        "accepted": acc is not None,
        "acceptance": None
        if acc is None
        else {"reason": acc.reason, "owner": acc.owner, "expires": acc.expires.isoformat()},
    }


def to_dict(report: Report) -> dict[str, Any]:
    """The whole report as a JSON-ready dict."""
    return {
        "format_version": FORMAT_VERSION,
        "compatible": report.compatible,
        "against": report.against,
        "subjects": [
            {
                "subject": s.subject,
                "level": s.level,
                "status": s.status,
                "compatible": s.compatible,
                "schema_file": s.schema_file,
                "checked": list(s.checked),
                "findings": [finding_json(f) for f in s.findings],
            }
            for s in report.subjects
        ],
        "notes": list(report.notes),
    }


def render(report: Report) -> str:
    return json.dumps(to_dict(report), indent=2) + "\n"
