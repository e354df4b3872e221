"""What `govern check` answers: one report, one entry per subject, findings with places and fixes.

Plain dataclasses, no I/O: the checks (from_git, from_registry, consumers) build them, the
accepted-breaks ledger marks them, the printers in `govern.check.report` render them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

#: Version of the JSON report's shape (`govern check --format json`); bump on breaking changes.
JSON_FORMAT_VERSION = 1

#: govern's own rule ids (the Avro ones come from govern.compat.RULES).
GOVERN_RULES: dict[str, str] = {
    "REMOVED_TOPIC_HAS_CONSUMERS": "A topic is removed only after no service consumes it any more.",
    "ACCEPTED_BREAK_EXPIRED": "An accepted break is renewed or removed before its expiry date.",
    "REGISTRY_DISAGREES": "govern's verdict and the registry's own verdict on a schema agree.",
}


@dataclass(frozen=True)
class Place:
    """A file position (1-based) and, when known, the text of that line."""

    file: str
    line: int | None = None
    column: int | None = None
    text: str = ""

    def __str__(self) -> str:
        parts = [self.file] + [str(n) for n in (self.line, self.column) if n is not None]
        return ":".join(parts)


@dataclass(frozen=True)
class Acceptance:
    """An entry of contracts/accepted-breaks.yaml: which finding is accepted, why, by whom, until when."""

    subject: str
    rule: str
    location: str
    reason: str
    owner: str
    expires: date
    line: int = 0  #: line of the entry in the ledger

    def expired(self, today: date) -> bool:
        """Whether the entry no longer accepts anything (the expiry day itself still counts)."""
        return today > self.expires


@dataclass
class CheckFinding:
    """One problem with one subject: rule id, where (JSON pointer and file:line:col), why, how to fix.

    `place` is in the working tree (the new schema, or the contract file); `other` in what it was
    compared with (an older version, a consumer's reader schema). `against` names that.
    """

    rule: str
    location: str
    message: str
    reason: str = ""
    hint: str = ""
    place: Place | None = None
    other: Place | None = None
    against: str = ""
    accepted: Acceptance | None = None

    @property
    def blocking(self) -> bool:
        """Whether this finding fails the check (not covered by an accepted break)."""
        return self.accepted is None


@dataclass
class SubjectReport:
    """The verdict for one registry subject (`<topic>-value` / `<topic>-key`)."""

    subject: str
    level: str
    status: str  #: "changed", "new", "unchanged" (checked with --all) or "removed"
    schema_file: str | None = None
    checked: list[str] = field(default_factory=list)  #: what it was compared with, for humans
    findings: list[CheckFinding] = field(default_factory=list)

    @property
    def compatible(self) -> bool:
        return not any(f.blocking for f in self.findings)


@dataclass
class Report:
    """Everything one `govern check` run found, subjects in catalog order."""

    against: str  #: "git main (3f2a1b0c9d)" or "registry http://..."
    subjects: list[SubjectReport] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  #: e.g. unused accepted breaks

    @property
    def compatible(self) -> bool:
        return all(s.compatible for s in self.subjects)

    def subject(self, name: str) -> SubjectReport | None:
        """The entry for `name`, if it was checked."""
        return next((s for s in self.subjects if s.subject == name), None)
