"""The catalog model: topics, the schemas their values use, and the services around them.

Plain frozen dataclasses built by `govern.catalog.load_catalog`; nothing here does I/O.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from govern.compat.levels import Level

#: The compatibility levels a topic may declare (Confluent Schema Registry's names).
COMPATIBILITY_LEVELS: tuple[str, ...] = tuple(level.value for level in Level)

#: The Kafka `cleanup.policy` values a topic may declare.
CLEANUP_POLICIES: tuple[str, ...] = ("delete", "compact", "compact,delete")


@dataclass(frozen=True)
class SchemaRef:
    """One Avro schema file and what it parses to.

    `schema` is the JSON exactly as written; it may name types defined in other files of
    `schemas/` (listed in `references`, full names in first-use order). `expanded` is the same
    schema made self-contained, each referenced type inlined at its first use: what to register
    under a subject when references are not used, and what fastavro parses.
    """

    name: str  #: full name, e.g. "io.govern.exchange.Account"
    file: Path  #: path relative to the project root, e.g. schemas/io.govern.exchange.Account.avsc
    schema: Mapping[str, Any] = field(compare=False, repr=False)
    expanded: Mapping[str, Any] = field(compare=False, repr=False)
    references: tuple[str, ...] = ()


@dataclass(frozen=True)
class Topic:
    """A Kafka topic: its key, value schema, settings, and who produces and consumes it."""

    name: str
    key: str  #: what the (UTF-8 string) key holds, e.g. "account id"
    value_schema: SchemaRef
    partitions: int
    cleanup_policy: str  #: one of CLEANUP_POLICIES
    compatibility: str  #: one of COMPATIBILITY_LEVELS
    internal: bool = False  #: state of one service (e.g. a changelog), not a public contract
    description: str = ""
    key_schema: SchemaRef | None = None  #: Avro key schema; None means UTF-8 string keys
    producers: tuple[str, ...] = ()  #: service names, sorted
    consumers: tuple[str, ...] = ()  #: service names, sorted

    @property
    def value_subject(self) -> str:
        """Registry subject of the value schema (TopicNameStrategy)."""
        return f"{self.name}-value"

    @property
    def key_subject(self) -> str:
        """Registry subject of the key schema (TopicNameStrategy)."""
        return f"{self.name}-key"


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
    schemas: Mapping[str, SchemaRef] = field(compare=False)  #: every schema file, by full name

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
