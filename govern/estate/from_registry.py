"""A registry (and cluster) as govern's catalog: which topics its subjects describe, and the files.

Every subject's latest version becomes a schema file (a named type as `<full name>.avsc`,
anything else as `<subject>.avsc`; primitives need none). Subjects are read back into topics by
the strategy their names follow, as Confluent's serializers compute them:

- `<topic>-value` / `<topic>-key`: TopicNameStrategy;
- `<topic>-<full name>` of the subject's own type: TopicRecordNameStrategy (several per topic:
  a topic carrying several event types);
- `<full name>` of the subject's own type: RecordNameStrategy (or a shared type other subjects
  reference). Its topic cannot be read from its name: with a cluster, the schema ids in each
  topic's newest records tell; without one it is left out of the topics, with a note.

Kafka does not record who produces a topic, so every topic is put under one placeholder service
(`contracts/unassigned.yaml`) that says so, with the consumer groups reading it as comments. The
output is deterministic: the same estate always gives the same files, byte for byte.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from govern.catalog.model import combined_level
from govern.estate.plan import (
    PLACEHOLDER_SERVICE,
    UNKNOWN_KEY,
    ImportPlan,
    SchemaFiles,
    ServiceEntry,
    TopicEntry,
    primitive_name,
    render,
)
from govern.estate.survey import Estate, subjects_with_ids


@dataclass
class _Topic:
    name: str
    value: list[str] = field(default_factory=list)  #: subjects of the value
    key: list[str] = field(default_factory=list)
    value_strategy: str = "topic"
    key_strategy: str = "topic"


def plan_files(
    estate: Estate, *, schemas_dir: str = "schemas", contracts_dir: str = "contracts"
) -> ImportPlan:
    """The catalog files for `estate`; InputError when it cannot be described without renaming."""
    notes: list[str] = []
    schemas = SchemaFiles()
    where: dict[str, str] = {}  # subject -> how contracts name its schema (path or primitive)
    for name, subject in sorted(estate.subjects.items()):
        primitive = primitive_name(subject.schema)
        if primitive is not None:
            where[name] = primitive
        else:
            path = f"{schemas_dir}/{subject.full_name or name}.avsc"
            where[name] = schemas.add(path, subject.schema, f"subject {name!r}")
    topics = _topics(estate, notes)
    entries = [_entry(estate, topic, where, notes) for topic in topics]
    placeholder = ServiceEntry(
        PLACEHOLDER_SERVICE,
        "Producers not known yet (imported from an existing registry).",
        produces=[t.name for t in topics],
        comments=_readers(estate, topics),
        header=(
            "Written by `govern import`. Kafka does not record who produces a topic, so every imported",
            "topic is listed under this placeholder service: move each one to the contract of the",
            "service that writes it (contracts/<service>.yaml), then delete this file.",
        ),
    )
    source = f"the schema registry at {estate.registry}" + (
        " and its Kafka cluster" if estate.topics is not None else ""
    )
    contracts = render(
        entries,
        [placeholder] if topics else [],
        header=(
            f"Written by `govern import` from {source}.",
            "Each topic's `key:` says what its key holds: describe it. See contracts/README.md.",
        ),
        default_level=estate.global_level,
        contracts_dir=contracts_dir,
        reference_subjects=_reference_subjects(estate, notes),
    )
    return ImportPlan({**schemas.files, **contracts}, [t.name for t in topics], notes)


def _reference_subjects(estate: Estate, notes: list[str]) -> dict[str, str]:
    """Shared type -> the subject others reference it by, where that is not its full name (so
    that `govern register` keeps using the registry's own subject instead of making one)."""
    out: dict[str, str] = {}
    for name in sorted(estate.subjects):
        for ref in estate.subjects[name].references:
            referenced = estate.subjects.get(ref.subject)
            full = referenced.full_name if referenced is not None else None
            if full is None or ref.subject == full:
                continue
            known = out.setdefault(full, ref.subject)
            if known != ref.subject:
                notes.append(
                    f"type {full!r} is referenced under subjects {known!r} and {ref.subject!r}: "
                    f"kept {known!r} in reference_subjects"
                )
    return out


def _topics(estate: Estate, notes: list[str]) -> list[_Topic]:
    """Topics read back from subject names (and, with a cluster, from sampled schema ids)."""
    topics: dict[str, _Topic] = {}
    referenced = {ref.subject for s in estate.subjects.values() for ref in s.references}
    record_subjects: list[str] = []
    for name, subject in sorted(estate.subjects.items()):
        full = subject.full_name
        if name.endswith("-value") or name.endswith("-key"):
            topic, kind = name.rsplit("-", 1)
            getattr(topics.setdefault(topic, _Topic(topic)), kind).append(name)
        elif full and name == full:
            record_subjects.append(name)
        elif full and name.endswith("-" + full):
            topic = name[: -len(full) - 1]
            entry = topics.setdefault(topic, _Topic(topic))
            entry.value.append(name)
            entry.value_strategy = "topic_record"
        elif name not in referenced:
            notes.append(
                f"subject {name!r} follows no subject name strategy govern knows "
                "(<topic>-value, <topic>-key, <full name>, <topic>-<full name>): its schema was written, "
                "no topic declared"
            )
    attached: set[str] = set()
    for kafka in (estate.topics or {}).values():
        for kind, ids in (("value", kafka.value_ids), ("key", kafka.key_ids)):
            found = [s for s in subjects_with_ids(estate, ids) if s in record_subjects]
            if not found:
                continue
            entry = topics.setdefault(kafka.name, _Topic(kafka.name))
            if getattr(entry, kind) and getattr(entry, f"{kind}_strategy") != "record":
                notes.append(
                    f"topic {kafka.name!r} carries record-strategy {kind}s besides {getattr(entry, kind)}"
                )
                continue
            setattr(entry, f"{kind}_strategy", "record")
            getattr(entry, kind).extend(found)
            attached.update(found)
    for name in record_subjects:
        if name not in attached and name not in referenced:
            notes.append(
                f"subject {name!r} is named after its type (RecordNameStrategy) but no topic was seen "
                "carrying it"
                + ("" if estate.topics is not None else " (pass --bootstrap to sample topics)")
                + ": its schema was written, add it to a topic's value_schema"
            )
    out = []
    for name, entry in sorted(topics.items()):
        if not entry.value:
            notes.append(f"topic {name!r} has a key subject but no value subject: not declared")
            continue
        if estate.topics is not None and name not in estate.topics:
            notes.append(f"topic {name!r} has subjects in the registry but does not exist in the cluster")
        out.append(entry)
    for name in sorted(set(estate.topics or ()) - {t.name for t in out}):
        notes.append(f"topic {name!r} carries no registered schema that govern could find: not declared")
    return out


def _schema_value(estate: Estate, subjects: list[str], strategy: str, where: dict[str, str]) -> Any:
    """How topics.yaml names the schema(s) of `subjects` (a path, a primitive, or a list of types)."""
    if strategy != "topic":
        return sorted(estate.subjects[s].full_name or where[s] for s in subjects)
    [subject] = subjects
    union = estate.subjects[subject].schema
    if (
        isinstance(union, list)
        and union
        and all(isinstance(x, str) for x in union)
        and estate.subjects[subject].references
    ):
        return list(union)  # several event types on one subject: a union of referenced types
    return where[subject]


def _level(estate: Estate, entry: _Topic, notes: list[str]) -> str | None:
    """The topic's level when its subjects set one that differs from the global level."""
    levels = {estate.subjects[s].level or estate.global_level for s in entry.value + entry.key}
    if len(levels) > 1:
        notes.append(
            f"topic {entry.name!r}: its subjects have different levels {sorted(levels)}; kept the strictest"
        )
    level = combined_level(sorted(levels))
    return None if level == estate.global_level else level


def _entry(estate: Estate, topic: _Topic, where: dict[str, str], notes: list[str]) -> TopicEntry:
    kafka = (estate.topics or {}).get(topic.name)
    return TopicEntry(
        topic.name,
        _schema_value(estate, topic.value, topic.value_strategy, where),
        key=f"Avro key ({', '.join(topic.key)})" if topic.key else UNKNOWN_KEY,
        key_schema=_schema_value(estate, topic.key, topic.key_strategy, where) if topic.key else None,
        subject_strategy=(topic.value_strategy, topic.key_strategy),
        compatibility=_level(estate, topic, notes),
        partitions=kafka.partitions if kafka else None,
        cleanup_policy=kafka.cleanup_policy if kafka and kafka.cleanup_policy != "delete" else None,
    )


def _readers(estate: Estate, topics: list[_Topic]) -> dict[str, str]:
    """topic -> a comment naming the consumer groups reading it (with a cluster surveyed)."""
    out = {}
    for topic in topics:
        kafka = (estate.topics or {}).get(topic.name)
        if kafka is not None:
            groups = ", ".join(kafka.groups)
            out[topic.name] = f"read by consumer groups: {groups}" if groups else "no consumer group reads it"
    return out
