"""The accepted-breaks ledger: loading (errors at file:line), matching, expiry; the catalog skips the file."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest

from govern.catalog import load_catalog
from govern.check.accepted import LEDGER, apply_ledger, load_ledger
from govern.check.model import Finding, Report, SubjectReport
from govern.errors import InputError

ROOT = Path(__file__).resolve().parents[2]
SUBJECTS = ["wallet-value", "account-value"]

ENTRY = """\
version: 1
breaks:
  - subject: wallet-value
    rule: READER_FIELD_MISSING_DEFAULT_VALUE
    location: /fields/4
    reason: readers upgraded first (#42)
    owner: team-wallet
    expires: {expires}
"""


def _ledger(tmp_path: Path, text: str) -> Path:
    (tmp_path / "contracts").mkdir(exist_ok=True)
    (tmp_path / LEDGER).write_text(text, encoding="utf-8")
    return tmp_path


def _report(*findings: Finding) -> Report:
    return Report("git main", [SubjectReport("wallet-value", "BACKWARD", "changed", findings=list(findings))])


def _finding(location: str = "/fields/4", rule: str = "READER_FIELD_MISSING_DEFAULT_VALUE") -> Finding:
    return Finding(rule, location, "fee")


def test_catalog_loader_skips_the_ledger(tmp_path: Path) -> None:
    for name in ("contracts", "schemas"):
        shutil.copytree(ROOT / name, tmp_path / name)
    _ledger(tmp_path, ENTRY.format(expires="2099-01-01"))
    catalog = load_catalog(tmp_path)
    assert "accepted-breaks" not in {s.name for s in catalog.services}
    assert len(load_ledger(tmp_path, SUBJECTS)) == 1


def test_no_ledger_is_an_empty_ledger(tmp_path: Path) -> None:
    assert load_ledger(tmp_path, SUBJECTS) == []


def test_matching_finding_is_accepted_and_passes(tmp_path: Path) -> None:
    ledger = load_ledger(_ledger(tmp_path, ENTRY.format(expires="2099-01-01")), SUBJECTS)
    report = _report(_finding())
    apply_ledger(report, ledger, dt.date(2026, 1, 1))
    finding = report.subjects[0].findings[0]
    assert finding.accepted is not None and finding.accepted.owner == "team-wallet"
    assert report.compatible


def test_other_location_is_not_accepted(tmp_path: Path) -> None:
    ledger = load_ledger(_ledger(tmp_path, ENTRY.format(expires="2099-01-01")), SUBJECTS)
    report = _report(_finding("/fields/5"))
    apply_ledger(report, ledger, dt.date(2026, 1, 1))
    assert not report.compatible
    assert any("matched no finding" in note for note in report.notes)


def test_expired_entry_fails_and_accepts_nothing(tmp_path: Path) -> None:
    ledger = load_ledger(_ledger(tmp_path, ENTRY.format(expires="2026-01-01")), SUBJECTS)
    report = _report(_finding())
    apply_ledger(report, ledger, dt.date(2026, 1, 2))
    rules = [f.rule for f in report.subjects[0].findings]
    assert "ACCEPTED_BREAK_EXPIRED" in rules
    assert all(f.accepted is None for f in report.subjects[0].findings)
    expired = report.subjects[0].findings[-1]
    assert expired.place is not None and (expired.place.file, expired.place.line) == (LEDGER, 3)
    assert not report.compatible


def test_expiry_day_still_counts(tmp_path: Path) -> None:
    ledger = load_ledger(_ledger(tmp_path, ENTRY.format(expires="2026-01-01")), SUBJECTS)
    report = _report(_finding())
    apply_ledger(report, ledger, dt.date(2026, 1, 1))
    assert report.compatible


@pytest.mark.parametrize(
    ("text", "where"),
    [
        (ENTRY.format(expires="soon"), f"{LEDGER}:8"),
        (ENTRY.format(expires="2099-01-01").replace("wallet-value", "walet-value"), f"{LEDGER}:3"),
        (ENTRY.format(expires="2099-01-01").replace("    owner: team-wallet\n", ""), f"{LEDGER}:3"),
        (ENTRY.format(expires="2099-01-01").replace("owner:", "ownr:"), f"{LEDGER}:7"),
    ],
)
def test_bad_entries_name_file_and_line(tmp_path: Path, text: str, where: str) -> None:
    with pytest.raises(InputError) as caught:
        load_ledger(_ledger(tmp_path, text), SUBJECTS)
    assert caught.value.message.startswith(where + ":"), caught.value.message
