"""Registry-as-code: make a registry hold exactly what contracts/ declares (`govern register`).

Safe to point at production:

- **All or nothing.** `plan_registration` only reads: for every subject it looks the schema up
  (`normalize=true`, so formatting and attribute order never make a new version), checks it
  against the registry's versions at the declared level and against the accepted-breaks ledger,
  and lists the writes it needs. `apply_plan` runs only a plan without an incompatible subject,
  so one incompatible subject means nothing is written at all. `--dry-run` prints the plan, and
  the apply executes exactly that plan.
- **The form the registry holds is kept** (`references`): `auto` keeps a subject that holds
  self-contained (inlined) schemas inlined and registers new subjects with Confluent schema
  references for shared types; `always` / `never` force one form. With references, a named type
  a schema uses from elsewhere (another file, or a sibling in a multi-type file) is registered
  once under a subject of its own (its full name, or the one topics.yaml's `reference_subjects`
  names), before the subjects that use it, with the union of the levels of the topics using it;
  a multi-event topic under the topic strategy registers the union of its event types that way.
  Subjects are named by each topic's strategy.
- **Accepted breaks reach the registry.** A finding covered by an unexpired entry of the
  accepted-breaks ledger (in the contracts folder) lets that one version through: the subject's
  level is set to NONE for the single write and restored right after (also when the write fails).
- Before writing, each subject's latest version is read again: a registry that changed since
  the plan was made stops the apply (exit 1), rather than writing over someone else's change.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from govern.avro import AvroSchema
from govern.catalog import Catalog, SchemaRef, combined_level
from govern.check.accepted import LEDGER
from govern.check.data_contracts import DataContract
from govern.check.from_registry import RegistryHistory
from govern.check.model import Acceptance, Finding
from govern.check.subjects import (
    Lines,
    Subject,
    event_type_causes,
    relative_display,
)
from govern.compat import Level, check_level
from govern.errors import ExitCode, GovernError
from govern.registry import Client, IncompatibleSchema, Reference, SchemaNotFound, SubjectNotFound
from govern.registry.errors import NotFound

REFERENCE_MODES = ("auto", "always", "never")


class RegistryChanged(GovernError):
    """The registry moved between planning and writing: nothing more is written (exit 1)."""

    exit_code = ExitCode.FINDINGS


@dataclass
class Registration:
    """What `govern register` plans (and then does) for one subject; the plan's JSON is this."""

    subject: str
    kind: str  #: "topic" or "reference" (a shared type's own subject)
    file: str
    level: str
    #: "unchanged", "new version" (planned), "registered" (written), "incompatible"
    status: str = ""
    form: str = "references"  #: "references" or "inlined" (self-contained)
    version: int | None = None
    schema_id: int | None = None
    latest: int | None = None  #: the registry's latest version when planned (None: a new subject)
    level_status: str = "unchanged"  #: "unchanged", "would set" (planned) or "set"
    previous_level: str | None = None
    schema: str = ""  #: the schema text to register
    references: list[Reference] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    accepted: list[Acceptance] = field(default_factory=list)  #: ledger entries that let a break through
    #: the data contract (contracts/data-contracts/<topic>.yaml) it is registered with
    contract: DataContract = field(default_factory=DataContract)

    @property
    def writes(self) -> bool:
        return self.status == "registered" or self.level_status == "set"

    @property
    def planned(self) -> bool:
        """Whether applying the plan writes anything for this subject."""
        return self.status == "new version" or self.level_status == "would set"

    @property
    def blocked(self) -> bool:
        return self.status == "incompatible"


@dataclass(frozen=True)
class _Unit:
    subject: str
    kind: str
    ref: SchemaRef
    level: str


def plan_units(catalog: Catalog, subjects: Sequence[Subject]) -> list[_Unit]:
    """Referenced types first (each after what it references), then the topic subjects.

    A type that is both referenced and a subject of its own (a record strategy names the
    subject after the type) is one unit, registered once, before the subjects that use it.
    """
    users: dict[str, list[str]] = {}
    order: list[SchemaRef] = []
    for subject in subjects:
        for dep in catalog.dependencies(subject.schema):
            if dep.name not in users:
                users[dep.name] = []
                order.append(dep)
            users[dep.name].append(subject.level)
    units = {}
    for dep in order:
        subject = catalog.reference_subject(dep.name)
        units[subject] = _Unit(subject, "reference", dep, combined_level(users[dep.name]))
    for s in subjects:
        known = units.get(s.name)
        level = s.level if known is None else combined_level([known.level, s.level])
        units[s.name] = _Unit(s.name, "topic", s.schema, level)
    return list(units.values())


