"""Reads the contracts and schemas folders (govern.toml's `contracts_dir`, `schemas_dir`) into a
cross-checked `Catalog`, from the working tree or, through `catalog_at`, from a git commit.

Every problem is an `InputError` (exit 2) naming file:line: unknown or misspelt keys, bad
values, unknown topics or types, missing, invalid or ambiguous schema files, a record strategy
on a schema that is not a named type, topics nobody produces, duplicate services. The shape of
the YAML is documented in contracts/README.md.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, NoReturn

from govern.catalog._yaml import LocatedList, LocatedMap, load_yaml_text
from govern.catalog.git import Repo
from govern.catalog.model import (
    CLEANUP_POLICIES,
    COMPATIBILITY_LEVELS,
    SUBJECT_STRATEGIES,
    Catalog,
    SchemaRef,
    Service,
    Subject,
    Topic,
    combined_level,
)
from govern.catalog.resolve import (
    Ambiguous,
    NamedTypes,
    file_ref,
    is_primitive,
    named_ref,
    parse_ref,
    primitive_ref,
    union_ref,
)
from govern.catalog.sources import READERS, SchemaFile, SchemaIndex
from govern.catalog.tree import DiskTree, GitTree, Tree
from govern.errors import InputError

CONTRACTS_DIR = "contracts"
SCHEMAS_DIR = "schemas"
TOPICS_FILE = "topics.yaml"
#: contracts/ files that are not service contracts (accepted-breaks.yaml: see govern.check.accepted)
NOT_SERVICES = (TOPICS_FILE, "accepted-breaks.yaml")
FORMAT_VERSION = 1

_TOP_KEYS = ("version", "defaults", "topics", "reference_subjects")
_DEFAULT_KEYS = ("partitions", "compatibility", "cleanup_policy", "subject_strategy")
_TOPIC_KEYS = ("description", "internal", "key", "key_schema", "value_schema", *_DEFAULT_KEYS)
_SERVICE_KEYS = ("service", "description", "produces", "consumes")
_PRODUCE_KEYS = ("topic", "value_schema")
_CONSUME_KEYS = ("topic", "reader_schema")
_BUILTIN_DEFAULTS: dict[str, Any] = {
    "partitions": 1,
    "compatibility": "BACKWARD",
    "cleanup_policy": "delete",
    "subject_strategy": ("topic", "topic"),  # (value, key)
}
_TOPIC_NAME = re.compile(r"^[A-Za-z0-9._-]{1,249}$")
_SCHEMA_HINT = "a path to a schema file, a full type name, an Avro primitive, or a list of paths / type names"


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


class _Context:
    """What resolving schema names needs: the tree, the schemas folder's index, the folders."""

    def __init__(self, tree: Tree, index: SchemaIndex, contracts_dir: str, schemas_dir: str) -> None:
        self.tree = tree
        self.index = index
        self.contracts_dir = contracts_dir
        self.schemas_dir = schemas_dir


def _one(file: _File, ctx: _Context, line: int, key: str, value: Any) -> SchemaRef:
    """One schema named in a contract: a path, a full type name or a primitive."""
    if not isinstance(value, str) or not value.strip():
        file.fail(line, f"{key} must name a schema: {_SCHEMA_HINT}", hint="e.g. com.acme.Order")
    index = ctx.index
    suffix = Path(value).suffix
    if "/" in value or suffix in READERS:
        rel = Path(value)
        if rel.is_absolute() or ".." in rel.parts:
            file.fail(
                line,
                f"{key} {value!r} must be a path relative to the project root",
                hint="e.g. schemas/X.avsc",
            )
        if suffix not in READERS:
            file.fail(
                line,
                f"{key} {value!r} is not a schema file",
                hint=f"schema files end with {', '.join(sorted(READERS))}",
            )
        if ctx.tree.read_bytes(rel.as_posix()) is None:
            file.fail(line, f"{key}: schema file {value!r} not found", hint=f"create {rel} or fix the path")
        posix = rel.as_posix()
        if posix not in index.files:
            index.external(posix)  # outside the schemas folder: a pinned reader, say
        try:
            return file_ref(index, posix)
        except Ambiguous as error:
            file.fail(
                line,
                f"{key} {value!r} holds several types ({', '.join(error.names)}): which one is meant?",
                hint="name the type by its full name, or list the event types the topic carries",
            )
    if is_primitive(value):
        return primitive_ref(value)
    if value in index.owner:
        return named_ref(index, value)
    close = difflib.get_close_matches(value, list(index.owner), n=1)
    file.fail(
        line,
        f"{key}: unknown type {value!r}",
        hint=f"did you mean {close[0]!r}?"
        if close
        else f"define it under {ctx.schemas_dir}/, or name a file path",
    )


