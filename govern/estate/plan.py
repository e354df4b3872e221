"""What an import writes: schema files and contracts, rendered deterministically, written all at once.

Both importers (`from_registry`, from a live registry and cluster, and `asyncapi`, from AsyncAPI
documents) describe what they found as `TopicEntry` and `ServiceEntry` values plus schema files;
`render` turns them into contracts/ files and `write_files` puts everything in place or nothing.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import tempfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from govern.errors import InputError

PLACEHOLDER_SERVICE = "unassigned"
UNKNOWN_KEY = "unknown (imported)"
_PLAIN = re.compile(r"^[A-Za-z0-9_./-]+$")
_YAML_WORDS = ("true", "false", "null", "yes", "no", "on", "off", "y", "n", "~")
#: Avro's primitive types: contracts name these directly, they need no schema file
PRIMITIVES = ("null", "boolean", "int", "long", "float", "double", "bytes", "string")
_NAMED = ("record", "enum", "fixed", "error")


@dataclass
class TopicEntry:
    """What topics.yaml says of one topic (None: the default applies)."""

    name: str
    value_schema: Any  #: a path, a type name, a primitive, or a list of type names
    key: str = UNKNOWN_KEY  #: what the key holds, in words
    key_schema: Any = None
    subject_strategy: tuple[str, str] = ("topic", "topic")  #: (value, key)
    compatibility: str | None = None
    partitions: int | None = None
    cleanup_policy: str | None = None
    internal: bool = False
    description: str = ""


@dataclass
class ServiceEntry:
    """One contracts/<service>.yaml."""

    name: str
    description: str = ""
    produces: list[str] = field(default_factory=list)
    consumes: list[str] = field(default_factory=list)
    reader_schemas: dict[str, str] = field(default_factory=dict)  #: topic -> path of the pinned schema
    comments: dict[str, str] = field(default_factory=dict)  #: topic -> a comment on its line
    header: tuple[str, ...] = ()  #: comment lines at the top of the file


@dataclass
class ImportPlan:
    """The files an import writes (path relative to the project root -> text) and what it noticed."""

    files: dict[str, str]
    topics: list[str]
    notes: list[str]


def primitive_name(schema: Any) -> str | None:
    """The primitive a schema is (`"long"`, `{"type": "long"}`), else None (it needs a file)."""
    if isinstance(schema, str) and schema in PRIMITIVES:
        return schema
    if isinstance(schema, dict) and set(schema) == {"type"} and schema["type"] in PRIMITIVES:
        return str(schema["type"])
    return None


def full_name(schema: Any) -> str | None:
    """The full name of a top-level named type (record, enum, fixed, error), else None."""
    if not isinstance(schema, dict) or schema.get("type") not in _NAMED:
        return None
    name, namespace = str(schema.get("name", "")), schema.get("namespace")
    return name if "." in name or not namespace else f"{namespace}.{name}"


class SchemaFiles:
    """Schema files by path; the same path written twice must hold the same schema."""

    def __init__(self) -> None:
        self.files: dict[str, str] = {}
        self._origin: dict[str, str] = {}

    def add(self, path: str, schema: Any, origin: str) -> str:
        """Add `schema` (JSON) as `path`, from `origin` (for errors); returns `path`."""
        text = json.dumps(schema, indent=2, ensure_ascii=False) + "\n"
        if path in self.files and self.files[path] != text:
            raise InputError(
                f"{self._origin[path]} and {origin} define {Path(path).stem} differently",
                hint="govern knows each named type once: import them apart, or align the two versions",
            )
        self.files[path] = text
        self._origin.setdefault(path, origin)
        return path


def yaml_scalar(value: Any) -> str:
    """`value` as YAML flow text: plain where safe, JSON-quoted otherwise."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, list | tuple):
        return "[" + ", ".join(yaml_scalar(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {yaml_scalar(v)}" for k, v in value.items()) + "}"
    text = str(value)
    plain = _PLAIN.fullmatch(text) and text.lower() not in _YAML_WORDS and not text[0].isdigit()
    return text if plain else json.dumps(text, ensure_ascii=False)


def render(
    topics: Sequence[TopicEntry],
    services: Sequence[ServiceEntry],
    *,
    header: Sequence[str],
    default_level: str | None = None,
    contracts_dir: str = "contracts",
    reference_subjects: Mapping[str, str] | None = None,
) -> dict[str, str]:
    """contracts/topics.yaml (with `reference_subjects`: shared type -> its subject, where that is
    not its full name) and one contracts/<service>.yaml per service, as text."""
    lines = [f"# {line}" for line in header]
    lines.append("version: 1")
    if default_level:
        lines += ["defaults:", f"  compatibility: {default_level}"]
    lines.append("topics:" if topics else "topics: {}")
    for topic in topics:
        lines.append(f"  {yaml_scalar(topic.name)}:")
        if topic.description:
            lines.append(f"    description: {yaml_scalar(topic.description)}")
        lines.append(f"    key: {yaml_scalar(topic.key)}")
        lines.append(f"    value_schema: {yaml_scalar(topic.value_schema)}")
        if topic.key_schema is not None:
            lines.append(f"    key_schema: {yaml_scalar(topic.key_schema)}")
        value, key = topic.subject_strategy
        if (value, key) != ("topic", "topic"):
            strategy = value if value == key or topic.key_schema is None else {"value": value, "key": key}
            lines.append(f"    subject_strategy: {yaml_scalar(strategy)}")
        for name in ("compatibility", "partitions", "cleanup_policy"):
            if getattr(topic, name) is not None:
                lines.append(f"    {name}: {yaml_scalar(getattr(topic, name))}")
        if topic.internal:
            lines.append("    internal: true")
    if reference_subjects:
        lines.append("reference_subjects:  # the subject each shared type is registered under")
        for name, subject in sorted(reference_subjects.items()):
            lines.append(f"  {yaml_scalar(name)}: {yaml_scalar(subject)}")
    files = {f"{contracts_dir}/topics.yaml": "\n".join(lines) + "\n"}
    for service in services:
        body = [f"# {line}" for line in service.header]
        body.append(f"service: {yaml_scalar(service.name)}")
        if service.description:
            body.append(f"description: {yaml_scalar(service.description)}")
        for section, names in (("produces", service.produces), ("consumes", service.consumes)):
            if not names:
                continue
            body.append(f"{section}:")
            for topic in names:
                comment = f"  # {service.comments[topic]}" if topic in service.comments else ""
                body.append(f"  - topic: {yaml_scalar(topic)}{comment}")
                if section == "consumes" and topic in service.reader_schemas:
                    body.append(f"    reader_schema: {yaml_scalar(service.reader_schemas[topic])}")
        files[f"{contracts_dir}/{service.name}.yaml"] = "\n".join(body) + "\n"
    return files


def write_files(
    root: Path, plan: ImportPlan, *, force: bool, validate: Callable[[Path], Any] | None = None
) -> None:
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
