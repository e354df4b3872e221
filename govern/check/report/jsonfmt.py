"""JSON printer: the documented, versioned machine format of `govern check --format json`.

{"format_version": 1, "compatible": bool, "against": str,
 "subjects": [{"subject", "level", "status", "compatible", "schema_file", "checked": [str],
               "findings": [{"rule", "location", "message", "reason", "hint", "file", "line",
                             "column", "against", "other": {"file", "line", "column"} | null,
                             "accepted": bool, "acceptance": {...} | null}]}],
 "notes": [str]}
"""

from __future__ import annotations

import json
from typing import Any

from govern.check.model import JSON_FORMAT_VERSION, CheckFinding, Place, Report


def _place(place: Place | None) -> dict[str, Any] | None:
    if place is None:
        return None
    return {"file": place.file, "line": place.line, "column": place.column}


def finding_dict(finding: CheckFinding) -> dict[str, Any]:
    """One finding as its JSON object."""
    place = finding.place
    acc = finding.accepted
    return {
        "rule": finding.rule,
        "location": finding.location,
        "message": finding.message,
        "reason": finding.reason,
        "hint": finding.hint,
        "file": place.file if place else None,
        "line": place.line if place else None,
        "column": place.column if place else None,
        "against": finding.against,
        "other": _place(finding.other),
        "accepted": acc is not None,
        "acceptance": None
        if acc is None
        else {"reason": acc.reason, "owner": acc.owner, "expires": acc.expires.isoformat()},
    }


def to_dict(report: Report) -> dict[str, Any]:
    """The whole report as a JSON-ready dict."""
    return {
        "format_version": JSON_FORMAT_VERSION,
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
                "findings": [finding_dict(f) for f in s.findings],
            }
            for s in report.subjects
        ],
        "notes": list(report.notes),
    }


def render(report: Report) -> str:
    return json.dumps(to_dict(report), indent=2) + "\n"
