"""Replay's second pass: check every schema the records use against the target registry, then
register them (references first, their versions rewritten to the target's) and give each schema
slot the Confluent prefix of the target's id (framed by govern.serde, the one place that does)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from govern.recording.format import SchemaEntry, _full_name
from govern.recording.schemas import FixtureSchemas
from govern.recording.validate import Plan
from govern.registry import Client, IncompatibleSchema, NotFound, Reference
from govern.serde import frame

__all__ = ["Registration", "register", "subject_for"]


@dataclass
class Registration:
    """One schema registered in the target: the header entry, the subject used, the target's id."""

    source: str
    entry: str
    subject: str
    version: int | None = None
    id: int | None = None
    original_id: int | None = None


def subject_for(entry: SchemaEntry, source_topic: str, target: str, kind: str) -> str:
    """The target subject: the entry's own, renamed when the topic changes and its strategy names
    subjects after the topic (`govern.catalog.subject_name`, the one computation of subjects)."""
    from govern.catalog.model import strategy_of, subject_name

    if entry.subject is None:
        return subject_name("topic", target, kind)
    record = _full_name(entry.schema) if isinstance(entry.schema, dict) else None
    strategy = strategy_of(entry.subject, source_topic, kind, record)
    if strategy is None or target == source_topic:
        return entry.subject
    return subject_name(strategy, target, kind, record)


Step = tuple[int, SchemaEntry, str, FixtureSchemas]  # (source, entry, subject, its header's schemas)


def _steps(plan: Plan, target: Callable[[str], str]) -> tuple[list[Step], list[list[tuple[int, str, str]]]]:
    """Every schema to register, dependencies first, each once; and per source, per slot, its key."""
    steps: list[Step] = []
    seen: set[tuple[int, str, str]] = set()
    keys: list[list[tuple[int, str, str]]] = []
    for index, slots in enumerate(plan.slots):
        schemas = plan.schemas[index]
        keys.append([])
        for topic, entry, kind in slots:
            source_topic = plan.topics[index][topic]
            subject = subject_for(entry, source_topic, target(source_topic), kind)
            for dep in schemas.dependencies(entry):
                key = (index, dep.name, dep.subject or dep.name)
                if key not in seen:
                    seen.add(key)
                    steps.append((index, dep, dep.subject or dep.name, schemas))
            key = (index, entry.name, subject)
            if key not in seen:
                seen.add(key)
                steps.append((index, entry, subject, schemas))
            keys[-1].append(key)
    return steps, keys


def register(
    client: Client, plan: Plan, target: Callable[[str], str], dry_run: bool, registrations: list[Registration]
) -> list[list[bytes]]:
    """Check every schema first, then register (unless `dry_run`); per source, per slot, the prefix."""
    steps, keys = _steps(plan, target)
    labels = [source.label for source in plan.sources]
    # Check them all before registering any, so an incompatible schema registers nothing. A schema
    # whose references are not in the target yet cannot be checked before they are registered:
    # the registration below then catches it (having registered only the referenced types).
    known: dict[tuple[int, str, str], int] = {}
    for index, entry, subject, schemas in steps:
        refs = [schemas.resolve(r, entry) for r in entry.references]
        if any((index, r.name, r.subject or r.name) not in known for r in refs):
            continue
        references = _target_refs(entry, schemas, known, index)
        _check(client, labels[index], entry, subject, references)
        try:
            known[(index, entry.name, subject)] = int(
                client.lookup(subject, entry.text, references=references).version or 0
            )
        except NotFound:
            pass
    if dry_run:
        return []
    versions: dict[tuple[int, str, str], int] = {}
    prefixes: dict[tuple[int, str, str], bytes] = {}
    for index, entry, subject, schemas in steps:
        references = _target_refs(entry, schemas, versions, index)
        try:
            registered = client.register(subject, entry.text, references=references)
        except IncompatibleSchema as error:
            raise _incompatible(labels[index], entry, subject, error.message) from None
        version = registered.version
        if version is None:
            version = client.lookup(subject, entry.text, references=references).version
        versions[(index, entry.name, subject)] = int(version or 0)
        prefixes[(index, entry.name, subject)] = frame(registered.id, b"")
        registrations.append(
            Registration(labels[index], entry.name, subject, version, registered.id, entry.id)
        )
    return [[prefixes[key] for key in source_keys] for source_keys in keys]


def _target_refs(
    entry: SchemaEntry, schemas: FixtureSchemas, versions: dict[tuple[int, str, str], int], index: int
) -> list[Reference]:
    """The entry's references with the versions the target registry gave the referenced schemas."""
    refs = []
    for ref in entry.references:
        target = schemas.resolve(ref, entry)
        subject = target.subject or target.name
        refs.append(Reference(ref.name, subject, versions.get((index, target.name, subject), 1)))
    return refs


def _check(client: Client, label: str, entry: SchemaEntry, subject: str, references: list[Reference]) -> None:
    try:
        result = client.test_compatibility(subject, entry.text, references=references, verbose=True)
    except NotFound:  # no such subject (or no version yet): nothing to be incompatible with
        return
    if not result.is_compatible:
        raise _incompatible(label, entry, subject, "; ".join(result.messages[:3]) or "incompatible")


def _incompatible(label: str, entry: SchemaEntry, subject: str, reason: str) -> IncompatibleSchema:
    return IncompatibleSchema(
        f"{label}: schema {entry.name!r} is incompatible with subject {subject!r} in the target registry: "
        f"{reason}",
        hint="replay into a fresh subject/topic (--topic), or change the subject's compatibility level",
    )
