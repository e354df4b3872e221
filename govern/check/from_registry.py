"""`govern check --registry URL`: the working tree's schemas against what a registry holds.

Our engine compares the new schema with the registry's versions of the subject (references
resolved through the registry) at the level contracts/ declares. With `ask_registry` the
registry's own `/compatibility/...?verbose=true` verdict is asked too, and a verdict that differs
from ours is itself a finding (REGISTRY_DISAGREES): the false greens users of registry-only
gates have met are exactly such disagreements. A subject is *changed* when the working tree's
schema is not the registry's latest version.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

from govern.avro import AvroSchema, SchemaParseError, parse_schema
from govern.avro.writer import java_string
from govern.catalog import Catalog
from govern.check.consumers import check_consumers
from govern.check.model import Finding, Report, SubjectReport
from govern.check.subjects import Lines, Subject, event_type_causes, relative_display
from govern.compat import Level, check_level
from govern.compat.lint import lint
from govern.registry import Client, RegisteredSchema, SubjectNotFound
from govern.registry.errors import NotFound


class RegistryHistory:
    """Versions of subjects fetched from a registry, parsed with their references (memoised)."""

    def __init__(self, client: Client) -> None:
        self.client = client
        self._versions: dict[tuple[str, int], AvroSchema] = {}
        self.skipped: list[str] = []

    def schema(self, registered: RegisteredSchema, stack: tuple[str, ...] = ()) -> AvroSchema | None:
        """Parse one registered schema, its references first (fetched by subject and version)."""
        refs = []
        for ref in registered.references:
            key = (ref.subject, ref.version)
            if key not in self._versions:
                if ref.subject in stack:
                    continue
                inner = self.schema(self.client.get_version(ref.subject, ref.version), (*stack, ref.subject))
                if inner is None:
                    return None
                self._versions[key] = inner
            refs.append(self._versions[key])
        try:
            return parse_schema(registered.schema, references=refs, strict=False)
        except SchemaParseError as error:
            self.skipped.append(
                f"{registered.subject} v{registered.version}: cannot parse ({error}); skipped"
            )
            return None

    def versions(self, subject: str) -> list[tuple[int, AvroSchema]]:
        """(version, schema) of every live version of `subject`, oldest first; [] for a new subject."""
        try:
            numbers = self.client.versions(subject)
        except (SubjectNotFound, NotFound):
            return []
        out = []
        for number in sorted(numbers):
            schema = self.schema(self.client.get_version(subject, number))
            if schema is not None:
                out.append((number, schema))
        return out


def same_schema(a: AvroSchema, b: AvroSchema) -> bool:
    """Whether two parsed schemas are the same document: Avro Java's text with every type from a
    reference written in full, so it does not matter how either was split into references."""
    return java_string(a.root) == java_string(b.root)


def self_contained(schema_json: object) -> str:
    """Compact JSON text of a self-contained (references inlined) schema."""
    return json.dumps(schema_json, separators=(",", ":"))


def check_against_registry(
    catalog: Catalog,
    subjects: Sequence[Subject],
    client: Client,
    *,
    all_subjects: bool = False,
    ask_registry: bool = False,
) -> Report:
    """Check `subjects` of the working tree against the registry `client` talks to."""
    report = Report(against=f"registry {client.url}")
    history = RegistryHistory(client)
    lines = Lines(relative_display(catalog.root), compiled=catalog.sources.compiled)
    for subject in subjects:
        new = catalog.parse(subject.schema)
        versions = history.versions(subject.name)
        if not versions:
            status = "new"
        elif not same_schema(versions[-1][1], new):
            status = "changed"
        elif all_subjects:
            status = "unchanged"
        else:
            continue
        entry = SubjectReport(subject.name, subject.level, status, subject.schema.where)
        level = Level.parse(subject.level)
        result = check_level(level, new, [s for _, s in versions], versions=[n for n, _ in versions])
        if versions:
            entry.checked.append(f"{len(versions)} registry version(s) at {level}")
        entry.findings.extend(
            lines.finding(f, f"registry {subject.name} v{f.version}") for f in event_type_causes(result, new)
        )
        if versions:
            latest = f"registry {subject.name} v{versions[-1][0]}"
            entry.findings.extend(lines.finding(f, latest) for f in lint(versions[-1][1], new))
        if ask_registry and versions:
            entry.checked.append("the registry's own verdict")
            disagreement = _ask(client, subject, result.compatible)
            if disagreement is not None:
                entry.findings.append(disagreement)
        if subject.whole_value:
            entry.findings.extend(check_consumers(catalog, subject, new, lines, entry.checked))
        report.subjects.append(entry)
    report.notes.extend(history.skipped)
    return report


def _ask(client: Client, subject: Subject, ours: bool) -> Finding | None:
    """A REGISTRY_DISAGREES finding when the registry's verdict differs from ours, else None."""
    try:
        theirs = client.test_compatibility(
            subject.name, self_contained(subject.schema.expanded), verbose=True
        )
    except (SubjectNotFound, NotFound):
        return None
    if theirs.is_compatible == ours:
        return None
    try:
        level = client.get_config(subject.name, default_to_global=True).compatibility
    except NotFound:
        level = None
    said = "compatible" if theirs.is_compatible else "incompatible"
    detail = "; ".join(theirs.messages[:3])
    where = f" at its level {level}" if level else ""
    return Finding(
        rule="REGISTRY_DISAGREES",
        location="/",
        message=f"the registry says {said}{where}; govern says {'compatible' if ours else 'incompatible'} "
        f"at {subject.level}" + (f" (registry: {detail})" if detail else ""),
        reason="a gate that trusts only one of the two verdicts can let a break through "
        "(or block a safe change)",
        hint=f"align the subject's level with contracts/ (govern register sets it to {subject.level}); "
        "if the levels agree, report the disagreement",
        against=f"registry {client.url}",
    )
