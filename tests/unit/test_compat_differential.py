"""Differential test: govern.compat against Apache Avro's Python checker on generated evolutions.

Java (Avro 1.12 ``SchemaCompatibility``) is our reference; the Python port (``avro.compatibility``)
agrees with it on verdicts and incompatibility types except where listed in ``KNOWN_DIFFERENCES``.
Each pair is compared in both directions (new reads old, old reads new) on:

1. the verdict, 2. the set of incompatibility types, 3. the set of messages, 4. the set of
locations, after the ``NORMALISATIONS`` below (reporting differences that are the same finding).

A pair in a known-difference class is never compared silently: it is either asserted to differ in
exactly the documented way (``emulated``: rewriting the input the way Python reads it makes the two
engines agree exactly) or skipped with a counted reason after asserting Python's own symptom.
A fresh ``ReaderWriterCompatibilityChecker`` is used per check: it memoises on ``id()``.
"""

from __future__ import annotations

import ast
import json
import random
import re
import warnings
from collections import Counter
from dataclasses import dataclass
from typing import Any

import avro.errors
import avro.schema
import avro_generators as gen  # noqa: E402
import pytest
from avro.compatibility import ReaderWriterCompatibilityChecker, SchemaCompatibilityType
from avro.errors import AvroRuntimeException

from govern.avro.model import Node
from govern.avro.parser import Names, SchemaSource, parse_document
from govern.compat import check_pair
from govern.compat.rules import Checker, CheckFailed, Incompatibility, _location

# Known differences between Python avro and Java (our reference). Key: class name. Value: what
# differs and how the test handles it ("emulated" = asserted to differ exactly that way).
KNOWN_DIFFERENCES: dict[str, str] = {
    "alias_namespace": (
        "Python compares a reader type alias as the raw string with the writer's full name; Java first "
        "qualifies a dotless alias with the reader type's namespace. Emulated: with each reader alias "
        "replaced by its raw string, ours equals Python exactly (and Python reports NAME_MISMATCH or "
        "MISSING_UNION_BRANCH where Java is compatible)."
    ),
    "field_alias_double_match": (
        "A reader field whose name and alias both match writer fields: Java throws (Confluent: "
        "incompatible, our CHECK_FAILED); Python silently uses the direct match. Asserted: ours is exactly "
        "one CHECK_FAILED finding; Python answers without raising."
    ),
    "error_type": (
        'Python cannot check "type": "error" records: error vs error raises "Unknown schema type: error", '
        "record vs error is a TYPE_MISMATCH; Java treats an error as a record. Skipped after asserting "
        "that Python symptom."
    ),
    "null_namespace_reference": (
        "A dotless reference, inside a namespace, to a type of the null namespace: Java looks the name up "
        "in the enclosing namespace, then in the null namespace; Python only in the enclosing one, so it "
        "cannot parse the schema. Skipped after asserting that parse error."
    ),
    "empty_namespace": (
        'Python reads "namespace": "" as "inherit the enclosing namespace"; Java as the null namespace. '
        "That changes full names (NAME_MISMATCH messages, alias matching). Emulated: ours on the documents "
        'with every "namespace": "" removed equals Python on the originals exactly.'
    ),
}

# Reporting differences, normalised on every comparison (these are the same finding).
NORMALISATIONS: dict[str, str] = {
    "type_names": "TYPE_MISMATCH messages: Python writes type names lower-case (int, record).",
    "union_message": "reader union vs non-union writer: Python says 'reader union lacking writer type int' "
    "(no colon, lower-case); union vs union messages are identical.",
    "enum_symbols": "MISSING_ENUM_SYMBOLS: Python's message is str(set) ({'B', 'A'}), Java's a sorted list "
    "([A, B]): compared as sets of symbols.",
    "writer_union_location": "non-union reader vs union writer: Java 1.12 (AVRO-3612) locates nested "
    "findings under the writer branch index (/fields/0/type/1/...); Python restarts at / for each branch.",
    "root_location_noise": "Python's merge adds '/' to the location set whenever an incompatible result is "
    "merged with a compatible one: '/' is compared only one way (ours => Python).",
    "sets": "Python reports sets of messages and locations (no order, no duplicates): compared as sets.",
}


