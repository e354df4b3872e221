"""Printers of `govern check` reports, each on one hand-built report: text, JSON, JUnit, SARIF, github."""

from __future__ import annotations

import datetime as dt
import json
import xml.etree.ElementTree as ET

import pytest

from govern.check import FORMATS, render
from govern.check.model import Acceptance, Finding, Place, Report, SubjectReport
from govern.report.github import annotation

FILE = "schemas/io.govern.exchange.Wallet.avsc"


def _report() -> Report:
    breaking = Finding(
        rule="TYPE_MISMATCH",
        location="/fields/1/type",
        message="reader type: STRING not compatible with writer type: INT",
        reason="the new schema has string where the old schema has int",
        hint="keep the type int here",
        place=Place(FILE, 7, 5, '{"name": "count", "type": "string"},'),
        other=Place("3f2a1b0c9d11:" + FILE, 7, 5, '{"name": "count", "type": "int"},'),
        against="main (3f2a1b0c9d11:schemas/io.govern.exchange.Wallet.avsc)",
    )
    accepted = Finding(
        rule="READER_FIELD_MISSING_DEFAULT_VALUE",
        location="/fields/0",
        message="fee, with 100% of: commas",
        place=Place(FILE, 6, 5),
        accepted=Acceptance(
            "account-value",
            "READER_FIELD_MISSING_DEFAULT_VALUE",
            "/fields/0",
            "readers first",
            "team-a",
            dt.date(2999, 1, 1),
            3,
        ),
    )
    return Report(
        "git main (3f2a1b0c9d11)",
        [
            SubjectReport("wallet-value", "BACKWARD", "changed", FILE, ["main"], [breaking]),
            SubjectReport("account-value", "FULL", "changed", "schemas/A.avsc", [], [accepted]),
            SubjectReport("rate-value", "BACKWARD", "new", "schemas/R.avsc"),
        ],
        notes=["a note"],
    )


def test_formats_are_the_documented_ones() -> None:
    assert FORMATS == ("text", "json", "junit", "sarif", "github", "gitlab", "markdown")


def test_text_groups_by_subject_with_rule_reason_fix_and_both_lines() -> None:
    out = render(_report(), "text")
    assert out.index("wallet-value") < out.index("account-value") < out.index("rate-value")
    for expected in (
        "TYPE_MISMATCH",
        "why:  the new schema has string",
        "fix:  keep the type int here",
        f'new:  {FILE}:7:5 │ {{"name": "count", "type": "string"}},',
        f'old:  3f2a1b0c9d11:{FILE}:7:5 │ {{"name": "count", "type": "int"}},',
        "accepted until 2999-01-01 by team-a: readers first",
        "FAILED: 1 of 3",
        "note: a note",
    ):
        assert expected in out, expected
    assert "\x1b[" not in out
    assert "\x1b[" in render(_report(), "text", color=True)


def test_json_has_the_documented_shape() -> None:
    data = json.loads(render(_report(), "json"))
    assert data["compatible"] is False and data["format_version"] == 2
    wallet, account, rate = data["subjects"]
    assert (wallet["subject"], wallet["level"], wallet["compatible"]) == ("wallet-value", "BACKWARD", False)
    assert account["compatible"] is True and rate["findings"] == []
    finding = wallet["findings"][0]
    assert {"rule", "location", "message", "hint", "file", "line", "column", "accepted"} <= set(finding)
    assert (finding["file"], finding["line"], finding["column"], finding["accepted"]) == (FILE, 7, 5, False)
    assert account["findings"][0]["accepted"] is True
    assert account["findings"][0]["acceptance"]["owner"] == "team-a"


def test_junit_one_case_per_subject() -> None:
    root = ET.fromstring(render(_report(), "junit"))
    assert root.tag == "testsuites" and root.get("failures") == "1" and root.get("tests") == "3"
    cases = root.findall("./testsuite/testcase")
    assert [c.get("name") for c in cases] == ["wallet-value", "account-value", "rate-value"]
    failure = cases[0].find("failure")
    assert failure is not None and failure.get("type") == "TYPE_MISMATCH" and f"{FILE}:7:5" in failure.text
    assert cases[1].find("failure") is None and "accepted" in cases[1].find("system-out").text
    assert cases[2].find("failure") is None