def plan_registration(
    catalog: Catalog,
    client: Client,
    subjects: Sequence[Subject],
    *,
    references: str = "auto",
    ledger: Sequence[Acceptance] = (),
    today: dt.date | None = None,
    data_contracts: Mapping[str, DataContract] | None = None,
) -> list[Registration]:
    """What registering `subjects` needs, read from the registry without writing anything."""
    if references not in REFERENCE_MODES:
        raise ValueError(f"references must be one of {REFERENCE_MODES}, not {references!r}")
    today = today or dt.date.today()
    history = RegistryHistory(client)
    lines = Lines(relative_display(catalog.root), compiled=catalog.sources.compiled)
    live = [entry for entry in ledger if not entry.expired(today)]
    planned: dict[str, Registration] = {}  # referenced type -> its plan
    out: list[Registration] = []
    units = plan_units(catalog, subjects)
    forms = {u.subject: _form(client, u, references) for u in units if u.kind == "topic"}
    # A shared type needs its own subject only where some subject using it registers with references.
    needed = {
        dep.name
        for unit in units
        if unit.kind == "topic" and forms[unit.subject] == "references"
        for dep in catalog.dependencies(unit.ref)
    }
    for unit in units:
        if unit.kind == "reference" and unit.ref.name not in needed:
            continue
        form = forms.get(unit.subject, "references")
        entry = Registration(unit.subject, unit.kind, unit.ref.where, unit.level, form=form)
        entry.contract = (data_contracts or {}).get(unit.subject, DataContract())
        _plan_level(client, entry)
        new = catalog.parse(unit.ref)
        # a reference to a version not registered yet cannot be looked up: the user is new too
        pending = False
        if form == "inlined":
            entry.schema = json.dumps(unit.ref.expanded, separators=(",", ":"))
        else:
            entry.schema = json.dumps(unit.ref.schema, separators=(",", ":"))
            uses = {name: planned[name] for name in unit.ref.references}
            entry.references = [Reference(name, u.subject, u.version or 0) for name, u in uses.items()]
            pending = any(u.status != "unchanged" for u in uses.values())
        past = history.versions(unit.subject)
        entry.latest = past[-1][0] if past else None
        found = None if pending else _lookup(client, entry)
        if found is not None:
            entry.status, entry.version, entry.schema_id = "unchanged", found.version, found.id
        else:
            _judge(entry, unit, new, past, lines, live)
        if unit.kind == "reference" or unit.subject == unit.ref.name:  # others may reference it
            planned[unit.ref.name] = entry
        out.append(entry)
    return out


def _judge(
    entry: Registration,
    unit: _Unit,
    new: AvroSchema,
    past: list[tuple[int, AvroSchema]],
    lines: Lines,
    ledger: Sequence[Acceptance],
) -> None:
    """Check a new version against the registry's at the subject's level; accept ledgered breaks."""
    result = check_level(unit.level, new, [s for _, s in past], versions=[n for n, _ in past])
    entry.findings = [
        lines.finding(f, f"registry {unit.subject} v{f.version}")
        for f in event_type_causes(result, new)
    ]
    for finding in entry.findings:
        for acceptance in ledger:
            if (acceptance.subject, acceptance.rule, acceptance.location) == (
                unit.subject,
                finding.rule,
                finding.location,
            ):
                finding.accepted = acceptance
                if acceptance not in entry.accepted:
                    entry.accepted.append(acceptance)
    if any(f.accepted is None for f in entry.findings):
        entry.status = "incompatible"
    else:
        entry.status = "new version"
        entry.version = (past[-1][0] + 1) if past else 1


