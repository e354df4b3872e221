"""Reader/writer rules (Avro Java 1.12 SchemaCompatibility), beyond the shared vectors."""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import pytest

from govern.avro import parse_schema
from govern.compat import Result, check_pair
from govern.registry.server.messages import confluent_messages
from govern.report import RULES, RULES_BY_ID, Finding

FIXTURES = Path(__file__).resolve().parents[1] / "data" / "compat"
NUMERIC_AND_TEXT = ["int", "long", "float", "double", "bytes", "string"]
READABLE = {
    "int": {"int"},
    "long": {"int", "long"},
    "float": {"int", "long", "float"},
    "double": {"int", "long", "float", "double"},
    "bytes": {"bytes", "string"},
    "string": {"bytes", "string"},
}


def _j(value: object) -> str:
    return json.dumps(value)


def _rec(*fields: dict, name: str = "R", **extra: object) -> str:
    return _j({"type": "record", "name": name, "fields": list(fields), **extra})


def _summary(result: Result) -> list[tuple[str, str, str]]:
    return [(f.rule, f.location, f.message) for f in result.findings]


@pytest.mark.parametrize(("reader", "writer"), list(itertools.product(NUMERIC_AND_TEXT, repeat=2)))
def test_promotion_table(reader: str, writer: str) -> None:
    result = check_pair(_j(reader), _j(writer))
    assert result.compatible is (writer in READABLE[reader])
    if not result.compatible:
        assert _summary(result) == [
            (
                "TYPE_MISMATCH",
                "/",
                f"reader type: {reader.upper()} not compatible with writer type: {writer.upper()}",
            )
        ]


def test_rule_registry_is_data() -> None:
    ids = [rule.id for rule in RULES]
    assert ids[:6] == [
        "NAME_MISMATCH",
        "FIXED_SIZE_MISMATCH",
        "MISSING_ENUM_SYMBOLS",
        "READER_FIELD_MISSING_DEFAULT_VALUE",
        "TYPE_MISMATCH",
        "MISSING_UNION_BRANCH",
    ]
    assert len(set(ids)) == len(ids) and all(RULES_BY_ID[i].purpose.endswith(".") for i in ids)


def test_results_are_data_and_truthy_when_compatible() -> None:
    ok = check_pair('"long"', '"int"')
    assert ok and ok.findings == [] and list(ok) == []
    bad = check_pair('"int"', '"long"')
    assert not bad and isinstance(bad.findings[0], Finding)


def test_logical_types_are_ignored() -> None:
    ts = _j({"type": "long", "logicalType": "timestamp-millis"})
    assert check_pair(ts, '"long"').compatible and check_pair('"long"', ts).compatible
    dec = {"type": "bytes", "logicalType": "decimal", "precision": 10, "scale": 2}
    assert check_pair(_j(dec), _j(dec | {"precision": 12, "scale": 4})).compatible
    fixed_dec = {"type": "fixed", "name": "D", "size": 8, "logicalType": "decimal", "precision": 10}
    assert _summary(check_pair(_j(dec), _j(fixed_dec)))[0][0] == "TYPE_MISMATCH"


def test_reader_alias_is_resolved_in_reader_namespace() -> None:
    writer = _rec({"name": "a", "type": "int"}, name="Old", namespace="ns")
    assert check_pair(_rec({"name": "a", "type": "int"}, name="New", namespace="ns", aliases=["Old"]), writer)
    # a dotless alias lives in the reader's namespace, so it does not match other.Old
    other = _rec({"name": "a", "type": "int"}, name="Old", namespace="other")
    assert (
        check_pair(
            _rec({"name": "a", "type": "int"}, name="New", namespace="ns", aliases=["Old"]), other
        ).compatible
        is False
    )


def test_writer_aliases_are_never_consulted() -> None:
    reader = _rec(name="New")
    writer = _rec(name="Old", aliases=["New"])
    assert _summary(check_pair(reader, writer)) == [("NAME_MISMATCH", "/name", "expected: Old")]


def test_name_mismatch_message_has_writer_full_name() -> None:
    reader = _j({"type": "enum", "name": "A", "namespace": "x", "symbols": ["S"]})
    writer = _j({"type": "enum", "name": "B", "namespace": "y", "symbols": ["S"]})
    assert _summary(check_pair(reader, writer)) == [("NAME_MISMATCH", "/name", "expected: y.B")]


def test_field_alias_renames_and_double_match_fails_like_java() -> None:
    writer = _rec({"name": "old", "type": "int"}, {"name": "other", "type": "int"})
    assert check_pair(_rec({"name": "new", "type": "int", "aliases": ["old"]}), writer).compatible
    result = check_pair(_rec({"name": "other", "type": "int", "aliases": ["old"]}), writer)
    assert not result.compatible
    assert result.findings[0].rule == "CHECK_FAILED"
    assert result.findings[0].message.startswith(
        "Reader record field other type:INT pos:0 matches multiple fields"
    )
    assert confluent_messages(result)[0].startswith(
        "Unexpected exception during compatibility check: Reader record"
    )


def test_enum_default_on_missing_field_is_a_type_mismatch_quirk() -> None:
    enum = {"type": "enum", "name": "E", "symbols": ["A", "B"], "default": "A"}
    result = check_pair(_rec({"name": "e", "type": enum}), _rec({"name": "x", "type": "int"}))
    assert _summary(result) == [
        ("TYPE_MISMATCH", "/fields/0/type", "reader type: ENUM not compatible with writer type: RECORD")
    ]
    # a field-level default is what makes a new field optional
    assert check_pair(_rec({"name": "e", "type": enum, "default": "B"}), _rec()).compatible


