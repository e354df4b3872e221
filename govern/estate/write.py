"""An estate as govern's catalog: schemas/ and contracts/ files, written all at once or not at all.

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

import json
import os
import re
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from govern.errors import InputError
from govern.estate.survey import Estate, subjects_with_ids

PLACEHOLDER_SERVICE = "unassigned"
_PRIMITIVES = ("null", "boolean", "int", "long", "float", "double", "bytes", "string")
_PLAIN = re.compile(r"^[A-Za-z0-9_./-]+$")


@dataclass
class _Topic:
    name: str
    value: list[str] = field(default_factory=list)  #: subjects of the value
    key: list[str] = field(default_factory=list)
    value_strategy: str = "topic"
    key_strategy: str = "topic"


@dataclass
class ImportPlan:
    """The files an import writes (path relative to the project root -> text) and what it noticed."""

    files: dict[str, str]
    topics: list[str]
    notes: list[str]


def plan_files(
    estate: Estate, *, schemas_dir: str = "schemas", contracts_dir: str = "contracts"
) -> ImportPlan:
    """The catalog files for `estate`; InputError when it cannot be described without renaming."""
    notes: list[str] = []
    files: dict[str, str] = {}
    owner: dict[str, str] = {}  # schema file -> the subject that wrote it
    where: dict[str, str] = {}  # subject -> how contracts name its schema (path, type name, primitive)
    for name, subject in sorted(estate.subjects.items()):
        primitive = _primitive(subject.schema)
        if primitive is not None:
            where[name] = primitive
            continue
        full = subject.full_name
        path = f"{schemas_dir}/{full or name}.avsc"
        text = json.dumps(subject.schema, indent=2, ensure_ascii=False) + "\n"
        if path in files and files[path] != text:
            raise InputError(
                f"subjects {owner[path]!r} and {name!r} both define {full or name} differently",
                hint="govern knows each named type once; import the subjects apart (--subjects REGEX) "
                "or align the two versions in the registry",
            )
        files[path], owner[path] = text, owner.get(path, name)
        where[name] = path
    topics = _topics(estate, notes)
    files[f"{contracts_dir}/topics.yaml"] = _topics_yaml(estate, topics, where, notes)
    if topics:
        files[f"{contracts_dir}/{PLACEHOLDER_SERVICE}.yaml"] = _placeholder_yaml(estate, topics)
    return ImportPlan(files, [t.name for t in topics], notes)


def _primitive(schema: Any) -> str | None:
    """The primitive a schema is (`"long"`, `{"type": "long"}`), else None (it needs a file)."""
    if isinstance(schema, str) and schema in _PRIMITIVES:
        return schema
    if isinstance(schema, dict) and set(schema) == {"type"} and schema["type"] in _PRIMITIVES:
        return str(schema["type"])
    return None


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
        else:
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
    from govern.catalog.model import combined_level

    level = combined_level(sorted(levels))
    return None if level == estate.global_level else level


def _yaml(value: Any) -> str:
    if isinstance(value, list):
        return "[" + ", ".join(_yaml(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {_yaml(v)}" for k, v in value.items()) + "}"
    text = str(value)
    return (
        text
        if _PLAIN.fullmatch(text) and text not in ("true", "false", "null", "yes", "no")
        else json.dumps(text)
    )


def _topics_yaml(estate: Estate, topics: list[_Topic], where: dict[str, str], notes: list[str]) -> str:
    lines = [
        f"# Written by `govern import` from the schema registry at {estate.registry}"
        + (" and its Kafka cluster." if estate.topics is not None else "."),
        "# Each topic's `key:` says what its key holds: describe it. See contracts/README.md.",
        "version: 1",
        "defaults:",
        f"  compatibility: {estate.global_level}  # the registry's global level",
        "topics:" if topics else "topics: {}",
    ]
    for entry in topics:
        kafka = (estate.topics or {}).get(entry.name)
        lines.append(f"  {_yaml(entry.name)}:")
        key_text = f"Avro key ({', '.join(entry.key)})" if entry.key else "unknown (imported)"
        lines.append(f"    key: {_yaml(key_text)}")
        lines.append(
            f"    value_schema: {_yaml(_schema_value(estate, entry.value, entry.value_strategy, where))}"
        )
        if entry.key:
            lines.append(
                f"    key_schema: {_yaml(_schema_value(estate, entry.key, entry.key_strategy, where))}"
            )
        if (entry.value_strategy, entry.key_strategy) != ("topic", "topic"):
            strategy: Any = (
                entry.value_strategy
                if entry.value_strategy == entry.key_strategy or not entry.key
                else {"value": entry.value_strategy, "key": entry.key_strategy}
            )
            lines.append(f"    subject_strategy: {_yaml(strategy)}")
        level = _level(estate, entry, notes)
        if level:
            lines.append(f"    compatibility: {level}")
        if kafka is not None:
            lines.append(f"    partitions: {kafka.partitions}")
            if kafka.cleanup_policy != "delete":
                lines.append(f"    cleanup_policy: {_yaml(kafka.cleanup_policy)}")
    return "\n".join(lines) + "\n"


def _placeholder_yaml(estate: Estate, topics: list[_Topic]) -> str:
    lines = [
        "# Written by `govern import`. Kafka does not record who produces a topic, so every imported",
        "# topic is listed under this placeholder service: move each one to the contract of the",
        "# service that writes it (contracts/<service>.yaml), then delete this file.",
        f"service: {PLACEHOLDER_SERVICE}",
        "description: Producers not known yet (imported from an existing registry).",
        "produces:",
    ]
    for entry in topics:
        kafka = (estate.topics or {}).get(entry.name)
        readers = ""
        if kafka is not None:
            readers = (
                f"  # read by consumer groups: {', '.join(kafka.groups)}" if kafka.groups else "  # no reader"
            )
        lines.append(f"  - topic: {_yaml(entry.name)}{readers}")
    return "\n".join(lines) + "\n"


def write_files(root: Path, plan: ImportPlan, *, force: bool, validate: Any = None) -> None:
    """Write `plan` under `root`: all files or none.

    Existing files are refused unless `force`. The files are first written to a folder beside
    them and `validate(folder)` (loading them as a catalog) must pass; only then are they moved
    into place, one rename each.
    """
    root = Path(root)
    existing = sorted(p for p in plan.files if (root / p).exists())
    if existing and not force:
        raise InputError(
            f"{existing[0]} exists" + (f" (and {len(existing) - 1} more)" if len(existing) > 1 else ""),
            hint="import into an empty folder (--root DIR), or pass --force to overwrite these files",
        )
    root.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".govern-import-", dir=root))
    try:
        for rel, text in plan.files.items():
            target = staging / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text, encoding="utf-8")
        if validate is not None:
            validate(staging)
        for rel in plan.files:
            (root / rel).parent.mkdir(parents=True, exist_ok=True)
            os.replace(staging / rel, root / rel)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
