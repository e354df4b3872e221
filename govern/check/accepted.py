"""Accepted breaks: a reviewed ledger of deliberate incompatibilities, each with an owner and an expiry.

`contracts/accepted-breaks.yaml` (the catalog loader skips this file name)::

    version: 1
    breaks:
      - subject: wallet-value            # a subject declared in contracts/topics.yaml
        rule: READER_FIELD_MISSING_DEFAULT_VALUE   # the finding's rule id
        location: /fields/3              # the finding's location (JSON pointer), exactly
        reason: v2 drops the legacy balance; all readers upgraded in #123
        owner: team-wallet
        expires: 2026-12-31              # after this day the entry fails the check

A finding matching subject, rule and location exactly is reported as accepted and does not fail
the check (no wildcards: one entry never silently exempts a whole file). An expired entry is
itself a finding (ACCEPTED_BREAK_EXPIRED) and accepts nothing. An entry that matched nothing is
a note, so the ledger can be kept clean.
"""

from __future__ import annotations

import datetime as dt
import difflib
from collections.abc import Iterable
from pathlib import Path

from govern.catalog._yaml import LocatedList, LocatedMap, load_yaml
from govern.check.model import Acceptance, Finding, Place, Report, SubjectReport
from govern.errors import InputError

LEDGER = "contracts/accepted-breaks.yaml"  #: where it is when govern.toml names no contracts_dir


def ledger_path(contracts_dir: str = "contracts") -> str:
    """The ledger's path relative to the root, in the contracts folder."""
    return f"{contracts_dir.rstrip('/')}/accepted-breaks.yaml"


_KEYS = ("subject", "rule", "location", "reason", "owner", "expires")


def load_ledger(root: Path, subjects: Iterable[str], contracts_dir: str = "contracts") -> list[Acceptance]:
    """The entries of the ledger in the contracts folder under `root` (none when the file does not
    exist); bad entries exit 2."""
    ledger = ledger_path(contracts_dir)
    path = Path(root) / ledger
    if not path.is_file():
        return []
    doc = load_yaml(path, ledger)
    if doc is None:
        return []
    if not isinstance(doc, LocatedMap) or not isinstance(doc.get("breaks", []), LocatedList | type(None)):
        raise InputError(
            f"{ledger}:1: expected `breaks:` with a list of entries", hint="see govern check --help"
        )
    unknown_top = [k for k in doc if k not in ("version", "breaks")]
    if unknown_top:
        raise InputError(
            f"{ledger}:{doc.line_of(unknown_top[0])}: unknown key {unknown_top[0]!r}",
            hint="allowed keys: version, breaks",
        )
    known = set(subjects)
    out: list[Acceptance] = []
    items = doc.get("breaks") or LocatedList()
    for item, line in zip(items, getattr(items, "item_lines", []), strict=False):
        if not isinstance(item, LocatedMap):
            raise InputError(f"{ledger}:{line}: an entry must be a mapping", hint=f"keys: {', '.join(_KEYS)}")
        for key in item:
            if key not in _KEYS:
                close = difflib.get_close_matches(str(key), _KEYS, n=1)
                raise InputError(
                    f"{ledger}:{item.line_of(key)}: unknown key {key!r}",
                    hint=f"did you mean {close[0]!r}?" if close else f"keys: {', '.join(_KEYS)}",
                )
        missing = [k for k in _KEYS if item.get(k) in (None, "")]
        if missing:
            raise InputError(
                f"{ledger}:{line}: entry has no {missing[0]!r}",
                hint="every accepted break names subject, rule, location, reason, owner, expires",
            )
        expires = item["expires"]
        if isinstance(expires, str):
            try:
                expires = dt.date.fromisoformat(expires)
            except ValueError:
                expires = None
        if not isinstance(expires, dt.date):
            raise InputError(
                f"{ledger}:{item.line_of('expires')}: expires must be a date (YYYY-MM-DD)",
                hint="e.g. `expires: 2026-12-31`",
            )
        subject = str(item["subject"])
        if subject not in known:
            close = difflib.get_close_matches(subject, sorted(known), n=1)
            raise InputError(
                f"{ledger}:{item.line_of('subject')}: unknown subject {subject!r}",
                hint=f"did you mean {close[0]!r}?" if close else "subjects are <topic>-value / -key",
            )
        out.append(
            Acceptance(
                subject,
                str(item["rule"]),
                str(item["location"]),
                str(item["reason"]),
                str(item["owner"]),
                expires,
                line,
            )
        )
    return out


def apply_ledger(
    report: Report, ledger: list[Acceptance], today: dt.date | None = None, file: str = LEDGER
) -> None:
    """Mark findings the ledger (`file`) accepts; a finding per expired entry, a note per unused one."""
    today = today or dt.date.today()
    used: set[int] = set()
    for entry in ledger:
        if entry.expired(today):
            subject = report.subject(entry.subject)
            if subject is None:
                subject = SubjectReport(entry.subject, "", "unchanged")
                report.subjects.append(subject)
            subject.findings.append(_expired(entry, file))
            used.add(id(entry))
            continue
        subject = report.subject(entry.subject)
        for finding in subject.findings if subject else ():
            if finding.accepted is None and (finding.rule, finding.location) == (entry.rule, entry.location):
                finding.accepted = entry
                used.add(id(entry))
    for entry in ledger:
        if id(entry) not in used and report.subject(entry.subject) is not None:
            report.notes.append(
                f"{file}:{entry.line}: accepted break {entry.rule} at {entry.location} of {entry.subject} "
                "matched no finding; remove it once the break has shipped"
            )


def _expired(entry: Acceptance, file: str) -> Finding:
    return Finding(
        rule="ACCEPTED_BREAK_EXPIRED",
        location=entry.location,
        message=f"accepted break {entry.rule} at {entry.location} expired on {entry.expires.isoformat()}",
        reason=f"{entry.owner} accepted it until {entry.expires.isoformat()} ({entry.reason}); "
        "an expired acceptance no longer covers the break",
        hint="fix the break, or renew the entry with a new expires date after review",
        place=Place(file, entry.line, 1),
        against=file,
    )