def test_enum_symbols_missing_sorted_and_enum_default() -> None:
    writer = _j({"type": "enum", "name": "E", "symbols": ["D", "A", "C", "B"]})
    reader = {"type": "enum", "name": "E", "symbols": ["A"]}
    assert _summary(check_pair(_j(reader), writer)) == [("MISSING_ENUM_SYMBOLS", "/symbols", "[B, C, D]")]
    assert check_pair(_j(reader | {"default": "A"}), writer).compatible


def test_optional_union_field_without_default_is_not_optional() -> None:
    result = check_pair(_rec({"name": "a", "type": ["null", "string"]}), _rec())
    assert _summary(result) == [("READER_FIELD_MISSING_DEFAULT_VALUE", "/fields/0", "a")]


def test_writer_union_locations_are_avro_1_12() -> None:
    result = check_pair(
        _rec({"name": "age", "type": "int"}), _rec({"name": "age", "type": ["null", "int", "string"]})
    )
    assert _summary(result) == [
        ("TYPE_MISMATCH", "/fields/0/type/0", "reader type: INT not compatible with writer type: NULL"),
        ("TYPE_MISMATCH", "/fields/0/type/2", "reader type: INT not compatible with writer type: STRING"),
    ]


def test_reader_union_against_non_union_writer() -> None:
    result = check_pair(_rec({"name": "a", "type": ["null", "int"]}), _rec({"name": "a", "type": "string"}))
    assert _summary(result) == [
        ("MISSING_UNION_BRANCH", "/fields/0/type", "reader union lacking writer type: STRING")
    ]
    assert check_pair(_j(["null", "long"]), '"int"').compatible


def test_recursion_is_memoised_and_compatible_unless_proven_otherwise() -> None:
    def tree(leaf: str) -> str:
        return _j(
            {
                "type": "record",
                "name": "Tree",
                "fields": [
                    {"name": "value", "type": leaf},
                    {"name": "children", "type": {"type": "array", "items": "Tree"}},
                    {"name": "parent", "type": ["null", "Tree"], "default": None},
                ],
            }
        )

    assert check_pair(tree("long"), tree("int")).compatible
    assert _summary(check_pair(tree("int"), tree("long"))) == [
        ("TYPE_MISMATCH", "/fields/0/type", "reader type: INT not compatible with writer type: LONG")
    ]


def test_deeply_nested_location_and_escaping_free_tokens() -> None:
    reader = _rec({"name": "m", "type": {"type": "map", "values": {"type": "array", "items": "int"}}})
    writer = _rec({"name": "m", "type": {"type": "map", "values": {"type": "array", "items": "string"}}})
    assert _summary(check_pair(reader, writer))[0][1] == "/fields/0/type/values/items"


def test_findings_from_files_carry_positions_reason_and_hint() -> None:
    old = FIXTURES / "payment_v1.avsc"
    new = FIXTURES / "payment_v2_bad.avsc"
    result = check_pair(new, old)  # reader = new, writer = old (BACKWARD)
    by_rule = {f.rule: f for f in result.findings}
    missing = by_rule["READER_FIELD_MISSING_DEFAULT_VALUE"]
    assert missing.hint == "give field `fee` a default"
    assert "expects field `fee`" in missing.reason
    place = missing.reader.place
    assert (place.file, place.line, place.column) == (str(new), 10, 5)
    assert missing.writer.place.file == str(old)
    symbols = by_rule["MISSING_ENUM_SYMBOLS"]
    assert symbols.hint == "add symbol `GBP` back or give the enum a default"
    assert symbols.reader.place.line == 8 and symbols.writer.place.line == 8
    mismatch = by_rule["TYPE_MISMATCH"]
    assert (mismatch.reader.place.line, mismatch.writer.place.line) == (7, 7)
    assert "long" in mismatch.hint


def test_text_and_dict_inputs_have_no_file_positions() -> None:
    result = check_pair(_rec({"name": "a", "type": "int"}), _rec())
    assert result.findings[0].reader.place is None and result.findings[0].reader.pointer == "/fields/0"


def test_identical_big_schemas_are_compatible_fast() -> None:
    fields = [{"name": f"f{i}", "type": ["null", "string"], "default": None} for i in range(300)]
    schema = parse_schema({"type": "record", "name": "Big", "fields": fields})
    again = parse_schema(
        {"type": "record", "name": "Big", "fields": fields + [{"name": "x", "type": "int", "default": 0}]}
    )
    assert check_pair(schema, schema).compatible
    assert check_pair(again, schema).compatible and not check_pair(schema, again).findings


def test_a_field_alias_naming_a_sibling_field_fails_even_against_itself() -> None:
    """Regression: the identity / identical-subtree short-cuts said compatible; Avro Java throws
    (the reader field matches two writer fields), which Confluent reports as incompatible."""
    ambiguous = {
        "type": "record",
        "name": "R",
        "fields": [{"name": "a", "type": "int", "aliases": ["b"]}, {"name": "b", "type": "int"}],
    }
    nested = {"type": "record", "name": "Outer", "fields": [{"name": "inner", "type": ambiguous}]}
    for doc in (ambiguous, nested):
        schema = parse_schema(doc)
        for reader, writer in ((schema, schema), (json.dumps(doc), json.dumps(doc, indent=2))):
            assert [f.rule for f in check_pair(reader, writer).findings] == ["CHECK_FAILED"]
    own_name = {"type": "record", "name": "S", "fields": [{"name": "a", "type": "int", "aliases": ["a"]}]}
    assert not check_pair(own_name, own_name).compatible  # the same field matched twice
    plain = {"type": "record", "name": "P", "fields": [{"name": "a", "type": "int", "aliases": ["z"]}]}
    assert check_pair(plain, plain).compatible
