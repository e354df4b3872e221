"""The one finding type every command reports, and the report that groups findings by subject.

``compat`` builds findings from Avro's reader/writer walk, ``check`` and ``register`` put them in
a ``Report``, ``release-plan`` attaches them to the pairs that block; every printer in
``govern.report`` takes these types and nothing else (as Buf's printers take one
``FileAnnotation``). Plain dataclasses, no I/O.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import date

from govern.report.rules import Category, category_of

#: Version of the JSON shape of findings and reports (docs/findings.md); bump on breaking changes.
FORMAT_VERSION = 2


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
class Side:
    """One schema of a reader/writer check: its role ("new", "old", "wallet reader"), the JSON
    pointer of the node inside the document defining it, and that node's place when from a file."""

    role: str
    pointer: str = ""
    place: Place | None = None


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


@dataclass(slots=True)
class Finding:
    """One problem: rule id, where (Avro location, file:line:col), why, how to fix.

    ``place`` is where the fix goes: in the new schema whichever side reads (or the contract or
    ledger file for govern's own rules); ``other`` the same spot in what it was compared with.
    ``reader``/``writer`` are both schemas of a reader/writer check. ``causes`` are the nested
    findings that made a union branch unreadable (Avro itself reports only the union); the
    finding's reason, hint and place are its first cause's.
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
    reader: Side | None = None
    writer: Side | None = None
    version: int | None = None
    causes: tuple[Finding, ...] = ()
    severity: str = ""  #: "" means the rule's own severity (see ``level``)

    @property
    def category(self) -> Category:
        return category_of(self.rule)

    @property
    def level(self) -> str:
        """``error`` or ``warning``: the configured severity, else the rule's."""
        if self.severity:
            return self.severity
        return "warning" if self.category is Category.LINT else "error"

    @property
    def blocking(self) -> bool:
        """Whether this finding fails the check: an error not covered by an accepted break."""
        return self.accepted is None and self.level == "error"

    def details(self) -> list[tuple[str, str]]:
        """The labelled lines every printer shows after the headline: why, fix, against, accepted."""
        acc = self.accepted
        accepted = f"until {acc.expires.isoformat()} by {acc.owner}: {acc.reason}" if acc else ""
        found = [("why", self.reason), ("fix", self.hint), ("against", self.against), ("accepted", accepted)]
        return [(label, text) for label, text in found if text]

    def root_causes(self) -> list[Finding]:
        """The innermost causes (the finding itself when it has none)."""
        if not self.causes:
            return [self]
        return [inner for cause in self.causes for inner in cause.root_causes()]

    def map_places(self, dress: Callable[[Place], Place]) -> Finding:
        """A copy with every place (its own, both sides', its causes') passed through ``dress``."""

        def one(place: Place | None) -> Place | None:
            return None if place is None else dress(place)

        def side(s: Side | None) -> Side | None:
            return s if s is None or s.place is None else replace(s, place=dress(s.place))

        return replace(
            self,
            place=one(self.place),
            other=one(self.other),
            reader=side(self.reader),
            writer=side(self.writer),
            causes=tuple(c.map_places(dress) for c in self.causes),
        )


@dataclass
class SubjectReport:
    """The verdict for one registry subject (`<topic>-value` / `<topic>-key`)."""

    subject: str
    level: str
    status: str  #: "changed", "new", "unchanged" (checked with --all) or "removed"
    schema_file: str | None = None
    checked: list[str] = field(default_factory=list)  #: what it was compared with, for humans
    findings: list[Finding] = field(default_factory=list)

    @property
    def compatible(self) -> bool:
        return not any(f.blocking for f in self.findings)


@dataclass
class Report:
    """Everything one run found, subjects in catalog order."""

    against: str  #: "git main (3f2a1b0c9d)" or "registry http://..."
    subjects: list[SubjectReport] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  #: e.g. unused accepted breaks

    @property
    def compatible(self) -> bool:
        return all(s.compatible for s in self.subjects)

    def subject(self, name: str) -> SubjectReport | None:
        """The entry for `name`, if it was checked."""
        return next((s for s in self.subjects if s.subject == name), None)

    def findings(self) -> list[tuple[str, Finding]]:
        """Every (subject, finding) pair, in report order."""
        return [(s.subject, f) for s in self.subjects for f in s.findings]