def apply_plan(client: Client, plan: Sequence[Registration]) -> None:
    """Execute a plan made by `plan_registration`; refuses one with an incompatible subject.

    Levels first, then each schema in plan order (shared types before their users, whose
    references take the versions the registry actually gave). A break the ledger accepts is
    written under level NONE for that one write, and the subject's level is restored after it.
    """
    if any(entry.blocked for entry in plan):
        raise ValueError("a plan with an incompatible subject is never applied")
    written: dict[str, int] = {}
    for entry in plan:
        if entry.level_status == "would set":
            client.set_config(entry.level, subject=entry.subject)
            entry.level_status = "set"
        if entry.status != "new version":
            continue
        _still_at(client, entry)
        entry.references = [
            Reference(r.name, r.subject, written.get(r.subject, r.version)) for r in entry.references
        ]
        if entry.accepted:
            client.set_config(Level.NONE.value, subject=entry.subject)
            try:
                done = _register(client, entry)
            finally:
                client.set_config(entry.level, subject=entry.subject)
        else:
            done = _register(client, entry)
        entry.status, entry.version, entry.schema_id = "registered", done.version, done.id
        written[entry.subject] = done.version


def register_all(
    catalog: Catalog,
    client: Client,
    subjects: Sequence[Subject],
    *,
    dry_run: bool,
    references: str = "auto",
    ledger: Sequence[Acceptance] = (),
    today: dt.date | None = None,
    data_contracts: Mapping[str, DataContract] | None = None,
) -> list[Registration]:
    """Plan, and unless `dry_run` or a subject is incompatible, apply; see the module doc."""
    plan = plan_registration(
        catalog,
        client,
        subjects,
        references=references,
        ledger=ledger,
        today=today,
        data_contracts=data_contracts,
    )
    if not dry_run and not any(entry.blocked for entry in plan):
        apply_plan(client, plan)
    return plan


def _form(client: Client, unit: _Unit, references: str) -> str:
    """How `unit`'s schema is registered: "references" or "inlined" (see `REFERENCE_MODES`)."""
    if references == "always" or (references == "auto" and not unit.ref.references):
        return "references"
    if references == "never":
        return "inlined"
    try:
        latest = client.get_latest(unit.subject)
    except (SubjectNotFound, NotFound):
        return "references"  # a new subject: Confluent's recommended form
    return "references" if latest.references else "inlined"


def _plan_level(client: Client, entry: Registration) -> None:
    """Plan the subject's declared level, set only when its effective level (its own, else the
    global one) differs: a registry whose subjects follow the global level is left as it is."""
    try:
        entry.previous_level = client.get_config(entry.subject, default_to_global=True).compatibility
    except NotFound:
        entry.previous_level = None
    if (entry.previous_level or "").upper() != entry.level:
        entry.level_status = "would set"


def _lookup(client: Client, entry: Registration) -> Any:
    """The version holding this schema (and its data contract, when one is declared), or None."""
    try:
        return client.lookup(entry.subject, entry.schema, **_as_sent(entry))
    except (SubjectNotFound, SchemaNotFound, NotFound):
        return None


def _as_sent(entry: Registration) -> dict[str, Any]:
    """How a subject's schema goes to the registry: its references, normalized, with its contract."""
    contract = entry.contract
    return {
        "references": entry.references,
        "normalize": True,
        "metadata": contract.metadata,
        "rule_set": contract.rule_set,
    }


def _still_at(client: Client, entry: Registration) -> None:
    """Stop when the subject's latest version is no longer the one the plan was made against."""
    try:
        latest: int | None = client.get_latest(entry.subject).version
    except (SubjectNotFound, NotFound):
        latest = None
    if latest != entry.latest:
        raise RegistryChanged(
            f"subject {entry.subject!r} changed in the registry since the plan was made "
            f"(latest version {latest}, planned against {entry.latest})",
            hint="run govern register again: it plans against what the registry holds now",
        )


def _register(client: Client, entry: Registration) -> Any:
    try:
        return client.register(entry.subject, entry.schema, **_as_sent(entry))
    except IncompatibleSchema as error:
        # Our engine said compatible; the registry disagrees (another level, another engine).
        raise RegistryChanged(
            f"the registry refused {entry.subject!r}: {error.message}",
            hint=f"compare the subject's level in the registry with contracts/ ({entry.level}); "
            f"an intended break goes into {LEDGER}",
        ) from None
