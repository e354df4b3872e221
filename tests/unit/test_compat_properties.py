"""Property tests of govern.compat (and govern.avro's canonical forms) on generated schemas.

Schemas and evolutions come from ``tests/support/avro_generators.py`` driven by hypothesis' ``randoms``
(so failures shrink and replay). Each property is a claim Avro's rules make about a kind of
change, checked against our engine; where a check could pass by a short-cut (the same object,
identical text), the property also runs the walk without short-cuts or on a variant that differs.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any
from unittest.mock import patch

import avro_generators as gen  # noqa: E402
import fastavro.schema
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from govern.avro import AvroSchema, clear_cache, parse_schema
from govern.avro.model import Node
from govern.compat import Level, Result, check_level, check_pair, rules
from govern.compat.rules import _IN_PROGRESS, COMPATIBLE, Checker, CheckFailed, Incompatibility
from govern.report import RULES_BY_ID

PROFILE = gen.Profile(p_nested=0.35)
QUICK = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _key(result: Result) -> tuple[bool, list[tuple[str, str, str]]]:
    return result.compatible, [(f.rule, f.location, f.message) for f in result.findings]


@st.composite
def schemas(draw: st.DrawFn, ensure: tuple[str, ...] = ()) -> dict[str, Any]:
    """A valid schema document (with the generator's bookkeeping; ``gen.clean`` it for use)."""
    return gen.gen_schema(draw(st.randoms(use_true_random=False)), PROFILE, ensure=ensure)


@st.composite
def evolutions(
    draw: st.DrawFn, kinds: tuple[str, ...] | None = None, ensure: tuple[str, ...] = ()
) -> tuple[dict[str, Any], dict[str, Any], gen.Evolution]:
    """(old, new, evolution): one change of one of ``kinds`` (documents cleaned)."""
    rng = draw(st.randoms(use_true_random=False))
    old = gen.gen_schema(rng, PROFILE, ensure=ensure)
    kind = draw(st.sampled_from(kinds or tuple(gen.MUTATIONS)))
    out = gen.MUTATIONS[kind](old, rng)
    assume(out is not None)
    assert out is not None
    return gen.clean(old), gen.clean(out[0]), out[1]


@st.composite
def histories(draw: st.DrawFn, max_versions: int = 4) -> list[dict[str, Any]]:
    """A subject's versions, oldest first: successive random evolutions (mixed verdicts)."""
    rng = draw(st.randoms(use_true_random=False))
    versions = draw(st.integers(2, max_versions))
    kinds = draw(st.sampled_from([None, gen.COMPATIBLE_BOTH_WAYS, ("add_field", "remove_field", "promote")]))
    return gen.history(rng, versions, PROFILE, kinds)


class WalkOnly(Checker):
    """Our rules without any short-cut (same node, same primitives, primitive fields, union branches
    that cannot match): Java's plain walk."""

    def candidates(self, union: Node, writer: Node) -> Iterator[int]:
        return iter(range(len(union.branches)))

    def compat(self, reader: Node, writer: Node) -> tuple[Incompatibility, ...]:
        key = (id(reader), id(writer))
        result = self.memo.get(key)
        if result is not None:
            return COMPATIBLE if result is _IN_PROGRESS else result
        self.memo[key] = _IN_PROGRESS
        result = self.calculate(reader, writer)
        self.memo[key] = result
        return result

    def record_fields(self, reader: Node, writer: Node) -> tuple[Incompatibility, ...]:
        """Java's ``checkReaderWriterRecordFields``, every field descended into."""
        result: tuple[Incompatibility, ...] = COMPATIBLE
        for rfield in reader.fields:
            self.tokens += ["fields", str(rfield.pos)]
            names = [rfield.name, *rfield.aliases]
            matches = [writer.field_map[n] for n in names if n in writer.field_map]
            if len(matches) > 1:
                raise CheckFailed(rfield.name)
            if matches:
                result += self.at("type", rfield.type, matches[0].type)
            elif not rfield.has_default:
                if rfield.type.type == "enum" and rfield.type.enum_default is not None:
                    result += self.at("type", rfield.type, writer)
                else:
                    result += (
                        self.incompatible(
                            "READER_FIELD_MISSING_DEFAULT_VALUE",
                            rfield.name,
                            reader,
                            writer,
                            rfield.pointer,
                            writer.pointer,
                        ),
                    )
            del self.tokens[-2:]
        return result


def _raw(checker: Checker, reader: AvroSchema, writer: AvroSchema) -> list[tuple[str, str, str]]:
    try:
        return [(i.rule, i.location, i.message) for i in checker.check(reader.root, writer.root)]
    except CheckFailed:
        return [("CHECK_FAILED", "/", "")]


# -- validity and self-compatibility ------------------------------------------------------------------


@QUICK
@given(schemas(ensure=("enum", "fixed")))
def test_generated_schemas_are_valid_for_every_parser(doc: dict[str, Any]) -> None:
    """The generator's claim (valid schemas, valid defaults), held against three parsers."""
    clean = gen.clean(doc)
    parse_schema(json.dumps(clean), strict=True)  # Confluent's checks of a new schema
    fastavro.schema.parse_schema(clean)
    assert gen.defined_before_use(doc)


@QUICK
@given(schemas())
def test_every_schema_is_compatible_with_itself_at_every_level(doc: dict[str, Any]) -> None:
    text = json.dumps(gen.clean(doc))
    pretty = json.dumps(gen.clean(doc), indent=2)  # another parse: no identity short-cut
    for level in Level:
        assert check_level(level, text, [text]).compatible
        assert check_level(level, text, [pretty, text, pretty]).compatible
    schema = parse_schema(text)
    assert WalkOnly().check(schema.root, schema.root) == ()  # the full walk, recursion included


@QUICK
@given(schemas(), st.data())
def test_a_field_alias_naming_a_sibling_fails_even_against_itself(
    doc: dict[str, Any], data: st.DataObject
) -> None:
    """Java throws when a reader field matches two writer fields, so such a schema is not
    compatible with itself (Confluent: incompatible); no short-cut may hide that."""
    record = data.draw(
        st.sampled_from([s.node for s in gen.walk(doc) if s.node.get("type") in ("record", "error")])
    )
    field = data.draw(st.sampled_from(record["fields"]))
    field["aliases"] = [data.draw(st.sampled_from([f["name"] for f in record["fields"]]))]
    clean = gen.clean(doc)
    schema = parse_schema(json.dumps(clean))
    for reader, writer in ((schema, schema), (clean, json.dumps(clean, indent=2))):
        assert [f.rule for f in check_pair(reader, writer).findings] == ["CHECK_FAILED"]
    assert _raw(WalkOnly(), schema, schema) == [("CHECK_FAILED", "/", "")]


@QUICK
@given(evolutions(kinds=("cosmetic",)))
def test_cosmetic_changes_are_full_transitive_compatible(case: tuple[Any, Any, gen.Evolution]) -> None:
    """Field/branch/symbol order, docs, custom props and logical types never matter."""
    old, new, _ = case
    assert check_level(Level.FULL_TRANSITIVE, new, [old, new]).compatible
    assert _raw(WalkOnly(), parse_schema(new), parse_schema(old)) == []
    assert _raw(WalkOnly(), parse_schema(old), parse_schema(new)) == []


@QUICK
@given(evolutions())
def test_short_cuts_change_no_finding(case: tuple[Any, Any, gen.Evolution]) -> None:
    """Our speed short-cuts report exactly what the plain walk (Java's) reports, both directions."""
    old, new, _ = case
    a, b = parse_schema(old), parse_schema(new)
    for reader, writer in ((a, b), (b, a)):
        assert _raw(Checker(), reader, writer) == _raw(WalkOnly(), reader, writer)


@QUICK
@given(evolutions())
def test_indexed_union_probes_change_no_finding(case: tuple[Any, Any, gen.Evolution]) -> None:
    """With every union probed through its branch index (as only large ones are), the findings,
    their locations included, are still those of Java's branch-by-branch walk."""
    old, new, _ = case
    a, b = parse_schema(old), parse_schema(new)
    with patch.object(rules, "_SMALL_UNION", 0):
        for reader, writer in ((a, b), (b, a)):
            assert _raw(Checker(), reader, writer) == _raw(WalkOnly(), reader, writer)


# -- the rules, change by change ----------------------------------------------------------------------


@QUICK
@given(evolutions(kinds=tuple(k for k in gen.MUTATIONS)))
def test_each_change_has_the_verdicts_avro_gives_it(case: tuple[Any, Any, gen.Evolution]) -> None:
    """backward (new reads old) / forward (old reads new) as the change kind decides, with its rules."""
    old, new, ev = case
    for expected, reader, writer in ((ev.backward, new, old), (ev.forward, old, new)):
        result = check_pair(reader, writer)
        if expected is not None:
            assert result.compatible is expected, (ev, result.findings)
        if not result.compatible:
            assert {f.rule for f in result.findings} <= ev.rules, (ev, result.findings)


@QUICK
@given(evolutions(kinds=("add_field",)))
def test_adding_a_field_with_a_default_is_full_compatible(case: tuple[Any, Any, gen.Evolution]) -> None:
    old, new, _ = case
    for level in (Level.BACKWARD, Level.FORWARD, Level.FULL, Level.FULL_TRANSITIVE):
        assert check_level(level, new, [old]).compatible


@QUICK
@given(evolutions(kinds=("add_field_no_default",)))
def test_adding_a_field_without_default_is_forward_only(case: tuple[Any, Any, gen.Evolution]) -> None:
    old, new, ev = case
    assert check_level(Level.FORWARD, new, [old]).compatible
    backward = check_level(Level.BACKWARD, new, [old])
    assert not backward.compatible
    if ev.root:  # one finding, at the new field's position in the new (reader) schema
        pos, name = ev.detail["pos"], ev.detail["field"]
        expected = (
            (
                "TYPE_MISMATCH",
                f"/fields/{pos}/type",
                "reader type: ENUM not compatible with writer type: RECORD",
            )
            if ev.detail["enum_quirk"]
            else ("READER_FIELD_MISSING_DEFAULT_VALUE", f"/fields/{pos}", name)
        )
        assert _key(backward)[1] == [expected]


@QUICK
@given(evolutions(kinds=("remove_field",)))
def test_removing_a_field_is_backward_and_forward_only_with_a_default(
    case: tuple[Any, Any, gen.Evolution],
) -> None:
    old, new, ev = case
    assert check_level(Level.BACKWARD, new, [old]).compatible
    forward = check_level(Level.FORWARD, new, [old])
    assert forward.compatible is ev.forward
    if ev.root and not ev.forward and not ev.detail["enum_quirk"]:
        pos, name = ev.detail["pos"], ev.detail["field"]
        assert _key(forward)[1] == [("READER_FIELD_MISSING_DEFAULT_VALUE", f"/fields/{pos}", name)]


@QUICK
@given(evolutions(kinds=("remove_symbol",), ensure=("enum",)))
def test_removing_an_enum_symbol_is_forward_only(case: tuple[Any, Any, gen.Evolution]) -> None:
    """A new reader without the symbol (and no enum default) cannot read old data that has it."""
    old, new, ev = case
    assert check_level(Level.FORWARD, new, [old]).compatible
    backward = check_level(Level.BACKWARD, new, [old])
    assert not backward.compatible
    symbols = [f.message for f in backward.findings if f.rule == "MISSING_ENUM_SYMBOLS"]
    assert all(m == "[" + ", ".join(sorted(ev.detail["symbols"])) + "]" for m in symbols)  # Java TreeSet


@QUICK
@given(evolutions(kinds=("remove_symbol",), ensure=("enum",)))
def test_an_enum_default_makes_a_removed_symbol_readable(case: tuple[Any, Any, gen.Evolution]) -> None:
    old, new, ev = case
    with_default = json.loads(json.dumps(new))
    for site in gen.walk(with_default):
        if site.node.get("type") == "enum" and _full_name(site, with_default) == ev.detail["enum"]:
            site.node["default"] = site.node["symbols"][0]
    assert check_level(Level.FULL, with_default, [old]).compatible


def _full_name(site: gen.Site, doc: dict[str, Any]) -> str:
    for definition, space in _named_with_space(doc):
        if definition is site.node:
            name = definition["name"]
            return name if "." in name or not space else f"{space}.{name}"
    raise KeyError(site.node["name"])


def _named_with_space(doc: Any, space: str | None = None) -> list[tuple[dict[str, Any], str | None]]:
    out: list[tuple[dict[str, Any], str | None]] = []
    if isinstance(doc, list):
        for b in doc:
            out += _named_with_space(b, space)
    elif isinstance(doc, dict) and doc.get("type") in ("record", "error", "enum", "fixed"):
        name, ns = doc["name"], doc.get("namespace")
        own = name.rpartition(".")[0] if "." in name else (space if ns is None else ns or None)
        out.append((doc, own))
        for f in doc.get("fields", []):
            out += _named_with_space(f["type"], own)
    elif isinstance(doc, dict) and doc.get("type") in ("array", "map"):
        out += _named_with_space(doc.get("items", doc.get("values")), space)
    return out


@QUICK
@given(evolutions(kinds=("add_symbol",), ensure=("enum",)))
def test_adding_an_enum_symbol_is_backward_and_forward_only_with_an_old_default(
    case: tuple[Any, Any, gen.Evolution],
) -> None:
    old, new, ev = case
    assert check_level(Level.BACKWARD, new, [old]).compatible
    forward = check_level(Level.FORWARD, new, [old])
    assert forward.compatible is ev.forward
    missing = [f.message for f in forward.findings if f.rule == "MISSING_ENUM_SYMBOLS"]
    assert all(m == f"[{ev.detail['symbol']}]" for m in missing)


@QUICK
@given(evolutions(kinds=("promote",)))
def test_promotions_are_backward_but_not_forward(case: tuple[Any, Any, gen.Evolution]) -> None:
    old, new, ev = case
    assert check_level(Level.BACKWARD, new, [old]).compatible
    forward = check_level(Level.FORWARD, new, [old])
    string_bytes = {ev.detail["from"], ev.detail["to"]} == {"string", "bytes"}
    assert forward.compatible is string_bytes  # string <-> bytes goes both ways
    mismatches = [f.message for f in forward.findings if f.rule == "TYPE_MISMATCH"]
    old_t, new_t = ev.detail["from"].upper(), ev.detail["to"].upper()
    assert all(m == f"reader type: {old_t} not compatible with writer type: {new_t}" for m in mismatches)


@QUICK
@given(evolutions(kinds=("rename_type_full", "rename_type_short")))
def test_a_renamed_type_with_an_alias_reads_the_old_name(case: tuple[Any, Any, gen.Evolution]) -> None:
    """Java resolves a dotless alias in the type's namespace, so both alias forms work."""
    old, new, _ = case
    assert check_level(Level.BACKWARD, new, [old]).compatible
    forward = check_level(Level.FORWARD, new, [old])
    assert not forward.compatible
    assert {f.rule for f in forward.findings} <= {"NAME_MISMATCH", "MISSING_UNION_BRANCH"}


# -- levels ---------------------------------------------------------------------------------------------


@QUICK
@given(evolutions())
def test_full_is_backward_and_forward(case: tuple[Any, Any, gen.Evolution]) -> None:
    old, new, _ = case
    full = check_level(Level.FULL, new, [old])
    backward, forward = check_level(Level.BACKWARD, new, [old]), check_level(Level.FORWARD, new, [old])
    assert full.compatible == (backward.compatible and forward.compatible)
    # Confluent's order: the forward direction's findings first, then the backward ones
    assert _key(full)[1] == _key(forward)[1] + _key(backward)[1]


@QUICK
@given(evolutions())
def test_a_level_is_the_pair_check_in_its_direction(case: tuple[Any, Any, gen.Evolution]) -> None:
    old, new, _ = case
    assert _key(check_level(Level.BACKWARD, new, [old]))[1] == _key(check_pair(new, old))[1]
    assert _key(check_level(Level.FORWARD, new, [old]))[1] == _key(check_pair(old, new))[1]


@QUICK
@given(histories(), st.sampled_from(["BACKWARD", "FORWARD", "FULL"]))
def test_transitive_levels_check_every_version_newest_first(docs: list[Any], base: str) -> None:
    *older, new = docs
    plain, transitive = Level(base), Level(f"{base}_TRANSITIVE")
    each = [check_level(plain, new, [old]) for old in older]
    result = check_level(transitive, new, older)
    assert result.compatible == all(r.compatible for r in each)
    if result.compatible:
        assert check_level(plain, new, older).compatible  # transitive implies non-transitive
    else:  # only the newest failing version is reported, with its version number
        newest = max(i for i, r in enumerate(each) if not r.compatible)
        assert _key(result)[1] == _key(each[newest])[1]
        assert {f.version for f in result.findings} == {newest + 1}
    # the non-transitive level looks at the newest version only
    assert _key(check_level(plain, new, older))[1] == _key(each[-1])[1]


@QUICK
@given(histories())
def test_full_transitive_is_backward_transitive_and_forward_transitive(docs: list[Any]) -> None:
    *older, new = docs
    full = check_level(Level.FULL_TRANSITIVE, new, older).compatible
    both = (
        check_level(Level.BACKWARD_TRANSITIVE, new, older).compatible
        and check_level(Level.FORWARD_TRANSITIVE, new, older).compatible
    )
    assert full == both


@QUICK
@given(histories(), st.sampled_from(list(Level)))
def test_none_and_empty_history_are_always_compatible(docs: list[Any], level: Level) -> None:
    *older, new = docs
    assert check_level(Level.NONE, new, older).compatible
    assert check_level(level, new, []).compatible


# -- determinism, input forms, canonical forms ----------------------------------------------------------


@QUICK
@given(evolutions())
def test_check_pair_is_deterministic_and_independent_of_input_form(
    case: tuple[Any, Any, gen.Evolution],
) -> None:
    old, new, _ = case
    expected = _key(check_pair(json.dumps(new), json.dumps(old)))
    forms = [
        (new, old),  # decoded JSON
        (json.dumps(new, indent=2), json.dumps(old, indent=1)),  # other text, same schema
        (parse_schema(json.dumps(new)), parse_schema(json.dumps(old))),  # AvroSchema
    ]
    for reader, writer in forms:
        assert _key(check_pair(reader, writer)) == expected
    clear_cache()
    assert _key(check_pair(json.dumps(new), json.dumps(old))) == expected
    assert _key(check_pair(json.dumps(new), json.dumps(old))) == expected  # cached: same again


@QUICK
@given(evolutions())
def test_findings_are_well_formed(case: tuple[Any, Any, gen.Evolution]) -> None:
    old, new, _ = case
    for reader, writer in ((new, old), (old, new)):
        result = check_pair(reader, writer)
        assert result.compatible == (not result.findings) == bool(result)
        for f in result.findings:
            assert f.rule in RULES_BY_ID and f.location.startswith("/") and f.message
            assert f.reason and f.hint and "?" not in f.reason + f.hint  # every template slot filled


@QUICK
@given(schemas(ensure=("enum", "fixed")))
def test_canonical_form_is_stable_under_json_reserialisation(doc: dict[str, Any]) -> None:
    clean = gen.clean(doc)
    schema = parse_schema(json.dumps(clean))
    variants = [
        parse_schema(json.dumps(clean, indent=4, sort_keys=True)),
        parse_schema(json.loads(json.dumps(clean))),
        parse_schema(schema.canonical),
        parse_schema(schema.text),
    ]
    for other in variants:
        assert other.canonical == schema.canonical
        assert other.fingerprint == schema.fingerprint
    # Parsing Canonical Form as another implementation computes it
    assert schema.canonical == fastavro.schema.to_parsing_canonical_form(clean)
    # (fastavro writes the 64-bit fingerprint as little-endian hex, as single-object encoding does)
    little_endian = schema.fingerprint.to_bytes(8, "little").hex()
    assert little_endian == fastavro.schema.fingerprint(schema.canonical, "CRC-64-AVRO")


@QUICK
@given(evolutions())
def test_java_string_round_trips_and_keeps_every_verdict(case: tuple[Any, Any, gen.Evolution]) -> None:
    """``text`` (what Confluent stores) re-parses to the same text and checks like the original."""
    old, new, _ = case
    a, b = parse_schema(json.dumps(old)), parse_schema(json.dumps(new))
    a2, b2 = parse_schema(a.text), parse_schema(b.text)
    assert a2.text == a.text and b2.text == b.text
    assert _key(check_pair(b2, a2)) == _key(check_pair(b, a))
    assert _key(check_pair(a2, b2)) == _key(check_pair(a, b))


@pytest.mark.slow
@settings(max_examples=1500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(evolutions())
def test_many_changes_have_the_verdicts_avro_gives_them(case: tuple[Any, Any, gen.Evolution]) -> None:
    test_each_change_has_the_verdicts_avro_gives_it.hypothesis.inner_test(case)  # type: ignore[attr-defined]
    test_short_cuts_change_no_finding.hypothesis.inner_test(case)  # type: ignore[attr-defined]
    test_indexed_union_probes_change_no_finding.hypothesis.inner_test(case)  # type: ignore[attr-defined]
