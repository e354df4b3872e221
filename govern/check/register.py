"""Registry-as-code: make a registry hold exactly what contracts/ declares (`govern register`).

Choice: **Confluent schema references**, not self-contained schemas. A type defined in its own
file (e.g. `io.govern.exchange.TransactionType`) is registered once under a subject named by its
full name, before the subjects that use it; those register their schema as written, with a
reference `{name, subject, version}` per type they use. This is what Confluent's own serializers
do, keeps one source of truth per type, and lets the registry check the shared type on its own.
A referenced type's subject gets the union of the levels of the topics using it (backward if any
is, forward if any is, transitive if any is).

Each subject gets the level its topic declares in contracts/ (set first, so the registry judges
the new version by it), then its schema: a lookup first (a schema already registered is
*unchanged*, nothing is written), else our engine checks it against the registry's versions at
that level (*incompatible* with findings, nothing written), else it is registered (*registered*,
or *new version* with `dry_run`). A second run therefore writes nothing.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field

from govern.catalog import Catalog, SchemaRef
from govern.check.from_registry import RegistryHistory
from govern.check.model import Finding
from govern.check.subjects import Lines, Subject, dependencies, parse_file, relative_display
from govern.compat import Level, check_level
from govern.registry import Client, IncompatibleSchema, Reference, SchemaNotFound, SubjectNotFound
from govern.registry.errors import NotFound


@dataclass
class Registration:
    """What `govern register` did (or, with --dry-run, would do) to one subject."""

    subject: str
    kind: str  #: "topic" or "reference" (a shared type's own subject)
    file: str
    level: str
    status: str = ""  #: "unchanged", "registered", "new version" (dry run) or "incompatible"
    version: int | None = None
    schema_id: int | None = None
    level_status: str = "unchanged"  #: "unchanged", "set" or "would set"
    previous_level: str | None = None
    references: list[Reference] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)

    @property
    def writes(self) -> bool:
        return self.status == "registered" or self.level_status == "set"


@dataclass(frozen=True)
class _Unit:
    subject: str
    kind: str
    ref: SchemaRef
    level: str


def combined_level(levels: Sequence[str]) -> str:
    """The weakest level at least as strict as each of `levels` (for a type several topics share)."""
    parsed = [Level.parse(x) for x in levels]
    backward = any(x.backward for x in parsed)
    forward = any(x.forward for x in parsed)
    transitive = any(x.transitive for x in parsed)
    if not (backward or forward):
        return Level.NONE.value
    name = "FULL" if backward and forward else ("BACKWARD" if backward else "FORWARD")
    return f"{name}_TRANSITIVE" if transitive else name


def plan_units(catalog: Catalog, subjects: Sequence[Subject]) -> list[_Unit]:
    """Referenced types first (each after what it references), then the topic subjects."""
    users: dict[str, list[str]] = {}
    order: list[SchemaRef] = []
    for subject in subjects:
        for dep in dependencies(catalog, subject.schema):
            if dep.name not in users:
                users[dep.name] = []
                order.append(dep)
            users[dep.name].append(subject.level)
    units = [_Unit(dep.name, "reference", dep, combined_level(users[dep.name])) for dep in order]
    return units + [_Unit(s.name, "topic", s.schema, s.level) for s in subjects]


def register_all(
    catalog: Catalog, client: Client, subjects: Sequence[Subject], *, dry_run: bool
) -> list[Registration]:
    """Register `subjects` (and the types they reference) as contracts/ declares them; see the module doc."""
    history = RegistryHistory(client)
    lines = Lines(relative_display(catalog.root))
    versions: dict[str, int | None] = {}  # referenced type -> its version (None: pending, dry run)
    out: list[Registration] = []
    for unit in plan_units(catalog, subjects):
        entry = Registration(unit.subject, unit.kind, unit.ref.file.as_posix(), unit.level)
        _level(client, entry, dry_run)
        pending = any(versions.get(name) is None for name in unit.ref.references)
        entry.references = [Reference(n, n, versions[n]) for n in unit.ref.references if versions.get(n)]
        text = json.dumps(unit.ref.schema, separators=(",", ":"))
        found = None if pending else _lookup(client, unit.subject, text, entry.references)
        if found is not None:
            entry.status, entry.version, entry.schema_id = "unchanged", found.version, found.id
        else:
            new = parse_file(catalog, unit.ref)
            past = history.versions(unit.subject)
            result = check_level(unit.level, new, [s for _, s in past], versions=[n for n, _ in past])
            entry.findings = [
                lines.finding(f, f"registry {unit.subject} v{f.version}")
                for f in result.findings
            ]
            if entry.findings:
                entry.status = "incompatible"
            elif dry_run:
                entry.status = "new version"
                entry.version = (past[-1][0] + 1) if past else 1
            else:
                try:
                    done = client.register(unit.subject, text, references=entry.references)
                except IncompatibleSchema as error:
                    entry.status = "incompatible"
                    entry.findings.append(
                        Finding(
                            "CHECK_FAILED",
                            "/",
                            f"the registry refused it: {error.message}",
                            against=f"registry {unit.subject}",
                        )
                    )
                else:
                    entry.status, entry.version, entry.schema_id = "registered", done.version, done.id
        if unit.kind == "reference":
            versions[unit.subject] = entry.version if entry.status in ("unchanged", "registered") else None
        out.append(entry)
    return out


def _lookup(client: Client, subject: str, text: str, references: list[Reference]):  # noqa: ANN202
    try:
        return client.lookup(subject, text, references=references)
    except (SubjectNotFound, SchemaNotFound, NotFound):
        return None


def _level(client: Client, entry: Registration, dry_run: bool) -> None:
    """Give the subject its declared level (idempotent: set only when it differs)."""
    try:
        entry.previous_level = client.get_config(entry.subject).compatibility
    except NotFound:
        entry.previous_level = None
    if (entry.previous_level or "").upper() == entry.level:
        return
    if dry_run:
        entry.level_status = "would set"
        return
    client.set_config(entry.level, subject=entry.subject)
    entry.level_status = "set"
