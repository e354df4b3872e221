"""The reader/writer walk: Apache Avro Java 1.12 ``SchemaCompatibility``, rule for rule.

One recursive walk over (reader, writer) node pairs. Results are memoised per pair of node
identities; a pair met again while still being computed (a recursive type) counts as compatible
("compatible unless proven otherwise"). The location is a stack of path tokens pushed and
popped while descending; union sub-checks start from a fresh stack, as in Java. Java discards
their nested reasons; we keep those of the branch of the writer's type as the union finding's
``cause`` (verdicts and Avro's messages unchanged). Results are data: tuples of
``Incompatibility``; the only exception is ``CheckFailed`` for what Avro Java itself throws on.

Bounded work: a reader union of more than 16 branches is indexed by branch type and name, so a
writer branch is compared only with the reader branches that could read it (Avro's resolver
picks union branches the same way; every other branch is a certain TYPE_MISMATCH or
NAME_MISMATCH, which a union probe discards). A pair passed over is computed later, from a fresh
location, if the walk meets it again, so memoised findings are located as in Java. Results are
gathered in lists, never by repeated tuple concatenation. The walk
counts the pairs it computes and its depth against ``Limits`` and raises ``ComplexityExceeded``
beyond them, so no input costs more than the budget in time or memory.

Short-cuts for speed, none changing a verdict or a finding: a pair of primitives of the same
type is compatible without a memo entry, and so is a node against itself (except in a document
where a record has a field alias naming one of its own fields: Java throws on such a record
even against itself); record fields of the same primitive type are passed over without
pushing their location. (Comparing the self-contained text of whole subtrees, tried before,
cost more to compute on first contact than the walk it saved: see bench/compat.py.)
"""

from __future__ import annotations

import heapq
from collections.abc import Iterator
from itertools import groupby
from typing import Any, NamedTuple

from govern.avro.model import Node
from govern.compat.limits import Limits, current_limits, too_deep, too_many_pairs

_IN_PROGRESS: Any = object()
COMPATIBLE: tuple[Incompatibility, ...] = ()

# reader type -> writer types it can read besides its own (Avro promotions)
PROMOTIONS: dict[str, frozenset[str]] = {
    "long": frozenset({"int"}),
    "float": frozenset({"int", "long"}),
    "double": frozenset({"int", "long", "float"}),
    "bytes": frozenset({"string"}),
    "string": frozenset({"bytes"}),
}
PRIMITIVE_TYPES = frozenset({"null", "boolean", "int", "long", "float", "double", "bytes", "string"})


class Incompatibility(NamedTuple):
    """One raw incompatibility: Avro's type, location and message, the nodes and pointers involved."""

    rule: str
    location: str
    message: str
    reader_pointer: str
    writer_pointer: str
    reader_node: Node
    writer_node: Node
    context: dict[str, Any]


class CheckFailed(Exception):
    """What Avro Java raises (an ``AvroRuntimeException``); Confluent reports it as incompatible."""


def _location(tokens: list[str]) -> str:
    return "/" + "/".join(t.replace("~", "~0").replace("/", "~1") for t in tokens[1:])


def _join(pointer: str, token: str) -> str:
    return f"{pointer}/{token}"


