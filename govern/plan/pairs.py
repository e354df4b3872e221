"""A memoised "can this reader read that writer?" oracle over canonical schema keys.

The planner and the proof ask about the same (reader, writer) pairs many times (every state
repeats most of the previous one), so the answer is computed once per pair of canonical keys.
The counters feed the proof summary and the benchmark.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from govern.plan.model import FindingLike, Issue, SchemaRef

CanRead = Callable[[Any, Any], Sequence[FindingLike]]
"""`can_read(reader, writer)` returns why the reader cannot read the writer (empty: it can)."""

Explain = Callable[[Any, Any, str, str], Sequence[FindingLike]]
"""`explain(reader, writer, reader_role, writer_role)`: the same findings, worded for these roles."""


class PairChecker:
    """Wraps a compatibility function with a memo keyed by (reader key, writer key).

    `explain`, when given, words the findings of a failing pair for the sides ("old"/"new") the
    reader and writer are on, so that hints edit the new schema even when an old reader fails.
    """

    def __init__(self, can_read: CanRead, explain: Explain | None = None) -> None:
        self._can_read = can_read
        self._explain = explain
        self._memo: dict[tuple[str, str], tuple[Issue, ...]] = {}
        self._worded: dict[tuple[str, str, str, str], tuple[Issue, ...]] = {}
        self.lookups = 0

    @property
    def distinct_pairs(self) -> int:
        """How many distinct (reader, writer) pairs were decided."""
        return len(self._memo)

    def issues(self, reader: SchemaRef, writer: SchemaRef) -> tuple[Issue, ...]:
        """Why `reader` cannot read records written with `writer`; empty when it can."""
        self.lookups += 1
        key = (reader.key, writer.key)
        found = self._memo.get(key)
        if found is None:
            # A schema always reads its own records: no need to ask compat about identical keys.
            found = (
                ()
                if reader.key == writer.key
                else tuple(Issue.of(f) for f in self._can_read(reader.value, writer.value))
            )
            self._memo[key] = found
        return found

    def explained(
        self, reader: SchemaRef, writer: SchemaRef, reader_role: str, writer_role: str
    ) -> tuple[Issue, ...]:
        """`issues`, worded for the roles of the reader and the writer (once per failing pair and roles)."""
        issues = self.issues(reader, writer)
        if not issues or self._explain is None:
            return issues
        key = (reader.key, writer.key, reader_role, writer_role)
        found = self._worded.get(key)
        if found is None:
            found = tuple(
                Issue.of(f) for f in self._explain(reader.value, writer.value, reader_role, writer_role)
            )
            self._worded[key] = found
        return found


def compat_can_read(reader: Any, writer: Any) -> Sequence[FindingLike]:
    """The real oracle: `govern.compat.check_pair` (imported late so the planner loads without it)."""
    from govern.compat import check_pair

    result = check_pair(reader, writer)
    return [] if result.compatible else list(result.findings)


def compat_explain(reader: Any, writer: Any, reader_role: str, writer_role: str) -> Sequence[FindingLike]:
    """`govern.compat`'s findings of a failing pair, with the roles in their reasons and hints."""
    from govern.avro.schema import ensure_schema
    from govern.compat.pair import findings_for

    return findings_for(ensure_schema(reader), ensure_schema(writer), reader_role, writer_role)