def _schema(
    file: _File, ctx: _Context, mapping: LocatedMap, key: str
) -> tuple[SchemaRef, tuple[SchemaRef, ...]]:
    """The schema declared under `key` and its event types (one, or each of a list; none if unnamed)."""
    value = mapping[key]
    line = mapping.line_of(key)
    if isinstance(value, LocatedList):
        if not value:
            file.fail(line, f"{key} is an empty list", hint=f"name at least one event type: {_SCHEMA_HINT}")
        types: list[SchemaRef] = []
        for item, item_line in zip(value, value.item_lines, strict=True):
            ref = _one(file, ctx, item_line, key, item)
            if not ref.named:
                file.fail(
                    item_line,
                    f"{key}: {item!r} is a {ref.name}, not a named type",
                    hint="a list names the event types a topic carries: records, enums or fixed types",
                )
            if ref in types:
                file.fail(item_line, f"{key}: {ref.name!r} listed twice", hint="remove the duplicate")
            types.append(ref)
        if len(types) == 1:
            return types[0], (types[0],)
        return union_ref(ctx.index, types), tuple(types)
    ref = _one(file, ctx, line, key, value)
    return ref, ((ref,) if ref.named else ())


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


def _strategy(file: _File, mapping: LocatedMap, value: Any) -> tuple[str, str]:
    """`subject_strategy`: one strategy for value and key, or `{value: ..., key: ...}`."""
    line = mapping.line_of("subject_strategy")
    hint = f"use one of {', '.join(SUBJECT_STRATEGIES)}, or {{value: record, key: topic}}"
    if isinstance(value, LocatedMap):
        file.known_keys(value, ("value", "key"), "subject_strategy")
        chosen = (value.get("value", "topic"), value.get("key", "topic"))
    else:
        chosen = (value, value)
    for item in chosen:
        if item not in SUBJECT_STRATEGIES:
            file.fail(line, f"invalid subject_strategy {item!r}", hint=hint)
    return chosen


def _settings(file: _File, mapping: LocatedMap, inherited: dict[str, Any]) -> dict[str, Any]:
    """partitions / compatibility / cleanup_policy / subject_strategy of `mapping`, else `inherited`."""
    merged = dict(inherited)
    for key in _DEFAULT_KEYS:
        if key in mapping:
            if key == "partitions":
                merged[key] = _positive_int(file, mapping, key, mapping[key])
            elif key == "compatibility":
                merged[key] = _compatibility(file, mapping, mapping[key])
            elif key == "subject_strategy":
                merged[key] = _strategy(file, mapping, mapping[key])
            else:
                merged[key] = _cleanup(file, mapping, mapping[key])
    return merged


def _reference_subjects(file: _File, ctx: _Context, doc: LocatedMap) -> dict[str, tuple[str, int]]:
    """topics.yaml's `reference_subjects`: full type name -> (its subject, line)."""
    if "reference_subjects" not in doc:
        return {}
    line = doc.line_of("reference_subjects")
    block = file.mapping(doc["reference_subjects"], line, "reference_subjects")
    out: dict[str, tuple[str, int]] = {}
    used: dict[str, str] = {}
    for name, subject in block.items():
        at = block.line_of(name)
        if not isinstance(name, str) or name not in ctx.index.owner:
            file.fail(
                at,
                f"reference_subjects: {name!r} is not a named type of {ctx.schemas_dir}/",
                hint="use the full name of a type defined there, e.g. com.acme.Address",
            )
        if not isinstance(subject, str) or not subject.strip() or subject != subject.strip():
            file.fail(
                at,
                f"reference_subjects: the subject of {name!r} must be a subject name",
                hint="e.g. `com.acme.Address: shared-address`",
            )
        if subject in used:
            file.fail(
                at,
                f"reference_subjects: {used[subject]!r} and {name!r} both name subject {subject!r}",
                hint="a subject holds one type: give each shared type its own",
            )
        used[subject] = name
        out[name] = (subject, at)
    return out


