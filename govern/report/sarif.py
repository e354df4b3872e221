"""SARIF 2.1.0 printer (code scanning): rules in the driver, one result per finding.

Accepted findings carry an external suppression with the ledger's reason; the level is the
finding's (`error`, or `warning` for lint rules not configured to fail).
"""

from __future__ import annotations

import json
from typing import Any

from govern import __version__
from govern.report.model import Finding, Report
from govern.report.rules import rule

SCHEMA_URI = "https://json.schemastore.org/sarif-2.1.0.json"


def _result(subject: str, finding: Finding, index: int) -> dict[str, Any]:
    text = f"{subject}: {finding.location}: {finding.message}"
    if finding.reason:
        text += f". Why: {finding.reason}"
    if finding.hint:
        text += f". Fix: {finding.hint}"
    result: dict[str, Any] = {
        "ruleId": finding.rule,
        "ruleIndex": index,
        "level": finding.level,
        "message": {"text": text},
        "properties": {"subject": subject, "location": finding.location, "against": finding.against},
    }
    if finding.place is not None:
        region: dict[str, int] = {}
        if finding.place.line is not None:
            region["startLine"] = finding.place.line
        if finding.place.column is not None:
            region["startColumn"] = finding.place.column
        physical: dict[str, Any] = {"artifactLocation": {"uri": finding.place.file}}
        if region:
            physical["region"] = region
        result["locations"] = [{"physicalLocation": physical}]
    if finding.accepted is not None:
        acc = finding.accepted
        result["suppressions"] = [
            {
                "kind": "external",
                "status": "accepted",
                "justification": f"{acc.reason} (owner {acc.owner}, expires {acc.expires.isoformat()})",
            }
        ]
    return result


def to_dict(report: Report) -> dict[str, Any]:
    """The SARIF log as a JSON-ready dict."""
    rule_ids: list[str] = []
    for entry in report.subjects:
        for finding in entry.findings:
            if finding.rule not in rule_ids:
                rule_ids.append(finding.rule)
    rules = [
        {
            "id": rid,
            "name": rid,
            "shortDescription": {"text": known.purpose if (known := rule(rid)) else rid},
            "defaultConfiguration": {"level": known.severity if known else "error"},
            "properties": {"category": known.category.value if known else "COMPAT"},
        }
        for rid in rule_ids
    ]
    results = [
        _result(entry.subject, finding, rule_ids.index(finding.rule))
        for entry in report.subjects
        for finding in entry.findings
    ]
    return {
        "$schema": SCHEMA_URI,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {"driver": {"name": "govern", "version": __version__, "rules": rules}},
                "results": results,
                "properties": {"against": report.against, "compatible": report.compatible},
            }
        ],
    }


def render(report: Report) -> str:
    return json.dumps(to_dict(report), indent=2) + "\n"
