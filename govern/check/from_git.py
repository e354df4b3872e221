"""`govern check --against REF`: the working tree's schemas against a git ref, no registry needed.

The base's topics come from its contracts/topics.yaml (read as plain YAML: the base's own
validity is not this check's business). A subject is *changed* when its schema file, a file it
references, a consumer's pinned reader, or its topic's settings differ from the base. Transitive
levels compare with every version of the schema file in the ref's history (`git log` over
schemas/, renames followed, oldest first); the others with the file at the ref only. A shallow
clone is fine for non-transitive levels and an error (exit 3, with how to deepen) for transitive
ones, since their answer needs the whole history.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import yaml

from govern.avro import AvroSchema
from govern.catalog import Catalog
from govern.catalog.git import DEEPEN_HINT, Repo
from govern.catalog.loader import NOT_SERVICES
from govern.check.consumers import check_consumers
from govern.check.history import GitVersions, Version
from govern.check.model import Finding, Place, Report, SubjectReport
from govern.check.subjects import Subject, dependencies, parse_file
from govern.compat import Level, check_level
from govern.compat.lint import lint
from govern.errors import EnvironmentProblem
from govern.report.sources import Lines, relative_display

TOPICS = "contracts/topics.yaml"
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when present: 10-20x faster


@dataclass
class BaseTopic:
    """What the base ref's contracts said about one topic."""

    name: str
    level: str
    value_schema: str | None
    key_schema: str | None
    consumers: set[str] = field(default_factory=set)


def _yaml(text: str | None) -> Any:
    if text is None:
        return None
    try:
        return yaml.load(text, Loader=_LOADER)  # noqa: S506 - a safe loader
    except yaml.YAMLError:
        return None


def base_topics(repo: Repo, commit: str, unchanged: Mapping[str, Any] | None = None) -> dict[str, BaseTopic]:
    """The topics of the base's contracts/ (empty when it has none yet: everything is new).

    `unchanged` maps contract files whose text is the same at `commit` as in the working tree
    to their parsed documents (as the catalog loaded them): those are not read and parsed again.
    """
    listed = repo.list_files(commit, "contracts")
    reuse = {path: unchanged[path] for path in listed if unchanged and path in unchanged}

    def document(path: str) -> Any:
        return reuse[path] if path in reuse else _yaml(repo.show(commit, path))

    doc = document(TOPICS)
    if not isinstance(doc, dict) or not isinstance(doc.get("topics"), dict):
        return {}
    defaults = doc.get("defaults") if isinstance(doc.get("defaults"), dict) else {}
    out: dict[str, BaseTopic] = {}
    for name, spec in doc["topics"].items():
        spec = spec if isinstance(spec, dict) else {}
        out[str(name)] = BaseTopic(
            str(name),
            str(spec.get("compatibility", defaults.get("compatibility", "BACKWARD"))),
            spec.get("value_schema"),
            spec.get("key_schema"),
        )
    for path in listed:
        if not path.endswith((".yaml", ".yml")) or path.rsplit("/", 1)[-1] in NOT_SERVICES:
            continue
        contract = document(path)
        if not isinstance(contract, dict):
            continue
        for entry in contract.get("consumes") or ():
            if isinstance(entry, dict) and entry.get("topic") in out:
                out[entry["topic"]].consumers.add(str(contract.get("service", path)))
    return out


def _changed(catalog: Catalog, subject: Subject, base: BaseTopic, base_path: str, changed: set[str]) -> bool:
    files = {subject.schema.file.as_posix()} | {
        d.file.as_posix() for d in dependencies(catalog, subject.schema)
    }
    if subject.kind == "value":
        for service in catalog.services:
            reader = service.reader_schemas.get(subject.topic.name)
            if reader is not None:
                files |= {reader.file.as_posix()} | {d.file.as_posix() for d in dependencies(catalog, reader)}
    return bool(files & changed) or base_path != subject.schema.file.as_posix() or base.level != subject.level