@dataclass
class Outcome:
    """One engine's answer for one direction, normalised for comparison."""

    compatible: bool
    rules: frozenset[str]
    messages: frozenset[Any]
    locations: frozenset[str]


# -- Python avro --------------------------------------------------------------------------------------


def python_check(reader: dict[str, Any], writer: dict[str, Any]) -> Outcome:
    """Apache avro's verdict with its messages normalised (a fresh checker per check)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        r = avro.schema.parse(json.dumps(reader))
        w = avro.schema.parse(json.dumps(writer))
    result = ReaderWriterCompatibilityChecker().get_compatibility(r, w)
    compatible = result.compatibility is SchemaCompatibilityType.compatible
    messages = frozenset(_python_message(m) for m in result.messages)
    return Outcome(
        compatible,
        frozenset(i.name.upper() for i in result.incompatibilities),
        messages,
        frozenset(result.locations) if not compatible else frozenset(),
    )


def _python_message(message: str) -> Any:
    if message.startswith("{") and message.endswith("}"):  # MISSING_ENUM_SYMBOLS: str(set)
        return ("symbols", frozenset(ast.literal_eval(message)))
    return message


# -- ours -----------------------------------------------------------------------------------------------


def fresh_root(doc: dict[str, Any]) -> tuple[Node, Names]:
    """A fresh, uncached parse (so that emulation may patch nodes without touching the cache)."""
    names = Names()
    return parse_document(SchemaSource(doc), names, False), names


class PythonLocations(Checker):
    """Our checker, locating findings as Python avro does: restarting at ``/`` in a writer-union branch.

    Java 1.12 (AVRO-3612) keeps the path through a non-union reader's check of each writer branch
    (``/fields/0/type/1/...``); Python (like Java 1.11) checks each branch from a fresh root. The
    re-rooting is tracked while walking, so memo entries reused at another site keep the location
    of their first computation in both engines alike.
    """

    __slots__ = ("reroots",)

    def __init__(self) -> None:
        super().__init__()
        self.reroots: list[int] = []

    def fresh(self, reader: Node, writer: Node) -> tuple[Incompatibility, ...]:
        saved, self.reroots = self.reroots, []
        try:
            return super().fresh(reader, writer)
        finally:
            self.reroots = saved

    def at(self, token: str, reader: Node, writer: Node) -> tuple[Incompatibility, ...]:
        if not (token.isdigit() and reader.type != "union"):
            return super().at(token, reader, writer)
        self.reroots.append(len(self.tokens) + 1)  # a writer-union branch: Python restarts here
        try:
            return super().at(token, reader, writer)
        finally:
            self.reroots.pop()

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
        inc = super().incompatible(rule, message, reader, writer, reader_pointer, writer_pointer, **context)
        if self.reroots:
            inc = inc._replace(location=_location(["", *self.tokens[self.reroots[-1] :]]))
        return inc


def ours_check(reader: Node, writer: Node) -> Outcome:
    """Our raw findings, put in Python avro's reporting form (``NORMALISATIONS``)."""
    try:
        raw = PythonLocations().check(reader, writer)
    except CheckFailed:
        return Outcome(False, frozenset({"CHECK_FAILED"}), frozenset(), frozenset())
    return Outcome(
        not raw,
        frozenset(i.rule for i in raw),
        frozenset(_as_python_message(i) for i in raw),
        frozenset(i.location for i in raw),
    )


def _as_python_message(inc: Incompatibility) -> Any:
    if inc.rule == "TYPE_MISMATCH":
        return f"reader type: {inc.reader_node.type} not compatible with writer type: {inc.writer_node.type}"
    if inc.rule == "MISSING_UNION_BRANCH" and inc.writer_node.type != "union":
        return f"reader union lacking writer type {inc.writer_node.type}"
    if inc.rule == "MISSING_ENUM_SYMBOLS":
        return ("symbols", frozenset(inc.message.strip("[]").split(", ")))
    return inc.message


# -- known-difference classes -----------------------------------------------------------------------


