"""The subjects the contracts declare, their schemas parsed with positions, and findings made readable.

Subjects are named by each topic's `subject_strategy` (`govern.catalog.subject_name`): under
`topic` a topic declares `<topic>-value` (and `<topic>-key` when it has an Avro key); under
`record` / `topic_record` one subject per event type. Schemas are parsed by the catalog with
`govern.avro`, the files they reference as registry references, so every finding can name
file:line:col in both schemas and show the offending lines.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import replace
from pathlib import Path

from govern.avro import AvroSchema, Position
from govern.catalog import Catalog, Subject
from govern.catalog.sources import SchemaFile, source_position
from govern.check.model import CheckFinding, Place
from govern.compat import Finding
from govern.compat.findings import Result
from govern.compat.pair import findings_for
from govern.errors import InputError

__all__ = [
    "Lines",
    "Subject",
    "declared_subjects",
    "event_type_causes",
    "relative_display",
    "select",
]


def declared_subjects(catalog: Catalog) -> list[Subject]:
    """Every subject of the catalog, in topics.yaml order (value before key)."""
    return list(catalog.subjects)


def select(subjects: Sequence[Subject], wanted: Iterable[str]) -> list[Subject]:
    """The subjects named in `wanted` (all when empty); an undeclared name is bad input, not a pass."""
    wanted = list(wanted)
    if not wanted:
        return list(subjects)
    by_name = {s.name: s for s in subjects}
    for name in wanted:
        if name not in by_name:
            close = difflib.get_close_matches(name, list(by_name), n=1)
            raise InputError(
                f"unknown subject {name!r}: not declared in contracts/topics.yaml",
                hint=f"did you mean {close[0]!r}?"
                if close
                else "declare its topic in contracts/topics.yaml (subjects follow its subject_strategy)",
            )
    return [s for s in subjects if s.name in set(wanted)]


def event_type_causes(result: Result, new: AvroSchema) -> list[Finding]:
    """`result`'s findings, each MISSING_UNION_BRANCH between two unions of event types (a
    multi-event topic's subject) replaced by what broke inside the event type of that name.

    Avro Java reports only that the union lacks a branch for the old event type; the cause (a
    field of that type, with its file:line) is what the author needs. The verdict is unchanged.
    """
    out: list[Finding] = []
    for finding in result.findings:
        old = result.old_schemas.get(finding.version) if finding.version is not None else None
        index = finding.location[1:]
        if (
            finding.rule != "MISSING_UNION_BRANCH"
            or old is None
            or new.type != "union"
            or old.type != "union"
            or not index.isdigit()
        ):
            out.append(finding)
            continue
        reader, writer = (new, old) if finding.reader_role == "new" else (old, new)
        name = writer.root.branches[int(index)].fullname
        nested = (
            findings_for(
                reader.named(name),
                writer.named(name),
                finding.reader_role,
                finding.writer_role,
                finding.version,
            )
            if name is not None and name in reader.named_types
            else []
        )
        out.extend(replace(n, location=f"/{index}{n.location.rstrip('/')}") for n in nested)
        if not nested:
            out.append(finding)
    return out


class Lines:
    """Reads (and caches) file lines to show the offending line of a position."""

    def __init__(
        self,
        display: Callable[[str], str] = str,
        texts: Callable[[str], str | None] | None = None,
        compiled: Mapping[str, SchemaFile] | None = None,
    ) -> None:
        self._cache: dict[str, list[str]] = {}
        self.display = display
        self.texts = texts  #: the text of a file not on disk (e.g. `<commit12>:<path>`), if known
        self.compiled = compiled  #: files compiled to JSON (Avro IDL): positions shown in the source

    def place(self, pos: Position | None) -> Place | None:
        """A `Place` for a position in a file (None when the schema was not read from a file)."""
        if pos is None or pos.file is None:
            return None
        if self.compiled:
            pos = source_position(self.compiled, pos)
        lines = self._cache.get(pos.file)
        if lines is None:
            text = self.texts(pos.file) if self.texts else None
            if text is None:
                try:
                    text = Path(pos.file).read_text(encoding="utf-8")
                except OSError:
                    text = ""
            lines = text.splitlines()
            self._cache[pos.file] = lines
        text = lines[pos.line - 1].strip() if 0 < pos.line <= len(lines) else ""
        return Place(self.display(pos.file), pos.line, pos.column, text)


def to_check_finding(finding: Finding, new_role: str, against: str, lines: Lines) -> CheckFinding:
    """A compat finding as a check finding: `place` on the side whose role is `new_role`."""
    reader = lines.place(finding.reader_pos)
    writer = lines.place(finding.writer_pos)
    place, other = (reader, writer) if finding.reader_role == new_role else (writer, reader)
    return CheckFinding(
        rule=finding.rule,
        location=finding.location,
        message=finding.message,
        reason=finding.reason,
        hint=finding.hint,
        place=place,
        other=other,
        against=against,
    )


def relative_display(root: Path) -> Callable[[str], str]:
    """Show files under `root` relative to it (as contracts name them), others unchanged."""
    base = str(Path(root).resolve())

    def display(file: str) -> str:
        resolved = str(Path(file).resolve())
        if resolved.startswith(base + "/"):
            return resolved[len(base) + 1 :]
        return file

    return display