class Checker:
    """A ``ReaderWriterCompatibilityChecker``: one per top-level check (the memo is per check)."""

    __slots__ = ("memo", "tokens", "limits", "max_pairs", "max_depth", "path", "unions", "parents", "probed")

    def __init__(self, limits: Limits | None = None) -> None:
        self.memo: dict[tuple[int, int], Any] = {}
        self.tokens: list[str] = [""]
        self.limits = limits or current_limits()
        self.max_pairs = self.limits.max_pairs
        self.max_depth = self.limits.check_depth
        self.path: list[tuple[int, int]] = []  # the pairs being computed, outermost first
        # Large unions only: their branch index, and what the probes passed over (branch id ->
        # (union id, position) for each indexed union holding it; (union id, writer id) -> the
        # position the probe has reached)
        self.unions: dict[int, _BranchIndex] = {}
        self.parents: dict[int, list[tuple[int, int]]] = {}
        self.probed: dict[tuple[int, int], int] = {}

    # -- entry points ---------------------------------------------------------------------------
    def check(self, reader: Node, writer: Node) -> tuple[Incompatibility, ...]:
        """All incompatibilities of reading data written with ``writer`` using ``reader``."""
        return self.fresh(reader, writer)

    def fresh(self, reader: Node, writer: Node) -> tuple[Incompatibility, ...]:
        """Java's 2-argument ``getCompatibility``: a new location stack rooted at ``""``."""
        saved = self.tokens
        self.tokens = [""]
        try:
            return self.compat(reader, writer)
        finally:
            self.tokens = saved

    def at(self, token: str, reader: Node, writer: Node) -> tuple[Incompatibility, ...]:
        """Descend one location token, check, and come back up."""
        self.tokens.append(token)
        try:
            return self.compat(reader, writer)
        finally:
            self.tokens.pop()

    def compat(self, reader: Node, writer: Node) -> tuple[Incompatibility, ...]:
        """Memoised check of one pair at the current location, within the budget.

        Same-type primitives and a node against itself are compatible at once (not in
        ``ambiguous`` documents: there Java's walk of the same record throws).
        """
        if reader.type == writer.type:
            if reader.type in PRIMITIVE_TYPES:
                return COMPATIBLE
            if reader is writer and not reader.ambiguous:
                return COMPATIBLE
        key = (id(reader), id(writer))
        memo = self.memo
        result = memo.get(key)
        if result is not None:
            return COMPATIBLE if result is _IN_PROGRESS else result
        path = self.path
        if len(memo) >= self.max_pairs:
            raise too_many_pairs(self.limits)
        if len(path) >= self.max_depth:
            raise too_deep(self.limits)
        saved = None
        if self.parents and key[0] in self.parents and self.passed_over(key):
            # Java computed this pair in an earlier union probe that we passed over: compute it as
            # then, from a fresh location, so that its memoised findings are located as in Java
            saved, self.tokens = self.tokens, [""]
        memo[key] = _IN_PROGRESS
        path.append(key)
        try:
            result = self.calculate(reader, writer)
        finally:
            path.pop()
            if saved is not None:
                self.tokens = saved
        memo[key] = result
        return result

    def passed_over(self, key: tuple[int, int]) -> bool:
        """Whether a probe of a large union holding the reader against the writer went past the
        reader's position without comparing them: Java would have computed the pair there."""
        probed = self.probed
        writer = key[1]
        return any(probed.get((union, writer), -1) > position for union, position in self.parents[key[0]])

    # -- the rules ------------------------------------------------------------------------------
    def incompatible(
        self,
        rule: str,
        message: str,
        reader: Node,
        writer: Node,
        reader_pointer: str,
        writer_pointer: str,
        **context: Any,
    ) -> Incompatibility:
        return Incompatibility(
            rule, _location(self.tokens), message, reader_pointer, writer_pointer, reader, writer, context
        )

    def incompatible_at(
        self, token: str, rule: str, message: str, reader: Node, writer: Node, **context: Any
    ) -> tuple[Incompatibility, ...]:
        """One incompatibility in the attribute `token` ("name", "size", "symbols"), located there."""
        self.tokens.append(token)
        pointers = _join(reader.pointer, token), _join(writer.pointer, token)
        try:
            return (self.incompatible(rule, message, reader, writer, *pointers, **context),)
        finally:
            self.tokens.pop()

    def type_mismatch(self, reader: Node, writer: Node) -> tuple[Incompatibility, ...]:
        return (
            self.incompatible(
                "TYPE_MISMATCH",
                f"reader type: {reader.upper} not compatible with writer type: {writer.upper}",
                reader,
                writer,
                reader.pointer,
                writer.pointer,
                reader_type=reader.type,
                writer_type=writer.type,
            ),
        )

    def calculate(self, reader: Node, writer: Node) -> tuple[Incompatibility, ...]:
        rtype = reader.type
        wtype = writer.type
        if rtype == wtype:
            if rtype in PRIMITIVE_TYPES:
                return COMPATIBLE
            if rtype == "record":
                return self.names(reader, writer) + self.record_fields(reader, writer)
            if rtype == "array":
                return self.at("items", reader.items, writer.items)  # type: ignore[arg-type]
            if rtype == "map":
                return self.at("values", reader.values, writer.values)  # type: ignore[arg-type]
            if rtype == "enum":
                return self.names(reader, writer) + self.enum_symbols(reader, writer)
            if rtype == "fixed":
                return self.names(reader, writer) + self.fixed_size(reader, writer)
            return self.union_union(reader, writer)
        if wtype == "union":
            # a non-union reader must read every writer branch; nested reasons are kept and,
            # since Avro 1.12 (AVRO-3612), located under the writer branch index
            found: list[Incompatibility] = []
            for index, branch in enumerate(writer.branches):
                found += self.at(str(index), reader, branch)
            return tuple(found)
        if rtype == "union":
            branches = reader.branches
            # the cause: why the branch of the writer's type (and, if named, name) cannot read it
            cause: tuple[Incompatibility, ...] = COMPATIBLE
            if len(branches) <= _SMALL_UNION:  # probe every branch, as Java does
                if wtype in PRIMITIVE_TYPES:  # the usual case: the same primitive is a branch, so no
                    for branch in branches:  # mismatch against the other branches is built
                        if branch.type == wtype:
                            return COMPATIBLE
                for branch in branches:
                    found = self.fresh(branch, writer)
                    if not found:
                        return COMPATIBLE
                    if not cause and branch.type == wtype and _same_name(branch, writer):
                        cause = found
            else:
                probe = (id(reader), id(writer))
                for position in self.candidates(reader, writer):
                    self.probed[probe] = position
                    branch = branches[position]
                    if branch.type == wtype and wtype in PRIMITIVE_TYPES:
                        return COMPATIBLE
                    found = self.fresh(branch, writer)
                    if not found:
                        return COMPATIBLE
                    if not cause and branch.type == wtype and _same_name(branch, writer):
                        cause = found
                self.probed[probe] = len(branches)
            return (
                self.incompatible(
                    "MISSING_UNION_BRANCH",
                    f"reader union lacking writer type: {writer.upper}",
                    reader,
                    writer,
                    reader.pointer,
                    writer.pointer,
                    writer_type=writer.upper,
                    writer_type_lower=writer.fullname or writer.type,
                    cause=cause,
                ),
            )
        if wtype in PROMOTIONS.get(rtype, ()):
            return COMPATIBLE
        return self.type_mismatch(reader, writer)

    def candidates(self, union: Node, writer: Node) -> Iterator[int]:
        """Positions of the branches of a large reader union that could read ``writer`` (not a union), in
        branch order: the same type with the same short name or an alias of the writer's full name
        (named types), the same type (array, map, primitives), a promotion, or a pair already being
        computed (which counts as compatible, as in Java). Any other branch is a certain type or
        name mismatch, discarded by the union probe, so it is passed over."""
        index = self.unions.get(id(union))
        if index is None:
            index = self.unions[id(union)] = _BranchIndex(union)
            for position, branch in enumerate(union.branches):
                self.parents.setdefault(id(branch), []).append((id(union), position))
        wtype = writer.type
        if wtype in _NAMED:
            keys = [(wtype, writer.name), (wtype, "=" + (writer.fullname or ""))]
        else:
            keys = [(wtype, None)] + [(other, None) for other in _PROMOTED_TO.get(wtype, ())]
        keys.append(_ANY)
        lists = [found for found in map(index.by_key.get, keys) if found]
        wid = id(writer)
        active = sorted(index.by_id[r] for r, w in self.path if w == wid and r in index.by_id)
        if active:
            lists.append(active)
        if len(lists) == 1:
            return iter(lists[0])
        return (position for position, _ in groupby(heapq.merge(*lists)))

    def union_union(self, reader: Node, writer: Node) -> tuple[Incompatibility, ...]:
        result: list[Incompatibility] = []
        for index, branch in enumerate(writer.branches):
            self.tokens.append(str(index))
            found = self.fresh(reader, branch)
            if found:
                result.append(
                    self.incompatible(
                        "MISSING_UNION_BRANCH",
                        f"reader union lacking writer type: {branch.upper}",
                        reader,
                        writer,
                        reader.pointer,
                        branch.pointer,
                        writer_type=branch.upper,
                        writer_type_lower=branch.fullname or branch.type,
                        cause=found[0].context.get("cause", COMPATIBLE),
                    )
                )
            self.tokens.pop()
        return tuple(result)

    def names(self, reader: Node, writer: Node) -> tuple[Incompatibility, ...]:
        """``schemaNameEquals``: same short name, or a reader alias equal to the writer's full name."""
        if reader.name == writer.name or writer.fullname in reader.aliases:
            return COMPATIBLE
        return self.incompatible_at(
            "name",
            "NAME_MISMATCH",
            f"expected: {writer.fullname}",
            reader,
            writer,
            kind=reader.type,
            reader_name=reader.fullname,
            writer_name=writer.fullname,
            writer_short=writer.name,
        )

    def fixed_size(self, reader: Node, writer: Node) -> tuple[Incompatibility, ...]:
        if reader.size == writer.size:
            return COMPATIBLE
        return self.incompatible_at(
            "size",
            "FIXED_SIZE_MISMATCH",
            f"expected: {writer.size}, found: {reader.size}",
            reader,
            writer,
            name=reader.fullname,
            reader_size=reader.size,
            writer_size=writer.size,
        )

    def enum_symbols(self, reader: Node, writer: Node) -> tuple[Incompatibility, ...]:
        missing = [s for s in writer.symbols if s not in reader.symbol_set]
        if not missing:
            return COMPATIBLE
        if reader.enum_default is not None and reader.enum_default in reader.symbol_set:
            return COMPATIBLE
        missing.sort()  # Java TreeSet order (symbols are ASCII names, so code-point order agrees)
        listed = ("symbol " if len(missing) == 1 else "symbols ") + ", ".join(f"`{s}`" for s in missing)
        return self.incompatible_at(
            "symbols",
            "MISSING_ENUM_SYMBOLS",
            "[" + ", ".join(missing) + "]",
            reader,
            writer,
            name=reader.fullname,
            symbols=missing,
            symbols_text=listed,
            symbols_hint=listed,
        )

    def record_fields(self, reader: Node, writer: Node) -> tuple[Incompatibility, ...]:
        result: list[Incompatibility] = []
        tokens = self.tokens
        tokens.append("fields")
        wmap = writer.field_map
        for rfield in reader.fields:
            wfield = wmap.get(rfield.name)
            if rfield.aliases:
                matches = [wfield] if wfield is not None else []
                for alias in rfield.aliases:
                    other = wmap.get(alias)
                    if other is not None:
                        matches.append(other)
                if len(matches) > 1:
                    from govern.avro.writer import java_string

                    raise CheckFailed(
                        f"Reader record field {rfield.name} type:{rfield.type.upper} pos:{rfield.pos} "
                        f"matches multiple fields in writer record schema {java_string(writer)}"
                    )
                wfield = matches[0] if matches else None
            if wfield is not None:
                if rfield.type_ref.__class__ is str and rfield.type_ref == wfield.type_ref:
                    continue  # the same primitive, by name: compatible, and no type node is built
                rtype, wtype = rfield.type, wfield.type
                if rtype.type == wtype.type and rtype.type in PRIMITIVE_TYPES:
                    continue  # compatible, nothing to locate: the common case, kept cheap
                tokens.append(str(rfield.pos))
                result += self.at("type", rtype, wtype)
            elif not rfield.has_default:
                tokens.append(str(rfield.pos))
                ftype = rfield.type
                if ftype.type == "enum" and ftype.enum_default is not None:
                    # Java quirk: compares the enum with the writer *record* -> TYPE_MISMATCH
                    result += self.at("type", ftype, writer)
                else:
                    result.append(
                        self.incompatible(
                            "READER_FIELD_MISSING_DEFAULT_VALUE",
                            rfield.name,
                            reader,
                            writer,
                            rfield.pointer,
                            writer.pointer,
                            field=rfield.name,
                        )
                    )
            else:
                continue
            tokens.pop()
        tokens.pop()
        return tuple(result)