def _load_topics(
    ctx: _Context, builtin: dict[str, Any]
) -> tuple[list[dict[str, Any]], _File, dict[str, tuple[str, int]]]:
    """Parse topics.yaml into topic fields (without producers/consumers yet) and its
    reference_subjects."""
    rel = f"{ctx.contracts_dir}/{TOPICS_FILE}"
    file = _File(ctx.tree.display(rel))
    text = ctx.tree.read(rel)
    if text is None:
        raise InputError(f"{file.display}: file not found", hint="create it or check --root")
    doc = file.mapping(load_yaml_text(text, file.display), 1, TOPICS_FILE)
    file.known_keys(doc, _TOP_KEYS, TOPICS_FILE)
    version = doc.get("version", FORMAT_VERSION)
    if version != FORMAT_VERSION:
        file.fail(
            doc.line_of("version"), f"unsupported version {version!r}", hint="this govern reads version 1"
        )
    defaults = dict(builtin)
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
        settings = _settings(file, spec, defaults)
        value_strategy, key_strategy = settings.pop("subject_strategy")
        value, value_types = _schema(file, ctx, spec, "value_schema")
        key, key_types = _schema(file, ctx, spec, "key_schema") if "key_schema" in spec else (None, ())
        for kind, ref, strategy in (("value", value, value_strategy), ("key", key, key_strategy)):
            if ref is not None and strategy != "topic" and not (ref.named or ref.types):
                file.fail(
                    spec.line_of(f"{kind}_schema"),
                    f"the {kind} of {what} is a {ref.name}, but its subject_strategy {strategy!r} names "
                    "subjects after a named type",
                    hint=f"set `subject_strategy: {{value: {value_strategy}, key: topic}}`"
                    if kind == "key"
                    else "name a record type, or use `subject_strategy: topic`",
                )
        topics.append(
            {
                "name": name,
                "line": line,
                "key": file.text(spec, "key", what),
                "value_schema": value,
                "key_schema": key,
                "value_types": value_types,
                "key_types": key_types,
                "subject_strategy": value_strategy,
                "key_subject_strategy": key_strategy,
                "internal": internal,
                "description": " ".join(str(spec.get("description") or "").split()),
                **settings,
            }
        )
    return topics, file, _reference_subjects(file, ctx, doc)


def _load_service(ctx: _Context, rel: str, topics: dict[str, dict[str, Any]]) -> Service:
    """Parse one <service>.yaml, checking every topic it names against topics.yaml."""
    file = _File(ctx.tree.display(rel))
    doc = file.mapping(load_yaml_text(ctx.tree.read(rel) or "", file.display), 1, rel.rsplit("/", 1)[-1])
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
                    f"did you mean {close[0]!r}?"
                    if close
                    else f"declare it in {ctx.contracts_dir}/{TOPICS_FILE}"
                )
                file.fail(tline, f"unknown topic {topic!r} in {section}", hint=hint)
            if topic in seen[section]:
                file.fail(tline, f"topic {topic!r} listed twice in {section}", hint="remove the duplicate")
            lists[section].append(topic)
            seen[section].add(topic)
            if "value_schema" in entry:
                declared, _ = _schema(file, ctx, entry, "value_schema")
                expected: SchemaRef = topics[topic]["value_schema"]
                if declared != expected:
                    file.fail(
                        entry.line_of("value_schema"),
                        f"{name} produces {topic!r} with {declared.where} but "
                        f"{ctx.contracts_dir}/{TOPICS_FILE} declares {expected.where}",
                        hint=f"a topic's value schema is declared once, in {TOPICS_FILE}; align or drop it",
                    )
            if "reader_schema" in entry:
                readers[topic] = _one(
                    file, ctx, entry.line_of("reader_schema"), "reader_schema", entry["reader_schema"]
                )
    return Service(
        name=name,
        file=Path(rel),
        produces=tuple(lists["produces"]),
        consumes=tuple(lists["consumes"]),
        description=" ".join(str(doc.get("description") or "").split()),
        reader_schemas=readers,
    )


def _subjects(topics: list[Topic]) -> tuple[Subject, ...]:
    """Every subject in topics.yaml order (value before key); one a record strategy shares, once."""
    found: dict[str, Subject] = {}
    for topic in topics:
        for kind, ref, types in (
            ("value", topic.value_schema, topic.value_types),
            ("key", topic.key_schema, topic.key_types),
        ):
            if ref is None:
                continue
            names = topic.subjects(kind)
            strategy = topic.subject_strategy if kind == "value" else topic.key_subject_strategy
            schemas = [ref] if strategy == "topic" else list(types)
            for subject, schema in zip(names, schemas, strict=True):
                known = found.get(subject)
                if known is None:
                    found[subject] = Subject(subject, topic, kind, schema, topic.compatibility, (topic.name,))
                else:
                    found[subject] = Subject(
                        subject,
                        known.topic,
                        known.kind,
                        known.schema,
                        combined_level([known.level, topic.compatibility]),
                        (*known.topics, topic.name),
                    )
    return tuple(found.values())


