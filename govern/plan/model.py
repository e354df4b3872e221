"""The planner's input model: who writes and reads which schema on which topic, before and after.

The planner never sees files, git or the catalog: `inputs.py` turns two catalogs into a `Change`,
and tests build one by hand from tiny inline schemas. A schema is an opaque `SchemaRef` whose
`key` is canonical (equal keys mean the same schema), so pair checks can be memoised on keys.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Literal, Protocol

Side = Literal["old", "new"]


class FindingLike(Protocol):
    """What the planner needs from a compatibility finding (`govern.compat.Finding` fits)."""

    rule: str
    location: str
    message: str


@dataclass(frozen=True)
class Issue:
    """One reason a reader cannot read a writer, copied out of a compat finding."""

    rule: str
    location: str
    message: str
    hint: str | None = None
    #: the whole finding when it is a `govern.report.Finding` (its JSON is the plan's finding shape)
    finding: Any = field(default=None, compare=False, repr=False)

    @classmethod
    def of(cls, finding: FindingLike) -> Issue:
        """Copy the fields the planner renders, whatever the finding's concrete type."""
        from govern.report.model import Finding

        rule = getattr(finding, "rule", "INCOMPATIBLE")
        return cls(
            rule=str(getattr(rule, "value", rule)),
            location=str(getattr(finding, "location", "") or "/"),
            message=str(getattr(finding, "message", "")),
            hint=getattr(finding, "hint", None),
            finding=finding if isinstance(finding, Finding) else None,
        )

    @property
    def causes(self) -> list[str]:
        """Where a union's branch really breaks, "RULE at LOCATION (file:line:col)" each (Avro
        reports the union, MISSING_UNION_BRANCH); empty for any other finding."""
        if self.finding is None or not self.finding.causes:
            return []
        return [
            f"{c.rule} at {c.location}" + (f" ({c.place})" if c.place else "")
            for c in self.finding.root_causes()
        ]

    def __str__(self) -> str:
        return f"{self.rule} at {self.location}"


def canonical_key(schema: Any) -> str:
    """A stable text for a JSON-like schema: equal schemas give equal keys (used for memo and diff)."""
    if isinstance(schema, str):
        try:
            schema = json.loads(schema)
        except ValueError:
            return schema
    return json.dumps(schema, sort_keys=True, separators=(",", ":"))


@dataclass(frozen=True)
class SchemaRef:
    """A schema as the planner sees it: a canonical key, a label for people, the value compat takes.

    `value` is whatever the compatibility function accepts (JSON text, dict, parsed schema);
    `label` names it for people (``Transaction@HEAD``), `file` says where it was read from.
    """

    key: str
    label: str
    value: Any = field(compare=False, hash=False, repr=False)
    file: str = field(default="", compare=False)  #: e.g. HEAD:schemas/io.govern.exchange.Transaction.avsc

    @classmethod
    def of(cls, value: Any, label: str = "", key: str | None = None, file: str = "") -> SchemaRef:
        """Wrap a JSON-like schema, computing its canonical key unless one is given."""
        return cls(key=key if key is not None else canonical_key(value), label=label, value=value, file=file)


@dataclass(frozen=True)
class ServiceView:
    """One service at one point in time: its writer schema per produced topic, reader per consumed.

    `fingerprint` lets the input layer mark a service changed for reasons outside its schemas
    (its contract file changed); two views are the same release when both fingerprints and all
    schema keys are equal.
    """

    name: str
    writes: Mapping[str, SchemaRef] = field(default_factory=dict)
    reads: Mapping[str, SchemaRef] = field(default_factory=dict)
    fingerprint: str = ""

    def identity(self) -> tuple[Any, ...]:
        """What must stay equal for the service not to need a deploy."""
        return (
            self.fingerprint,
            tuple(sorted((t, s.key) for t, s in self.writes.items())),
            tuple(sorted((t, s.key) for t, s in self.reads.items())),
        )


@dataclass(frozen=True)
class Snapshot:
    """All services at one point in time (a git ref, the working tree, a hand-built test case)."""

    services: Mapping[str, ServiceView]
    label: str = ""

    @classmethod
    def of(cls, services: Iterable[ServiceView], label: str = "") -> Snapshot:
        return cls({s.name: s for s in services}, label)


@dataclass(frozen=True)
class Change:
    """Before and after, plus the topics whose old records are gone before new readers start.

    By default every topic retains what was written before the change (delete topics until
    retention expires, compacted topics until each key is rewritten); a topic in `drained` is
    declared emptied or rewritten, so new readers never meet the old writers' records.
    """

    before: Snapshot
    after: Snapshot
    drained: frozenset[str] = frozenset()
    #: message pacts per side ("old", "new"), read by `govern.plan.pacts.MessagePacts`; empty: none
    pacts: Mapping[str, tuple[Any, ...]] = field(default_factory=dict, compare=False)

    def service_names(self) -> list[str]:
        return sorted(set(self.before.services) | set(self.after.services))

    def view(self, service: str, side: Side) -> ServiceView:
        """The service on one side; a service absent on that side reads and writes nothing."""
        snapshot = self.before if side == "old" else self.after
        return snapshot.services.get(service) or ServiceView(service)

    @cached_property
    def _changed(self) -> frozenset[str]:
        changed = set()
        for service in self.service_names():
            before = self.before.services.get(service)
            after = self.after.services.get(service)
            if before is None or after is None or before.identity() != after.identity():
                changed.add(service)
        return frozenset(changed)

    def is_changed(self, service: str) -> bool:
        """True when the service needs a deploy (new, removed, or any schema or contract changed)."""
        return service in self._changed

    def changed(self) -> list[str]:
        return sorted(self._changed)

    def topics(self) -> list[str]:
        names: set[str] = set()
        for snapshot in (self.before, self.after):
            for view in snapshot.services.values():
                names.update(view.writes)
                names.update(view.reads)
        return sorted(names)

    def retains_old_data(self, topic: str) -> bool:
        return topic not in self.drained