def test_sarif_structure() -> None:
    log = json.loads(render(_report(), "sarif"))
    assert log["version"] == "2.1.0" and log["$schema"].endswith("sarif-2.1.0.json")
    [run] = log["runs"]
    driver = run["tool"]["driver"]
    assert driver["name"] == "govern"
    rule_ids = [r["id"] for r in driver["rules"]]
    assert rule_ids == ["TYPE_MISMATCH", "READER_FIELD_MISSING_DEFAULT_VALUE"]
    assert all(r["shortDescription"]["text"] for r in driver["rules"])
    first, second = run["results"]
    assert first["ruleId"] == "TYPE_MISMATCH" and rule_ids[first["ruleIndex"]] == first["ruleId"]
    assert first["level"] in ("error", "warning", "note", "none")
    assert isinstance(first["message"]["text"], str) and first["message"]["text"]
    location = first["locations"][0]["physicalLocation"]
    assert location["artifactLocation"]["uri"] == FILE
    assert location["region"] == {"startLine": 7, "startColumn": 5}
    assert "suppressions" not in first
    assert second["suppressions"][0]["kind"] == "external"


def test_github_annotation_lines() -> None:
    lines = render(_report(), "github").splitlines()
    assert lines[0].startswith(f"::error file={FILE},line=7,col=5,title=TYPE_MISMATCH (wallet-value)::")
    assert lines[1].startswith("::notice file=")  # accepted
    assert "govern check: 1 incompatible subject(s): wallet-value" in lines[-1]


@pytest.mark.parametrize(("raw", "escaped"), [("100%", "100%25"), ("a\nb", "a%0Ab"), ("x\ry", "x%0Dy")])
def test_github_escapes_data(raw: str, escaped: str) -> None:
    line = annotation("s", Finding("R", "/", raw))
    assert escaped in line.split("::", 2)[2] and "\n" not in line


def test_github_escapes_properties() -> None:
    line = annotation("a,b", Finding("R:1", "/", "m", place=Place("dir,x/f:1.avsc", 2, 3)))
    props = line.split("::")[1]
    assert "file=dir%2Cx/f%3A1.avsc" in props and "title=R%3A1 (a%2Cb)" in props


def _with_warning() -> Report:
    warning = Finding(
        "DECIMAL_SCALE_CHANGED",
        "/fields/2/type",
        "scale 8 -> 6",
        "the scale changes",
        "keep scale 8",
        place=Place(FILE, 9, 5),
    )
    return Report(
        "git main (3f2a1b0c9d11)", [SubjectReport("wallet-value", "BACKWARD", "changed", FILE, [], [warning])]
    )


def test_a_lint_warning_is_a_warning_in_every_format_and_fails_nothing() -> None:
    report = _with_warning()
    assert report.compatible
    assert "::warning file=" in render(report, "github")
    [result] = json.loads(render(report, "sarif"))["runs"][0]["results"]
    assert result["level"] == "warning"
    [issue] = json.loads(render(report, "gitlab"))
    assert (issue["severity"], issue["check_name"]) == ("minor", "DECIMAL_SCALE_CHANGED")
    assert ET.fromstring(render(report, "junit")).find(".//failure") is None
    finding = json.loads(render(report, "json"))["subjects"][0]["findings"][0]
    assert (finding["category"], finding["severity"]) == ("LINT", "warning")
    assert "(1 warning)" in render(report, "text")
    assert "⚠️ 1 warning" in render(report, "markdown")


def test_gitlab_fingerprints_are_stable_and_distinct() -> None:
    first, second = json.loads(render(_report(), "gitlab")), json.loads(render(_report(), "gitlab"))
    assert [i["fingerprint"] for i in first] == [i["fingerprint"] for i in second]
    assert len({i["fingerprint"] for i in first}) == len(first) == 2
    assert {i["severity"] for i in first} == {"critical", "info"}  # the accepted one is info


def test_markdown_is_a_pr_comment_with_a_row_per_subject() -> None:
    md = render(_report(), "markdown")
    assert md.startswith("### ❌ govern check: incompatible")
    assert "| `wallet-value` | BACKWARD | changed | ❌ 1 finding |" in md
    assert "| `rate-value` | BACKWARD | new | ✅ compatible |" in md
    assert "**Fix:** keep the type int here" in md and "<details>" in md