def _walk_named(doc: Any, space: str | None = None) -> list[tuple[dict[str, Any], str | None]]:
    """(definition, Java namespace) of every named type in a document."""
    out: list[tuple[dict[str, Any], str | None]] = []
    if isinstance(doc, list):
        for b in doc:
            out += _walk_named(b, space)
    elif isinstance(doc, dict):
        kind = doc.get("type")
        if kind in ("record", "error", "enum", "fixed"):
            name = doc["name"]
            ns = doc.get("namespace")
            own = name.rpartition(".")[0] if "." in name else (space if ns is None else ns or None)
            out.append((doc, own))
            for f in doc.get("fields", []):
                out += _walk_named(f["type"], own)
        elif kind == "array":
            out += _walk_named(doc["items"], space)
        elif kind == "map":
            out += _walk_named(doc["values"], space)
    return out


def unresolved_null_namespace_reference(err: Exception, *docs: dict[str, Any]) -> bool:
    """Whether Python failed on a dotless name that Java finds in the null namespace."""
    match = re.search(r"Could not make an Avro Schema object from ([A-Za-z_][A-Za-z0-9_]*)$", str(err))
    return bool(match) and any(
        d["name"] == match.group(1) and ns is None for doc in docs for d, ns in _walk_named(doc)
    )


def has_namespaced_short_alias(doc: dict[str, Any]) -> bool:
    return any(ns and any("." not in a for a in d.get("aliases", ())) for d, ns in _walk_named(doc))


def has_empty_namespace(doc: dict[str, Any]) -> bool:
    return '"namespace": ""' in json.dumps(doc)


def has_error_type(doc: dict[str, Any]) -> bool:
    return '"type": "error"' in json.dumps(doc)


def with_raw_aliases(doc: dict[str, Any]) -> Node:
    """Our parse of ``doc`` with every type alias as Python reads it: the raw string."""
    root, names = fresh_root(doc)
    for node in names.types.values():
        raw = _at_pointer(doc, node.pointer).get("aliases")
        if raw:
            node.aliases = tuple(raw)
    return root


def _at_pointer(doc: Any, pointer: str) -> Any:
    for token in pointer.split("/")[1:]:
        doc = doc[int(token)] if isinstance(doc, list) else doc[token]
    return doc


def without_empty_namespace(doc: Any) -> Any:
    if isinstance(doc, dict):
        return {k: without_empty_namespace(v) for k, v in doc.items() if not (k == "namespace" and v == "")}
    if isinstance(doc, list):
        return [without_empty_namespace(v) for v in doc]
    return doc


# -- comparison ---------------------------------------------------------------------------------------


def assert_same(ours: Outcome, py: Outcome, context: str) -> None:
    assert ours.compatible == py.compatible, f"verdict differs: {context}\nours={ours}\npython={py}"
    assert ours.rules == py.rules, f"incompatibility types differ: {context}\nours={ours}\npython={py}"
    assert ours.messages == py.messages, f"messages differ: {context}\nours={ours}\npython={py}"
    assert ours.locations - {"/"} == py.locations - {"/"}, (
        f"locations differ: {context}\nours={ours}\npython={py}"
    )
    if "/" in ours.locations:
        assert "/" in py.locations, f"location / missing in Python: {context}"


