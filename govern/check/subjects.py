"""The subjects the contracts declare, their schemas parsed with positions, and findings made readable.

Subjects are named by each topic's `subject_strategy` (`govern.catalog.subject_name`): under
`topic` a topic declares `<topic>-value` (and `<topic>-key` when it has an Avro key); under
`record` / `topic_record` one subject per event type. Schemas are parsed by the catalog with
`govern.avro`, the files they reference as registry references, so every finding can name
file:line:col in both schemas and show the offending lines.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Sequence

from govern.avro import AvroSchema
from govern.catalog import Catalog, Subject
from govern.compat.findings import Result
from govern.errors import InputError
from govern.report.model import Finding
from govern.report.sources import Lines, relative_display

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
    multi-event topic's subject) replaced by its causes: what broke inside the event type of that
    name, located under the union's branch (`/1/fields/1/type`).

    Avro Java reports only that the union lacks a branch for the old event type; the cause (a
    field of that type, with its file:line) is what the author needs. The verdict is unchanged.
    """
    if new.type != "union":
        return list(result.findings)
    out: list[Finding] = []
    for f in result.findings:
        replaced = f.rule == "MISSING_UNION_BRANCH" and f.causes and f.location[1:].isdigit()
        out.extend(f.causes if replaced else (f,))
    return out