def load_catalog(
    root: Path,
    *,
    config: Any = None,
    tree: Tree | None = None,
    validate: bool = True,
    reuse: Mapping[str, SchemaFile] | None = None,
) -> Catalog:
    """Load and cross-check the contracts and schemas folders of the project at `root`.

    Raises InputError (exit 2) naming file:line for anything wrong, so a bad contract never
    reaches a registry or a broker. The folders are govern.toml's `contracts_dir` and
    `schemas_dir` (`config`, else read from `root`). `tree` is where files are read (the working
    tree by default; `catalog_at` passes a git commit's). `validate` parses every schema file
    now (the working tree); without it files are parsed when asked (a base compared with).
    `reuse` holds schema files already read whose text is the same in `tree`.
    """
    if config is None:
        from govern.config import load_config

        config = load_config(root)
    tree = tree or DiskTree(Path(root))
    contracts_dir, schemas_dir = config.contracts_dir.rstrip("/"), config.schemas_dir.rstrip("/")
    if not tree.is_dir(contracts_dir):
        raise InputError(
            f"{tree.display(contracts_dir)}: contracts directory not found",
            hint="run from the project root or pass --root (or set contracts_dir in govern.toml)",
        )
    if not tree.is_dir(schemas_dir):
        raise InputError(
            f"{tree.display(schemas_dir)}: schema directory not found",
            hint="run from the project root or pass --root (or set schemas_dir in govern.toml)",
        )
    index = SchemaIndex(tree, schemas_dir, strict=validate, reuse=reuse)
    ctx = _Context(tree, index, contracts_dir, schemas_dir)
    builtin = {**_BUILTIN_DEFAULTS, "compatibility": config.default_compatibility.strip().upper()}
    topic_rows, topics_file, reference_subjects = _load_topics(ctx, builtin)
    by_name = {row["name"]: row for row in topic_rows}

    services: dict[str, Service] = {}
    for rel in tree.files(contracts_dir):
        parent, _, base = rel.rpartition("/")
        if parent != contracts_dir or base in NOT_SERVICES or not base.endswith((".yaml", ".yml")):
            continue
        service = _load_service(ctx, rel, by_name)
        if service.name in services:
            first = services[service.name].file.as_posix()
            raise InputError(
                f"{tree.display(rel)}:1: duplicate service {service.name!r} (also declared in {first})",
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
    if validate:
        index.validate()
        for topic in topics:  # unions of event types: each name resolves, the union is valid Avro
            for ref in (topic.value_schema, topic.key_schema):
                if ref is not None and ref.types:
                    parse_ref(index, ref)
    subjects = _subjects(topics)
    topic_subjects = {subject.name for subject in subjects}
    for name, (subject, line) in reference_subjects.items():
        if subject in topic_subjects:
            topics_file.fail(
                line,
                f"reference_subjects: {subject!r} is a topic's subject, it cannot also hold {name!r}",
                hint="a shared type has a subject of its own",
            )
    return Catalog(
        root=tree.root,
        topics=tuple(topics),
        services=tuple(services[name] for name in sorted(services)),
        schemas=NamedTypes(index),
        subjects=subjects,
        sources=index,
        contracts_dir=contracts_dir,
        reference_subjects={name: subject for name, (subject, _) in reference_subjects.items()},
    )


def catalog_at(
    repo: Repo,
    commit: str,
    *,
    config: Any = None,
    worktree: Catalog | None = None,
    label: str | None = None,
) -> Catalog | None:
    """The catalog as it is at `commit`: the one loader of "the catalog at a git ref".

    Read from git objects (no checkout), with the same loader and cross-checks as the working
    tree; schemas are parsed when asked (`Catalog.parse`); files are named `<label>:<path>` (the
    ref as the user gave it; the commit's first 12 digits by default). None when the commit has
    no contracts folder (everything is new). With `worktree` (the working tree's catalog), files
    `git diff` reports unchanged are taken from it instead of being read and scanned again.
    Errors are InputError naming the base's file:line.
    """
    if config is None:
        from govern.config import load_config

        config = load_config(repo.root)
    folders = (config.contracts_dir.rstrip("/"), config.schemas_dir.rstrip("/"))
    same: dict[str, bytes] = {}
    reuse: dict[str, SchemaFile] = {}
    if worktree is not None:
        changed = repo.changed_paths(commit, folders)
        disk = DiskTree(worktree.root)
        scanned = worktree.sources.files
        for folder in folders:
            for rel in disk.files(folder):
                if rel in changed:
                    continue
                known = scanned.get(rel)
                if known is not None and rel.startswith(folders[1] + "/") and known.type_positions is None:
                    reuse[rel] = known
                    same[rel] = known.text.encode()  # not read again: the scanned file is reused
                else:
                    same[rel] = disk.read_bytes(rel) or b""
    tree = GitTree(repo, commit, folders, same, label=label)
    if not tree.is_dir(folders[0]):
        return None
    try:
        return load_catalog(repo.root, config=config, tree=tree, validate=False, reuse=reuse)
    except InputError as error:
        raise InputError(f"{error.message} (in the base {tree.label})", hint=error.hint) from error