def compare(reader: dict[str, Any], writer: dict[str, Any], counts: Counter[str]) -> None:
    """Compare one direction, classifying known differences; updates ``counts``."""
    context = f"\nreader={json.dumps(reader)}\nwriter={json.dumps(writer)}"
    counts["directions compared"] += 1
    # ours through the public API: the verdict, rules and Java locations must match the walk below
    public = check_pair(reader, writer)
    r_root, w_root = fresh_root(reader)[0], fresh_root(writer)[0]
    ours = ours_check(r_root, w_root)
    assert public.compatible == ours.compatible and {f.rule for f in public.findings} == ours.rules

    if has_error_type(reader) or has_error_type(writer):
        try:
            py = python_check(reader, writer)
        except AvroRuntimeException as err:
            assert "Unknown schema type: error" in str(err)
        else:
            assert not py.compatible and any("error" in str(m) for m in py.messages), context
        counts["skipped: error_type"] += 1
        return
    if "CHECK_FAILED" in ours.rules:
        assert len(public.findings) == 1, context
        python_check(reader, writer)  # answers without raising
        counts["differs as documented: field_alias_double_match"] += 1
        return
    try:
        py = python_check(reader, writer)
    except avro.errors.SchemaParseException as err:
        assert unresolved_null_namespace_reference(err, reader, writer), f"{err}{context}"
        counts["skipped: null_namespace_reference"] += 1
        return
    classes = [
        name
        for name, present in (
            ("empty_namespace", has_empty_namespace(reader) or has_empty_namespace(writer)),
            ("alias_namespace", has_namespaced_short_alias(without_empty_namespace(reader))),
        )
        if present
    ]
    if classes:  # emulate Python's reading of the input: then the two must agree exactly
        r2, w2 = without_empty_namespace(reader), without_empty_namespace(writer)
        emulated = ours_check(with_raw_aliases(r2), fresh_root(w2)[0])
        assert_same(emulated, py, f"{classes} emulated" + context)
        for name in classes:
            counts[f"differs as documented: {name}" if ours != py else f"agree ({name} present)"] += 1
        return
    assert_same(ours, py, context)
    counts["agree"] += 1


def run_pairs(count: int, seed: int) -> Counter[str]:
    """Generate ``count`` evolution pairs and compare both directions; returns the counts."""
    counts: Counter[str] = Counter()
    quirky = gen.Profile(empty_namespace=True, error_type=True)
    for i in range(count):
        rng = random.Random(seed * 1_000_003 + i)
        profile = quirky if i % 10 == 9 else gen.QUICK
        old = gen.gen_schema(rng, profile, ensure=("enum", "fixed") if i % 3 == 0 else ())
        new, evolution = gen.evolve(old, rng)
        counts[f"kind: {evolution.kind}"] += 1
        for _ in range(rng.randint(1, 3) if i % 4 == 1 else 0):  # compound changes
            new, evolution = gen.evolve(new, rng)
            counts[f"kind: {evolution.kind}"] += 1
        a, b = gen.clean(old), gen.clean(new)
        compare(b, a, counts)  # new reads old (backward)
        compare(a, b, counts)  # old reads new (forward)
        verdict = check_pair(b, a).compatible, check_pair(a, b).compatible
        counts["pairs with an incompatible direction"] += not all(verdict)
    return counts


def _report(counts: Counter[str]) -> str:
    return "\n".join(f"{n:6}  {k}" for k, n in sorted(counts.items()))


def test_generated_pairs_agree_with_python_avro() -> None:
    counts = run_pairs(300, seed=1)
    print("\n" + _report(counts))
    compared = counts["directions compared"]
    assert compared == 600
    assert counts["agree"] >= 0.8 * compared
    assert counts["pairs with an incompatible direction"] >= 100  # not a test of trivially equal schemas
    assert counts["differs as documented: alias_namespace"] > 0
    assert counts["skipped: error_type"] > 0
    assert counts["differs as documented: empty_namespace"] + counts["agree (empty_namespace present)"] > 0


@pytest.mark.slow
def test_many_generated_pairs_agree_with_python_avro() -> None:
    counts = run_pairs(5000, seed=2)
    print("\n" + _report(counts))
    assert counts["agree"] >= 0.8 * counts["directions compared"]


# -- each known difference, on a hand-written pair ------------------------------------------------------


def test_alias_namespace_difference_is_exactly_the_documented_one() -> None:
    writer = {"type": "record", "name": "Old", "namespace": "a", "fields": [{"name": "f", "type": "int"}]}
    reader = {**writer, "name": "New", "aliases": ["Old"]}
    assert check_pair(reader, writer).compatible  # Java: "Old" resolves to "a.Old"
    py = python_check(reader, writer)
    assert not py.compatible and py.messages == {"expected: a.Old"}
    assert_same(ours_check(with_raw_aliases(reader), fresh_root(writer)[0]), py, "hand-written")


