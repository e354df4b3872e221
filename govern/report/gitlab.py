"""GitLab code-quality printer: the JSON array a `codequality` report artifact holds.

Each finding is one issue: ``description``, ``check_name`` (the rule id), a stable ``fingerprint``
(subject, rule, location, file: the same finding in the next pipeline keeps it, so merge requests
show only what is new), ``severity`` and ``location.path``/``lines.begin``. GitLab's severities:
a blocking error is ``critical``, a lint warning ``minor``, an accepted break ``info``.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from govern.report.model import Finding, Report


def _severity(finding: Finding) -> str:
    if finding.accepted is not None:
        return "info"
    return "critical" if finding.blocking else "minor"


def issue(subject: str, finding: Finding) -> dict[str, Any]:
    """One code-quality issue for a finding of `subject`."""
    place = finding.place
    path = place.file if place else "contracts/topics.yaml"
    key = "\0".join((subject, finding.rule, finding.location, path))
    description = f"{subject}: {finding.rule} at {finding.location}: {finding.reason or finding.message}"
    if finding.hint:
        description += f". Fix: {finding.hint}"
    return {
        "type": "issue",
        "description": description,
        "check_name": finding.rule,
        "categories": ["Compatibility" if finding.level == "error" else "Bug Risk"],
        "fingerprint": hashlib.sha256(key.encode("utf-8")).hexdigest(),
        "severity": _severity(finding),
        "location": {"path": path, "lines": {"begin": (place.line if place and place.line else 1)}},
    }


def render(report: Report) -> str:
    return json.dumps([issue(subject, f) for subject, f in report.findings()], indent=2) + "\n"