def check_against_git(
    catalog: Catalog,
    subjects: Sequence[Subject],
    ref: str,
    *,
    all_subjects: bool = False,
    include_removed: bool = True,
    documents: Mapping[str, Any] | None = None,
) -> Report:
    """Check `subjects` of the working tree against `ref`; see the module docstring.

    `documents` are the working tree's contract documents as `load_catalog` parsed them; those
    unchanged at `ref` are reused for the base instead of being parsed again.
    """
    with Repo(catalog.root) as repo:
        commit = repo.resolve(ref)
        report = Report(against=f"git {ref} ({commit[:12]})")
        changed = repo.changed_paths(commit, ["contracts", "schemas"])
        same = {path: doc for path, doc in (documents or {}).items() if path not in changed}
        base = base_topics(repo, commit, same)
        shallow = repo.is_shallow()
        git = GitVersions(repo)
        lines = Lines(_display(catalog, git))
        try:
            todo = [
                (subject, status, path)
                for subject in subjects
                for status, path in [_status(catalog, subject, base, changed, all_subjects)]
                if status is not None
            ]
            # what every subject needs read in one batch: one round trip to git, not one each
            levels = [(Level.parse(subject.level), path) for subject, _, path in todo if path]
            git.prefetch_versions(
                commit,
                [path for level, path in levels if level is not Level.NONE and not level.transitive],
                [] if shallow else [path for level, path in levels if level.transitive],
            )  # (a shallow clone fails below, naming the subject)
            for subject, status, path in todo:
                report.subjects.append(
                    _check_subject(catalog, subject, status, path, git, commit, ref, shallow, lines)
                )
        finally:
            git.close()
        report.notes.extend(git.skipped)
        if include_removed:
            current = {t.name for t in catalog.topics}
            for name, topic in base.items():
                if name not in current and topic.consumers:
                    report.subjects.append(_removed(topic, ref))
    return report


def _display(catalog: Catalog, git: GitVersions):  # noqa: ANN202 - a str -> str function
    relative = relative_display(catalog.root)
    return lambda file: relative(git.display(file))


def _status(
    catalog: Catalog, subject: Subject, base: dict[str, BaseTopic], changed: set[str], all_subjects: bool
) -> tuple[str | None, str | None]:
    """(new | changed | unchanged, or None to skip; the subject's schema file at the base ref)."""
    topic = base.get(subject.topic.name)
    base_path = (
        None if topic is None else (topic.value_schema if subject.kind == "value" else topic.key_schema)
    )
    if topic is None or base_path is None:
        return "new", base_path
    if _changed(catalog, subject, topic, base_path, changed):
        return "changed", base_path
    return ("unchanged" if all_subjects else None), base_path


def _check_subject(
    catalog: Catalog,
    subject: Subject,
    status: str,
    base_path: str | None,
    git: GitVersions,
    commit: str,
    ref: str,
    shallow: bool,
    lines: Lines,
) -> SubjectReport:
    entry = SubjectReport(subject.name, subject.level, status, subject.schema.file.as_posix())
    new = parse_file(catalog, subject.schema)
    level = Level.parse(subject.level)
    history: list[Version] = []
    if base_path is not None and level is not Level.NONE:
        if level.transitive:
            if shallow:
                raise EnvironmentProblem(
                    f"{subject.name} is {level}: its check needs every version of {base_path}, "
                    f"and this clone's history is cut off",
                    hint=DEEPEN_HINT,
                )
            history = git.versions(commit, base_path)
        else:
            latest = git.latest(commit, base_path)
            history = [latest] if latest else []
    if history:
        entry.checked.append(
            f"{len(history)} version(s) of {base_path} at {ref}"
            if level.transitive
            else f"{base_path} at {ref}"
        )
        entry.findings.extend(_level_findings(level, new, history, ref, lines, git))
        latest = f"{base_path} at {ref}"
        entry.findings.extend(lines.finding(f, latest) for f in lint(history[-1].schema, new))
    if subject.kind == "value":
        entry.findings.extend(check_consumers(catalog, subject, new, lines, entry.checked))
    return entry


def _level_findings(
    level: Level, new: AvroSchema, history: list[Version], ref: str, lines: Lines, git: GitVersions
) -> list[Finding]:
    result = check_level(level, new, [v.schema for v in history], versions=[v.number for v in history])
    if not result.findings:
        return []
    # Check the failing version again, parsed from a file, so its findings carry line:col there.
    failing = next(v for v in history if v.number == result.findings[0].version)
    located = git.parse(failing.commit, failing.path, located=True)
    if located is not None:
        result = check_level(level, new, [located], versions=[failing.number])
    label = failing.label if level.transitive else f"{ref} ({failing.commit[:12]}:{failing.path})"
    return [lines.finding(f, label) for f in result.findings]


def _removed(topic: BaseTopic, ref: str) -> SubjectReport:
    consumers = ", ".join(sorted(topic.consumers))
    finding = Finding(
        rule="REMOVED_TOPIC_HAS_CONSUMERS",
        location="/topics/" + topic.name,
        message=f"topic {topic.name!r} was removed but {consumers} consumed it at {ref}",
        reason=f"{consumers} still read {topic.name!r} where this change is deployed on top of {ref}; "
        "removing the topic or its subject breaks them",
        hint=f"first remove {topic.name!r} from the consumes: of {consumers} and deploy that, "
        "then remove the topic",
        place=Place(TOPICS),
        against=f"{ref}:{TOPICS}",
    )
    return SubjectReport(
        f"{topic.name}-value", topic.level, "removed", topic.value_schema, [f"{ref}"], [finding]
    )