def test_field_alias_double_match_difference() -> None:
    writer = {
        "type": "record",
        "name": "R",
        "fields": [{"name": "a", "type": "int"}, {"name": "b", "type": "string"}],
    }
    reader = {"type": "record", "name": "R", "fields": [{"name": "a", "type": "int", "aliases": ["b"]}]}
    ours = check_pair(reader, writer)
    assert [f.rule for f in ours.findings] == ["CHECK_FAILED"]
    assert python_check(reader, writer).compatible  # Python uses the direct match


def test_error_type_difference() -> None:
    error = {"type": "error", "name": "Oops", "fields": [{"name": "m", "type": "string"}]}
    record = {**error, "type": "record"}
    assert check_pair(error, error).compatible and check_pair(record, error).compatible
    with pytest.raises(AvroRuntimeException, match="Unknown schema type: error"):
        python_check(error, error)
    assert python_check(record, error).messages == {
        "reader type: record not compatible with writer type: error"
    }


def test_empty_namespace_difference() -> None:
    inner = {"type": "enum", "name": "E", "namespace": "", "symbols": ["A"]}
    writer = {"type": "record", "name": "R", "namespace": "a", "fields": [{"name": "e", "type": inner}]}
    renamed = {"type": "enum", "name": "E2", "symbols": ["A"]}
    reader = {**writer, "fields": [{"name": "e", "type": renamed}]}
    assert [f.message for f in check_pair(reader, writer).findings] == ["expected: E"]  # Java: null namespace
    assert python_check(reader, writer).messages == {"expected: a.E"}  # Python: "" inherits "a"
    emulated = ours_check(fresh_root(reader)[0], fresh_root(without_empty_namespace(writer))[0])
    assert_same(emulated, python_check(reader, writer), "hand-written")


def test_null_namespace_reference_difference() -> None:
    fixed = {"type": "fixed", "name": "F", "size": 2}
    inner = {"type": "record", "name": "In", "namespace": "x", "fields": [{"name": "g", "type": "F"}]}
    doc = {
        "type": "record",
        "name": "R",
        "fields": [{"name": "f", "type": fixed}, {"name": "i", "type": inner}],
    }
    assert check_pair(doc, doc).compatible  # Java: "F" is not x.F, so the null namespace's F
    with pytest.raises(avro.errors.SchemaParseException) as err:
        python_check(doc, doc)
    assert unresolved_null_namespace_reference(err.value, doc)


def test_writer_union_location_normalisation() -> None:
    reader = {"type": "record", "name": "R", "fields": [{"name": "age", "type": "int"}]}
    writer = {"type": "record", "name": "R", "fields": [{"name": "age", "type": ["null", "int"]}]}
    ours = check_pair(reader, writer)
    assert [(f.rule, f.location) for f in ours.findings] == [("TYPE_MISMATCH", "/fields/0/type/0")]
    assert python_check(reader, writer).locations == {"/"}
    assert ours_check(fresh_root(reader)[0], fresh_root(writer)[0]).locations == {"/"}


def test_a_memo_entry_reused_at_another_site_keeps_its_first_location_in_both() -> None:
    """R2 vs R2 is first checked inside a union (fresh root), then reused at field 2 from the memo."""
    r2 = {
        "type": "record",
        "name": "R2",
        "fields": [{"name": "a", "type": "float"}, {"name": "b", "type": "float"}],
    }
    w2 = {**r2, "fields": [r2["fields"][0], {"name": "b", "type": ["float", "null"]}]}

    def doc(inner: dict[str, Any]) -> dict[str, Any]:
        return {
            "type": "record",
            "name": "R1",
            "fields": [{"name": "u", "type": [inner, "boolean"]}, {"name": "v", "type": "R2"}],
        }

    reader, writer = doc(r2), doc(w2)
    ours = check_pair(reader, writer)
    assert [(f.rule, f.location) for f in ours.findings] == [
        ("MISSING_UNION_BRANCH", "/fields/0/type/0"),
        ("TYPE_MISMATCH", "/fields/1/type/1"),  # Java: the memo entry's location (fresh root + /1)
    ]
    assert_same(
        ours_check(fresh_root(reader)[0], fresh_root(writer)[0]), python_check(reader, writer), "memo"
    )
