"""The catalog model: topics, their subjects and schemas, and the services around them.

Plain frozen dataclasses built by `govern.catalog.load_catalog`, and `subject_name`, the one
computation of subject names (Confluent's strategies) every command uses; nothing here does I/O.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

from govern.compat.levels import Level

#: The compatibility levels a topic may declare (Confluent Schema Registry's names).
COMPATIBILITY_LEVELS: tuple[str, ...] = tuple(level.value for level in Level)

#: The Kafka `cleanup.policy` values a topic may declare.
CLEANUP_POLICIES: tuple[str, ...] = ("delete", "compact", "compact,delete")


#: Confluent's subject name strategies, by the names contracts use (`subject_strategy:`).
SUBJECT_STRATEGIES: tuple[str, ...] = ("topic", "record", "topic_record")


def subject_name(strategy: str, topic: str, kind: str, record: str | None = None) -> str:
    """The subject Confluent's serializers use: the one computation every command shares.

    `topic` (TopicNameStrategy): `<topic>-<kind>`; `record` (RecordNameStrategy): the full name of
    the named type; `topic_record` (TopicRecordNameStrategy): `<topic>-<full name>`. `kind` is
    "value" or "key". ValueError when a record strategy is given no named type.
    """
    if strategy == "topic":
        return f"{topic}-{kind}"
    if strategy not in SUBJECT_STRATEGIES:
        raise ValueError(f"unknown subject name strategy {strategy!r}")
    if not record:
        raise ValueError(f"the {strategy} strategy names a subject after a named type (record, enum, fixed)")
    return record if strategy == "record" else f"{topic}-{record}"


def strategy_of(subject: str, topic: str, kind: str, record: str | None) -> str | None:
    """Which strategy names `subject` for this topic, kind and record name (None: none does)."""
    for strategy in SUBJECT_STRATEGIES:
        if (strategy == "topic" or record) and subject == subject_name(strategy, topic, kind, record):
            return strategy
    return None


def combined_level(levels: Sequence[str]) -> str:
    """The weakest level at least as strict as each of `levels` (for a subject several topics share)."""
    parsed = [Level.parse(x) for x in levels]
    backward = any(x.backward for x in parsed)
    forward = any(x.forward for x in parsed)
    transitive = any(x.transitive for x in parsed)
    if not (backward or forward):
        return Level.NONE.value
    name = "FULL" if backward and forward else ("BACKWARD" if backward else "FORWARD")
    return f"{name}_TRANSITIVE" if transitive else name


@dataclass(frozen=True)
class SchemaRef:
    """One schema a contract names: a named type, a file's main schema, a primitive, or a union of
    event types (a topic carrying several).

    `schema` is the JSON to register, as written: types defined elsewhere are named by full name
    (listed in `references`, first-use order). `expanded` is the same made self-contained, each
    referenced type inlined at its first use.
    """

    name: str  #: full name of a named type, else the type (`long`, `union`, `array`, ...)
    file: Path | None  #: the file holding it (None: a primitive, or a union of named types)
    schema: Any = field(compare=False, repr=False)
    #: makes `expanded` when first asked (most checks compare files, not documents)
    expand: Callable[[], Any] = field(compare=False, repr=False, default=lambda: None)
    references: tuple[str, ...] = ()
    types: tuple[str, ...] = ()  #: a union of event types: their full names
    pointer: str = ""  #: where in `file` its definition starts ("": the whole document)
    named: bool = False  #: a record, enum or fixed: what a record strategy names a subject after

    @cached_property
    def expanded(self) -> Any:
        """The schema made self-contained, each referenced type inlined at its first use."""
        return self.expand()

    @property
    def where(self) -> str:
        """The file (or the type names) for humans: `schemas/orders.avsc`, `long`."""
        if self.file is not None:
            return self.file.as_posix()
        return " | ".join(self.types) if self.types else self.name


@dataclass(frozen=True)
class Topic:
    """A Kafka topic: its key, value schema, settings, and who produces and consumes it."""

    name: str
    key: str  #: what the key holds, e.g. "account id"
    value_schema: SchemaRef
    partitions: int
    cleanup_policy: str  #: one of CLEANUP_POLICIES
    compatibility: str  #: one of COMPATIBILITY_LEVELS
    internal: bool = False  #: state of one service (e.g. a changelog), not a public contract
    description: str = ""
    key_schema: SchemaRef | None = None  #: Avro key schema; None means UTF-8 string keys
    producers: tuple[str, ...] = ()  #: service names, sorted
    consumers: tuple[str, ...] = ()  #: service names, sorted
    subject_strategy: str = "topic"  #: of the value (one of SUBJECT_STRATEGIES)
    key_subject_strategy: str = "topic"
    #: the event types of the value (one, or several for a multi-event topic), by SchemaRef
    value_types: tuple[SchemaRef, ...] = ()
    key_types: tuple[SchemaRef, ...] = ()

    @property
    def value_subject(self) -> str:
        """Registry subject of the value schema (the first, for a record strategy with several types)."""
        return self.subjects("value")[0]

    @property
    def key_subject(self) -> str:
        """Registry subject of the key schema."""
        return (
            self.subjects("key")[0]
            if self.key_schema is not None
            else subject_name("topic", self.name, "key")
        )

    def subjects(self, kind: str = "value") -> list[str]:
        """The subjects of the value (or key): one under `topic`, one per event type otherwise."""
        strategy = self.subject_strategy if kind == "value" else self.key_subject_strategy
        ref = self.value_schema if kind == "value" else self.key_schema
        if ref is None:
            return []
        if strategy == "topic":
            return [subject_name("topic", self.name, kind)]
        types = self.value_types if kind == "value" else self.key_types
        return [subject_name(strategy, self.name, kind, t.name) for t in types]


@dataclass(frozen=True)
class Subject:
    """A registry subject as contracts/ declares it: name, schema, level, and the topics using it."""

    name: str
    topic: Topic  #: the first topic using it (in topics.yaml order)
    kind: str  #: "value" or "key"
    schema: SchemaRef
    level: str = ""  #: the topic's level; for a subject several topics share, the strictest combination
    topics: tuple[str, ...] = ()

    @property
    def whole_value(self) -> bool:
        """Whether the subject's schema is all its topic's value holds (what consumers' pins read)."""
        return self.kind == "value" and self.schema == self.topic.value_schema


@dataclass(frozen=True)
class Service:
    """A service and the topics it writes and reads."""

    name: str
    file: Path  #: its contract, relative to the project root, e.g. contracts/wallet.yaml
    produces: tuple[str, ...] = ()  #: topic names, in contract order
    consumes: tuple[str, ...] = ()  #: topic names, in contract order
    description: str = ""
    #: topic name -> the reader schema this consumer pins for it (only where declared)
    reader_schemas: Mapping[str, SchemaRef] = field(default_factory=dict, compare=False)


@dataclass(frozen=True)
class Catalog:
    """Everything `contracts/` and `schemas/` declare, cross-checked."""

    root: Path
    topics: tuple[Topic, ...]  #: in topics.yaml order
    services: tuple[Service, ...]  #: sorted by name
    schemas: Mapping[str, SchemaRef] = field(compare=False)  #: every named type, by full name
    subjects: tuple[Subject, ...] = ()  #: every subject, topics.yaml order (value before key)
    sources: Any = field(default=None, compare=False, repr=False)  #: the SchemaIndex (parses)
    contracts_dir: str = "contracts"  #: relative to root (govern.toml's contracts_dir)
    #: shared type -> the subject it is registered under as a reference, where not its full name
    reference_subjects: Mapping[str, str] = field(default_factory=dict, compare=False)

    def parse(self, ref: SchemaRef) -> Any:
        """`ref` parsed by `govern.avro` (an AvroSchema) with positions in its files."""
        from govern.catalog.resolve import parse_ref

        return parse_ref(self.sources, ref)

    def reference_subject(self, name: str) -> str:
        """The subject shared type `name` is registered under when others reference it: its full
        name, unless topics.yaml's `reference_subjects` names the one a registry already uses."""
        return self.reference_subjects.get(name, name)

    def subject(self, name: str) -> Subject:
        """The subject called `name`; KeyError if there is none."""
        for subject in self.subjects:
            if subject.name == name:
                return subject
        raise KeyError(name)

    def topic(self, name: str) -> Topic:
        """The topic called `name`; KeyError if there is none."""
        for topic in self.topics:
            if topic.name == name:
                return topic
        raise KeyError(name)

    def service(self, name: str) -> Service:
        """The service called `name`; KeyError if there is none."""
        for service in self.services:
            if service.name == name:
                return service
        raise KeyError(name)

    def dependencies(self, ref: SchemaRef) -> list[SchemaRef]:
        """The schemas `ref` references, transitively, each after the ones it needs.

        The order to register them in (Confluent schema references) or to parse them.
        """
        order: list[SchemaRef] = []
        seen: set[str] = set()

        def visit(name: str) -> None:
            if name in seen:
                return
            seen.add(name)
            dep = self.schemas[name]
            for inner in dep.references:
                visit(inner)
            order.append(dep)

        for name in ref.references:
            visit(name)
        return order