_SMALL_UNION = 16  # unions up to this many branches are probed branch by branch, as in Java
_NAMED = frozenset({"record", "enum", "fixed"})
_ANY = ("*", None)  # branches every writer is compared with (a nested union, only in lenient input)
# writer type -> reader types that read it by promotion
_PROMOTED_TO: dict[str, tuple[str, ...]] = {}
for _reader, _writers in PROMOTIONS.items():
    for _writer in _writers:
        _PROMOTED_TO[_writer] = (*_PROMOTED_TO.get(_writer, ()), _reader)


class _BranchIndex:
    """A union's branch positions by (type, short name), (type, "=" + alias), (type, None) and by
    node identity: built once per union per check, linear in its branches."""

    __slots__ = ("by_key", "by_id")

    def __init__(self, union: Node) -> None:
        self.by_key: dict[tuple[str, str | None], list[int]] = {}
        self.by_id: dict[int, int] = {}
        for position, branch in enumerate(union.branches):
            self.by_id.setdefault(id(branch), position)
            kind = branch.type
            if kind in _NAMED:
                keys = [(kind, branch.name)] + [(kind, "=" + alias) for alias in branch.aliases]
            elif kind == "union":
                keys = [_ANY]
            else:
                keys = [(kind, None)]
            for key in keys:
                self.by_key.setdefault(key, []).append(position)


def _same_name(reader: Node, writer: Node) -> bool:
    """Whether a reader branch stands for the writer's type: unnamed, or named as it (or aliasing it)."""
    return writer.fullname is None or reader.name == writer.name or writer.fullname in reader.aliases


def check_nodes(reader: Node, writer: Node, limits: Limits | None = None) -> tuple[Incompatibility, ...]:
    """Run one top-level reader/writer check (fresh memo); may raise ``CheckFailed``, and
    ``ComplexityExceeded`` when the check needs more than ``limits`` (default: the environment's)."""
    try:
        return Checker(limits).check(reader, writer)
    except RecursionError:  # a caller already deep in its own stack: still the depth budget
        raise too_deep(limits or current_limits()) from None
