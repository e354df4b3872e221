"""Reads `<root>/contracts` and `<root>/schemas` into a cross-checked `Catalog`.

Every problem is an `InputError` (exit 2) naming file:line: unknown or misspelt keys, bad
values, unknown topics, missing or invalid schema files, topics nobody produces, duplicate
services. The shape of the YAML is documented in contracts/README.md.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any, NoReturn

from govern.catalog._schemas import SCHEMA_SUFFIX, _Resolver, load_schema_dir, load_schema_file
from govern.catalog._yaml import LocatedList, LocatedMap, load_yaml
from govern.catalog.model import CLEANUP_POLICIES, COMPATIBILITY_LEVELS, Catalog, SchemaRef, Service, Topic
from govern.errors import InputError

CONTRACTS_DIR = "contracts"
SCHEMAS_DIR = "schemas"
TOPICS_FILE = "topics.yaml"
#: contracts/ files that are not service contracts (accepted-breaks.yaml: see govern.check.accepted)
NOT_SERVICES = (TOPICS_FILE, "accepted-breaks.yaml")
FORMAT_VERSION = 1

_TOP_KEYS = ("version", "defaults", "topics")
_DEFAULT_KEYS = ("partitions", "compatibility", "cleanup_policy")
_TOPIC_KEYS = ("description", "internal", "key", "key_schema", "value_schema", *_DEFAULT_KEYS)
_SERVICE_KEYS = ("service", "description", "produces", "consumes")
_PRODUCE_KEYS = ("topic", "value_schema")
_CONSUME_KEYS = ("topic", "reader_schema")
_BUILTIN_DEFAULTS: dict[str, Any] = {"partitions": 1, "compatibility": "BACKWARD", "cleanup_policy": "delete"}
_TOPIC_NAME = re.compile(r"^[A-Za-z0-9._-]{1,249}$")


class _File:
    """One YAML file being validated: knows how to name itself in errors."""

    def __init__(self, display: str) -> None:
        self.display = display

    def fail(self, line: int, message: str, hint: str) -> NoReturn:
        raise InputError(f"{self.display}:{line}: {message}", hint=hint)

    def mapping(self, value: Any, line: int, what: str) -> LocatedMap:
        if not isinstance(value, LocatedMap):
            self.fail(line, f"{what} must be a mapping (key: value lines)", hint="see contracts/README.md")
        return value

    def sequence(self, value: Any, line: int, what: str) -> LocatedList:
        if not isinstance(value, LocatedList):
            self.fail(
                line, f"{what} must be a list (lines starting with '- ')", hint="see contracts/README.md"
            )
        return value

    def known_keys(self, mapping: LocatedMap, allowed: Iterable[str], what: str) -> None:
        """Reject keys not in `allowed`, suggesting the closest one: typos must not pass."""
        allowed = tuple(allowed)
        for key in mapping:
            if key not in allowed:
                close = difflib.get_close_matches(str(key), allowed, n=1)
                hint = f"did you mean {close[0]!r}?" if close else f"allowed keys: {', '.join(allowed)}"
                self.fail(mapping.line_of(key), f"unknown key {key!r} in {what}", hint=hint)

    def required(self, mapping: LocatedMap, key: str, what: str) -> Any:
        if key not in mapping or mapping[key] is None:
            self.fail(mapping.line, f"{what} has no {key!r}", hint=f"add `{key}:`")
        return mapping[key]

    def text(self, mapping: LocatedMap, key: str, what: str) -> str:
        value = mapping[key]
        if not isinstance(value, str) or not value.strip():
            self.fail(mapping.line_of(key), f"{key!r} of {what} must be a non-empty string", hint="quote it")
        return value


def _root_display(root: Path, rel: str) -> str:
    return str(root / rel)


def _schema(
    file: _File,
    root: Path,
    mapping: LocatedMap,
    key: str,
    what: str,
    by_file: dict[Path, SchemaRef],
    resolver: _Resolver,
) -> SchemaRef:
    """Resolve a schema path (relative to the root) declared under `key`; `by_file` indexes schemas/."""
    value = file.text(mapping, key, what)
    line = mapping.line_of(key)
    rel = Path(value)
    if rel.is_absolute() or ".." in rel.parts:
        file.fail(
            line, f"{key} {value!r} must be a path relative to the project root", hint="e.g. schemas/X.avsc"
        )
    if rel.suffix != SCHEMA_SUFFIX:
        file.fail(
            line,
            f"{key} {value!r} is not an {SCHEMA_SUFFIX} file",
            hint=f"e.g. {SCHEMAS_DIR}/<full name>.avsc",
        )
    if not (root / rel).is_file():
        file.fail(
            line, f"{key}: schema file {value!r} not found", hint=f"create {root / rel} or fix the path"
        )
    known = by_file.get(rel)
    return known if known is not None else load_schema_file(root, rel, resolver)


def _positive_int(file: _File, mapping: LocatedMap, key: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        file.fail(
            mapping.line_of(key), f"{key} must be an integer >= 1, not {value!r}", hint=f"e.g. `{key}: 3`"
        )
    return value


def _compatibility(file: _File, mapping: LocatedMap, value: Any) -> str:
    if value not in COMPATIBILITY_LEVELS:
        file.fail(
            mapping.line_of("compatibility"),
            f"invalid compatibility level {value!r}",
            hint=f"use one of {', '.join(COMPATIBILITY_LEVELS)}",
        )
    return value


def _cleanup(file: _File, mapping: LocatedMap, value: Any) -> str:
    if isinstance(value, str) and value.replace(" ", "") == "delete,compact":
        value = "compact,delete"
    if not isinstance(value, str) or value.replace(" ", "") not in CLEANUP_POLICIES:
        file.fail(
            mapping.line_of("cleanup_policy"),
            f"invalid cleanup policy {value!r}",
            hint=f"use one of {', '.join(CLEANUP_POLICIES)}",
        )
    return value.replace(" ", "")


def _settings(file: _File, mapping: LocatedMap, inherited: dict[str, Any]) -> dict[str, Any]:
    """partitions / compatibility / cleanup_policy of `mapping`, falling back to `inherited`."""
    merged = dict(inherited)
    for key in _DEFAULT_KEYS:
        if key in mapping:
            if key == "partitions":
                merged[key] = _positive_int(file, mapping, key, mapping[key])
            elif key == "compatibility":
                merged[key] = _compatibility(file, mapping, mapping[key])
            else:
                merged[key] = _cleanup(file, mapping, mapping[key])
    return merged


def _load_topics(
    root: Path, by_file: dict[Path, SchemaRef], resolver: _Resolver, documents: dict[str, Any]
) -> tuple[list[dict[str, Any]], _File, LocatedMap]:
    """Parse topics.yaml into topic fields (without producers/consumers yet)."""
    rel = f"{CONTRACTS_DIR}/{TOPICS_FILE}"
    file = _File(_root_display(root, rel))
    doc = documents[rel] = file.mapping(load_yaml(root / rel, file.display), 1, TOPICS_FILE)
    file.known_keys(doc, _TOP_KEYS, TOPICS_FILE)
    version = doc.get("version", FORMAT_VERSION)
    if version != FORMAT_VERSION:
        file.fail(
            doc.line_of("version"), f"unsupported version {version!r}", hint="this govern reads version 1"
        )
    defaults = dict(_BUILTIN_DEFAULTS)
    if "defaults" in doc:
        block = file.mapping(doc["defaults"], doc.line_of("defaults"), "defaults")
        file.known_keys(block, _DEFAULT_KEYS, "defaults")
        defaults = _settings(file, block, defaults)
    topics_map = file.mapping(file.required(doc, "topics", TOPICS_FILE), doc.line_of("topics"), "topics")
    topics: list[dict[str, Any]] = []
    for name, spec in topics_map.items():
        line = topics_map.line_of(name)
        if not isinstance(name, str) or not _TOPIC_NAME.match(name) or name in (".", ".."):
            file.fail(
                line, f"invalid topic name {name!r}", hint="Kafka allows letters, digits, '.', '_' and '-'"
            )
        what = f"topic {name!r}"
        spec = file.mapping(spec, line, what)
        file.known_keys(spec, _TOPIC_KEYS, what)
        file.required(spec, "key", what)
        file.required(spec, "value_schema", what)
        internal = spec.get("internal", False)
        if not isinstance(internal, bool):
            file.fail(
                spec.line_of("internal"), "internal must be true or false", hint="e.g. `internal: true`"
            )
        fields = {
            "name": name,
            "line": line,
            "key": file.text(spec, "key", what),
            "value_schema": _schema(file, root, spec, "value_schema", what, by_file, resolver),
            "key_schema": _schema(file, root, spec, "key_schema", what, by_file, resolver)
            if "key_schema" in spec
            else None,
            "internal": internal,
            "description": " ".join(str(spec.get("description") or "").split()),
            **_settings(file, spec, defaults),
        }
        topics.append(fields)
    return topics, file, topics_map


def _load_service(
    root: Path,
    path: Path,
    topics: dict[str, dict[str, Any]],
    by_file: dict[Path, SchemaRef],
    resolver: _Resolver,
    documents: dict[str, Any],
) -> Service:
    """Parse one <service>.yaml, checking every topic it names against topics.yaml."""
    rel = path.relative_to(root)
    file = _File(str(path))
    doc = documents[rel.as_posix()] = file.mapping(load_yaml(path, file.display), 1, rel.name)
    file.known_keys(doc, _SERVICE_KEYS, "a service contract")
    file.required(doc, "service", "the contract")
    name = file.text(doc, "service", "the contract")
    lists: dict[str, list[str]] = {"produces": [], "consumes": []}
    seen: dict[str, set[str]] = {"produces": set(), "consumes": set()}
    readers: dict[str, SchemaRef] = {}
    for section, allowed in (("produces", _PRODUCE_KEYS), ("consumes", _CONSUME_KEYS)):
        if doc.get(section) is None:
            continue
        items = file.sequence(doc[section], doc.line_of(section), section)
        for item, line in zip(items, items.item_lines, strict=True):
            what = f"an entry of {section}"
            entry = file.mapping(item, line, what)
            file.known_keys(entry, allowed, what)
            topic = (
                file.text(entry, "topic", what) if "topic" in entry else file.required(entry, "topic", what)
            )
            tline = entry.line_of("topic")
            if topic not in topics:
                close = difflib.get_close_matches(topic, list(topics), n=1)
                hint = (
                    f"did you mean {close[0]!r}?" if close else f"declare it in {CONTRACTS_DIR}/{TOPICS_FILE}"
                )
                file.fail(tline, f"unknown topic {topic!r} in {section}", hint=hint)
            if topic in seen[section]:
                file.fail(tline, f"topic {topic!r} listed twice in {section}", hint="remove the duplicate")
            lists[section].append(topic)
            seen[section].add(topic)
            if "value_schema" in entry:
                declared = _schema(file, root, entry, "value_schema", what, by_file, resolver)
                expected: SchemaRef = topics[topic]["value_schema"]
                if declared.file != expected.file:
                    file.fail(
                        entry.line_of("value_schema"),
                        f"{name} produces {topic!r} with {declared.file.as_posix()} but "
                        f"{CONTRACTS_DIR}/{TOPICS_FILE} declares {expected.file.as_posix()}",
                        hint=f"a topic's value schema is declared once, in {TOPICS_FILE}; align or drop it",
                    )
            if "reader_schema" in entry:
                readers[topic] = _schema(file, root, entry, "reader_schema", what, by_file, resolver)
    return Service(
        name=name,
        file=rel,
        produces=tuple(lists["produces"]),
        consumes=tuple(lists["consumes"]),
        description=" ".join(str(doc.get("description") or "").split()),
        reader_schemas=readers,
    )


def load_catalog(root: Path, *, documents: dict[str, Any] | None = None) -> Catalog:
    """Load and cross-check `<root>/contracts/*.yaml` and `<root>/schemas/*.avsc`.

    Raises InputError (exit 2) naming file:line for anything wrong, so a bad contract never
    reaches a registry or a broker. `documents`, when given, receives each contract file's YAML
    document by path (e.g. "contracts/topics.yaml"): a caller comparing with another revision
    need not parse the same text twice. Treat them as read-only.
    """
    root = Path(root)
    documents = {} if documents is None else documents
    if not (root / CONTRACTS_DIR).is_dir():
        raise InputError(
            f"{root / CONTRACTS_DIR}: contracts directory not found",
            hint="run from the project root or pass --root",
        )
    index, resolver = load_schema_dir(root, SCHEMAS_DIR)
    by_file: dict[Path, SchemaRef] = {}
    for ref in index.values():  # a lookup per declared schema path, not a scan (1,000 topics...)
        by_file.setdefault(ref.file, ref)
    topic_rows, topics_file, topics_map = _load_topics(root, by_file, resolver, documents)
    by_name = {row["name"]: row for row in topic_rows}

    services: dict[str, Service] = {}
    for path in sorted((root / CONTRACTS_DIR).glob("*.y*ml")):
        if path.name in NOT_SERVICES or path.suffix not in (".yaml", ".yml"):
            continue
        service = _load_service(root, path, by_name, by_file, resolver, documents)
        if service.name in services:
            first = services[service.name].file.as_posix()
            raise InputError(
                f"{path}:1: duplicate service {service.name!r} (also declared in {first})",
                hint="each service has exactly one contract file",
            )
        services[service.name] = service

    writers: dict[str, list[str]] = {}
    readers: dict[str, list[str]] = {}
    for service in services.values():  # inverted once: a topic's lookup stays O(1) at any size
        for name in service.produces:
            writers.setdefault(name, []).append(service.name)
        for name in service.consumes:
            readers.setdefault(name, []).append(service.name)
    topics: list[Topic] = []
    for row in topic_rows:
        producers = tuple(sorted(writers.get(row["name"], ())))
        consumers = tuple(sorted(readers.get(row["name"], ())))
        if not producers:
            topics_file.fail(
                row["line"],
                f"topic {row['name']!r} has no producer",
                hint="add it under `produces:` in the contract of the service that writes it, or remove it",
            )
        fields = {k: v for k, v in row.items() if k != "line"}
        topics.append(Topic(**fields, producers=producers, consumers=consumers))
    return Catalog(
        root=root,
        topics=tuple(topics),
        services=tuple(services[name] for name in sorted(services)),
        schemas=index,
    )
