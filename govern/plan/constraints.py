"""Safety conditions ("links") and the ordering constraints and blockers derived from them.

A *link* is one binary safety condition: a consumer reading one topic against one producer's
records. Whether it holds depends only on which side (old or new release) each of the two
services is on, so four combinations say everything about it:

- (old, old) fails: the base is already unsafe;
- (new, new) fails: the new releases cannot work together;
- (new reader, old writer) fails: the producer must go first;
- (old reader, new writer) fails: the consumer must go first;
- both mixed combinations fail: no order works, the two form a cycle.

A *retained* link is a reader against the records a producer wrote before the change, which stay
in the topic (until retention expires or compaction rewrites them) whatever is deployed later;
its failing on the new reader means a migration, not an order.

Links come from constraint sources. `AvroPairs` is the schema source; message pacts under
contracts/pacts/ fit the same seam: a source whose links check a consumer's pact (per side)
against a producer's writer schema (per side) — a pact that expects a field only the new
producer sends fails on (new consumer, old producer) and so forces producer-first, with no
change to the planner or the proof.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Literal, Protocol

from govern.plan.model import Change, Issue, Side
from govern.plan.pairs import PairChecker


@dataclass(frozen=True)
class Link:
    """One binary safety condition between a consumer and a producer on a topic.

    `retained` links stand for the records the producer wrote before the change; only their new
    reader matters (the old reader against old records is the live link's (old, old) pair, so a
    source declaring a retained link declares the live one too).
    """

    topic: str
    reader: str
    writer: str
    retained: bool
    source: ConstraintSource = field(compare=False, hash=False, repr=False)

    def check(
        self, change: Change, checker: PairChecker, reader_side: Side, writer_side: Side
    ) -> Violation | None:
        """The violation at this combination of sides, or None when it holds (or does not apply)."""
        return self.source.check(change, checker, self, reader_side, writer_side)


@dataclass(frozen=True)
class Violation:
    """A link failing at one combination of sides, with the compat issues that say why."""

    link: Link
    reader_side: Side
    writer_side: Side
    reader_label: str
    writer_label: str
    issues: tuple[Issue, ...]
    reader_changed: bool = True
    writer_changed: bool = True
    reader_file: str = ""
    writer_file: str = ""

    def key(self) -> tuple[object, ...]:
        """Identity of the failing combination; the side of an unchanged service does not matter."""
        return (
            self.link,
            self.reader_side if self.reader_changed else "*",
            self.writer_side if self.writer_changed and not self.link.retained else "*",
        )

    def pair(self) -> str:
        """E.g. "wallet's old reader of transaction-success (…) cannot read transaction's new writer (…)"."""
        link = self.link
        reader_age = f"{self.reader_side} " if self.reader_changed else ""
        if link.retained:
            target = f"the records {link.writer} wrote before the change ({self.writer_label})"
        else:
            writer_age = f"{self.writer_side} " if self.writer_changed else ""
            target = f"{link.writer}'s {writer_age}writer ({self.writer_label})"
        reader = f"{link.reader}'s {reader_age}reader of {link.topic} ({self.reader_label})"
        return f"{reader} cannot read {target}"

    def sentence(self) -> str:
        """The pair and why: "...: READER_FIELD_MISSING_DEFAULT_VALUE at /fields/5"."""
        first = self.issues[0]
        more = f" (+{len(self.issues) - 1} more)" if len(self.issues) > 1 else ""
        cause = f" (cause: {first.causes[0]})" if first.causes else ""
        return f"{self.pair()}: {first.rule} at {first.location}{cause}{more}"

    def as_dict(self) -> dict[str, object]:
        """The JSON shape of a blocking pair."""
        return {
            "topic": self.link.topic,
            "reader": {
                "service": self.link.reader,
                "side": self.reader_side,
                "schema": self.reader_label,
                "file": self.reader_file or None,
            },
            "writer": {
                "service": self.link.writer,
                "side": "old" if self.link.retained else self.writer_side,
                "schema": self.writer_label,
                "file": self.writer_file or None,
                "retained_records": self.link.retained,
            },
            "findings": [_issue_json(i) for i in self.issues],
        }


def _issue_json(issue: Issue) -> dict[str, object]:
    """A compat finding in the one JSON shape of findings (docs/findings.md); a pact issue in its
    subset (rule, location, message, hint)."""
    if issue.finding is not None:
        from govern.report.jsonfmt import finding_json

        return finding_json(issue.finding)
    return {"rule": issue.rule, "location": issue.location, "message": issue.message, "hint": issue.hint}


@dataclass(frozen=True)
class Constraint:
    """Deploy `first` before `then`, because of `because` (the mixed state the other order reaches)."""

    first: str
    then: str
    because: Violation

    def text(self) -> str:
        return f"{self.first} before {self.then}: {self.because.sentence()}"


BlockerKind = Literal["base", "head", "migration", "cycle", "proof"]

_HINTS: dict[str, str] = {
    "base": "the base is already inconsistent: fix it (or pick another --against) before planning",
    "head": "the new releases cannot work together: make the schema change compatible (add defaults, "
    "keep types) or change both sides",
    "migration": "let the old records expire or migrate/rewrite the topic, then plan with --drained {topic}; "
    "or give the new field a default now and make it required in a later release",
    "cycle": "no rolling order exists: split the change in two phases (first add the field with a default / "
    "widen the type everywhere and release, then make it required / narrow it in a second release)",
    "proof": "the simulated state is unsafe although no constraint predicted it: report this as a bug",
}


_LEADS: dict[str, str] = {
    "base": "already unsafe at the base",
    "head": "unsafe after the change",
    "migration": "needs the old records to expire or be migrated",
    "cycle": "no order works (cycle)",
    "proof": "unsafe simulated state",
}


@dataclass(frozen=True)
class Blocker:
    """A reason no safe rolling plan exists, with the pair and rule that block and a fix hint."""

    kind: BlockerKind
    violation: Violation

    @property
    def hint(self) -> str:
        first = self.violation.issues[0]
        general = self.general_hint
        return f"{first.hint}; {general}" if first.hint and self.kind in ("head", "cycle") else general

    @property
    def general_hint(self) -> str:
        """What to do about this kind of blocker, whatever the rule."""
        return _HINTS[self.kind].format(topic=self.violation.link.topic)

    @property
    def lead(self) -> str:
        """The kind of blocker in words."""
        return _LEADS[self.kind]

    def text(self) -> str:
        return f"{self.lead}: {self.violation.sentence()}"

    def as_dict(self) -> dict[str, object]:
        return {"kind": self.kind, "text": self.text(), "hint": self.hint, **self.violation.as_dict()}


class ConstraintSource(Protocol):
    """Something that knows safety conditions between services: Avro pairs today, pacts next."""

    name: str

    def links(self, change: Change) -> Iterable[Link]:
        """Every binary condition that matters for this change."""
        ...

    def check(
        self, change: Change, checker: PairChecker, link: Link, reader_side: Side, writer_side: Side
    ) -> Violation | None:
        """Whether `link` holds with its reader and writer on the given sides."""
        ...


class AvroPairs:
    """Links from Avro schemas: each consumer's reader against each producer's writer per topic."""

    name = "avro"

    def links(self, change: Change) -> Iterable[Link]:
        readers: dict[str, set[str]] = {}
        writers: dict[str, set[str]] = {}
        for side in ("old", "new"):
            snapshot = change.before if side == "old" else change.after
            for view in snapshot.services.values():
                for topic in view.reads:
                    readers.setdefault(topic, set()).add(view.name)
                for topic in view.writes:
                    writers.setdefault(topic, set()).add(view.name)
        for topic in sorted(readers.keys() & writers.keys()):
            for reader in sorted(readers[topic]):
                reader_changed = change.is_changed(reader)
                for writer in sorted(writers[topic]):
                    yield Link(topic, reader, writer, retained=False, source=self)
                    if (
                        reader_changed
                        and change.retains_old_data(topic)
                        and _old_records_differ(change, writer, topic)
                    ):
                        yield Link(topic, reader, writer, retained=True, source=self)

    def check(
        self, change: Change, checker: PairChecker, link: Link, reader_side: Side, writer_side: Side
    ) -> Violation | None:
        writer_side = "old" if link.retained else writer_side
        reader = change.view(link.reader, reader_side).reads.get(link.topic)
        writer = change.view(link.writer, writer_side).writes.get(link.topic)
        if reader is None or writer is None:
            return None
        if not checker.issues(reader, writer):
            return None
        issues = checker.explained(reader, writer, reader_side, writer_side)
        return Violation(
            link,
            reader_side,
            writer_side,
            reader.label,
            writer.label,
            issues,
            reader_changed=change.is_changed(link.reader),
            writer_changed=change.is_changed(link.writer),
            reader_file=reader.file,
            writer_file=writer.file,
        )


def _old_records_differ(change: Change, writer: str, topic: str) -> bool:
    """True when the producer's old records on `topic` use a schema its new release no longer writes.

    Otherwise the retained records are covered by the live (reader, writer) link already.
    """
    old = change.view(writer, "old").writes.get(topic)
    new = change.view(writer, "new").writes.get(topic)
    return old is not None and (new is None or new.key != old.key)


@dataclass
class Derivation:
    """Ordering constraints between changed services, and what no order can fix."""

    constraints: list[Constraint] = field(default_factory=list)
    blockers: list[Blocker] = field(default_factory=list)


def derive(change: Change, links: Iterable[Link], checker: PairChecker) -> Derivation:
    """Turn each link's four side combinations into constraints and blockers (see module doc)."""
    result = Derivation()
    for link in links:
        reader_changed = change.is_changed(link.reader)
        writer_changed = change.is_changed(link.writer)
        if link.retained:  # its (old, old) combination is the live link's: checked there
            if reader_changed and (new := link.check(change, checker, "new", "old")):
                result.blockers.append(Blocker("migration", new))
            continue
        base = link.check(change, checker, "old", "old")
        if base:
            result.blockers.append(Blocker("base", base))
        if not (reader_changed or writer_changed):
            continue  # (new, new) is (old, old): already reported as the base's problem
        head = link.check(change, checker, "new", "new")
        if head:
            result.blockers.append(Blocker("head", head))
        if link.reader == link.writer or not (reader_changed and writer_changed):
            continue  # the mixed combinations equal (old, old) or (new, new): nothing to order
        new_reader = link.check(change, checker, "new", "old")
        old_reader = link.check(change, checker, "old", "new")
        if new_reader:
            result.constraints.append(Constraint(link.writer, link.reader, new_reader))
        if old_reader:
            result.constraints.append(Constraint(link.reader, link.writer, old_reader))
    return result
