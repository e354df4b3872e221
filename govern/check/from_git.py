"""`govern check --against REF`: the working tree's schemas against a git ref, no registry needed.

The base is the catalog at the ref (`govern.catalog.catalog_at`: the same loader as the working
tree, read from git objects), so its subjects follow the same layout rules and subject name
strategies; a base that cannot be read (a note says why) leaves every subject new, so the change
that repairs it is not blocked. A subject is *changed* when its self-contained schema, a
consumer's pinned reader or its level differs from the base's. Transitive levels compare with
every version of the schema in the ref's history (`govern.check.history`), the others with the
schema at the ref only. A shallow clone is fine for non-transitive levels and an error (exit 3,
with how to deepen) for transitive ones, since their answer needs the whole history.
"""

from __future__ import annotations

from collections import ChainMap
from collections.abc import Callable, Sequence

from govern.catalog import Catalog, SchemaRef, Subject, Topic
from govern.catalog.git import DEEPEN_HINT, Repo
from govern.catalog.loader import catalog_at
from govern.check.consumers import check_consumers
from govern.check.history import GitVersions, Version, schema_files
from govern.check.model import Finding, Place, Report, SubjectReport
from govern.check.subjects import Lines, event_type_causes, relative_display
from govern.compat import Level, check_level
from govern.compat.lint import lint
from govern.errors import EnvironmentProblem, InputError


def check_against_git(
    catalog: Catalog,
    subjects: Sequence[Subject],
    ref: str,
    *,
    all_subjects: bool = False,
    include_removed: bool = True,
    config: object = None,
) -> Report:
    """Check `subjects` of the working tree against `ref`; see the module docstring."""
    with Repo(catalog.root) as repo:
        commit = repo.resolve(ref)
        report = Report(against=f"git {ref} ({commit[:12]})")
        try:
            base = catalog_at(repo, commit, config=config, worktree=catalog, label=ref)
        except InputError as error:  # a broken base must not block the change that repairs it
            report.notes.append(f"{error.message}: the base cannot be read, every subject is checked as new")
            base = None
        shallow = repo.is_shallow()
        git = GitVersions(repo, catalog.sources.directory)
        compiled = ChainMap(catalog.sources.compiled, git.compiled, base.sources.compiled if base else {})
        lines = Lines(relative_display(catalog.root), _texts(base, ref, git), compiled)
        for subject in subjects:
            before = _base_subject(base, subject.name)
            if before is None:
                status = "new"
            elif _differs(catalog, subject, base, before):  # type: ignore[arg-type]
                status = "changed"
            elif all_subjects:
                status = "unchanged"
            else:
                continue
            report.subjects.append(
                _check_subject(catalog, subject, status, base, before, git, commit, ref, shallow, lines)
            )
        report.notes.extend(git.skipped)
        if include_removed and base is not None:
            current = {t.name for t in catalog.topics}
            for topic in base.topics:
                if topic.name not in current and topic.consumers:
                    report.subjects.append(_removed(topic, ref, base))
    return report


def _base_subject(base: Catalog | None, name: str) -> Subject | None:
    if base is None:
        return None
    try:
        return base.subject(name)
    except KeyError:
        return None


def _texts(base: Catalog | None, ref: str, git: GitVersions) -> Callable[[str], str | None]:
    """Texts of files named `<ref>:<path>` (the base's) or `<commit12>:<path>` (older versions')."""
    prefix = f"{ref}:"

    def text(display: str) -> str | None:
        if display in git.texts:
            return git.texts[display]
        if base is not None and display.startswith(prefix):
            return base.sources.tree.read(display[len(prefix) :])
        return None

    return text


def _differs(catalog: Catalog, subject: Subject, base: Catalog, before: Subject) -> bool:
    if subject.level != before.level or not _same(catalog, base, subject.schema, before.schema):
        return True
    if not subject.whole_value:
        return False
    topic = subject.topic.name
    now = {s.name: s.reader_schemas[topic] for s in catalog.services if topic in s.reader_schemas}
    then = {s.name: s.reader_schemas[topic] for s in base.services if topic in s.reader_schemas}
    return now.keys() != then.keys() or not all(_same(catalog, base, now[n], then[n]) for n in now)


def _same(catalog: Catalog, base: Catalog, new: SchemaRef, old: SchemaRef) -> bool:
    """Whether two schemas are the same document: cheaply when the same type comes from files git
    says did not change, else by their self-contained forms."""
    tree = base.sources.tree
    if new == old and all(tree.same_as_worktree(rel) for rel in schema_files(catalog, new)):
        return True
    return new.expanded == old.expanded


def _check_subject(
    catalog: Catalog,
    subject: Subject,
    status: str,
    base: Catalog | None,
    before: Subject | None,
    git: GitVersions,
    commit: str,
    ref: str,
    shallow: bool,
    lines: Lines,
) -> SubjectReport:
    entry = SubjectReport(subject.name, subject.level, status, subject.schema.where)
    new = catalog.parse(subject.schema)
    level = Level.parse(subject.level)
    history: list[Version] = []
    if base is not None and before is not None and level is not Level.NONE:
        latest = base.parse(before.schema)
        where = before.schema.where
        if level.transitive:
            if shallow:
                raise EnvironmentProblem(
                    f"{subject.name} is {level}: its check needs every version of {where}, "
                    f"and this clone's history is cut off",
                    hint=DEEPEN_HINT,
                )
            history = git.versions(commit, base, before.schema, latest)
            entry.checked.append(f"{len(history)} version(s) of {where} at {ref}")
        else:
            history = [Version(1, commit, where, latest)]
            entry.checked.append(f"{where} at {ref}")
    if history:
        result = check_level(level, new, [v.schema for v in history], versions=[v.number for v in history])
        if result.findings:
            failing = next(v for v in history if v.number == result.findings[0].version)
            label = failing.label if level.transitive else f"{ref} ({failing.commit[:12]}:{failing.path})"
            causes = event_type_causes(result, new)
            entry.findings.extend(lines.finding(f, label) for f in causes)
        latest_label = f"{history[-1].path} at {ref}"
        entry.findings.extend(lines.finding(f, latest_label) for f in lint(history[-1].schema, new))
    if subject.whole_value:
        entry.findings.extend(check_consumers(catalog, subject, new, lines, entry.checked))
    return entry


def _removed(topic: Topic, ref: str, base: Catalog) -> SubjectReport:
    consumers = ", ".join(topic.consumers)
    topics_file = f"{base.contracts_dir}/topics.yaml"
    finding = Finding(
        rule="REMOVED_TOPIC_HAS_CONSUMERS",
        location="/topics/" + topic.name,
        message=f"topic {topic.name!r} was removed but {consumers} consumed it at {ref}",
        reason=f"{consumers} still read {topic.name!r} where this change is deployed on top of {ref}; "
        "removing the topic or its subject breaks them",
        hint=f"first remove {topic.name!r} from the consumes: of {consumers} and deploy that, "
        "then remove the topic",
        place=Place(topics_file),
        against=f"{ref}:{topics_file}",
    )
    return SubjectReport(
        topic.value_subject, topic.compatibility, "removed", topic.value_schema.where, [f"{ref}"], [finding]
    )
