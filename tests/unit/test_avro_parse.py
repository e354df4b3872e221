"""Parsing and validation of Avro schemas: names, namespaces, aliases, defaults, errors with positions."""

from __future__ import annotations

import json
from pathlib import Path

import fastavro.schema
import pytest

from govern.avro import AvroSchema, SchemaParseError, parse_schema
from govern.errors import InputError

FIXTURES = Path(__file__).resolve().parents[1] / "data" / "compat"


def _error(source: object, **kwargs: object) -> SchemaParseError:
    with pytest.raises(SchemaParseError) as info:
        parse_schema(source, **kwargs)  # type: ignore[arg-type]
    return info.value


# -- inputs -------------------------------------------------------------------------------------
def test_str_is_json_text_not_a_type_name() -> None:
    assert parse_schema('"string"').name == "string"
    assert parse_schema('{"type": "string"}').type == "string"
    err = _error("string")  # bare word: not JSON
    assert "invalid JSON" in err.message and "<text>:1:1" in err.message


def test_dict_list_path_and_parsed_inputs() -> None:
    record = {"type": "record", "name": "R", "fields": [{"name": "a", "type": "int"}]}
    assert parse_schema(record).name == "R"
    assert parse_schema(["null", "int"]).type == "union"
    from_file = parse_schema(FIXTURES / "payment_v1.avsc")
    assert from_file.name == "exchange.payments.Payment"
    assert from_file.source == str(FIXTURES / "payment_v1.avsc")
    assert parse_schema(from_file) is from_file


def test_schema_parse_error_is_an_input_error() -> None:
    assert issubclass(SchemaParseError, InputError)
    assert _error("").reason == "Empty schema"


def test_parsed_schemas_are_cached_and_hashable() -> None:
    text = '{"type":"record","name":"Cached","fields":[{"name":"a","type":"int"}]}'
    assert parse_schema(text) is parse_schema(text)
    same = parse_schema(json.loads(text))
    assert same == parse_schema(text) and hash(same) == hash(parse_schema(text))
    with_default = parse_schema(
        '{"type":"record","name":"Cached","fields":[{"name":"a","type":"int","default":1}]}'
    )
    assert with_default.canonical == same.canonical  # canonical form drops defaults...
    assert with_default != same  # ...so identity is by the full document


# -- names and namespaces -----------------------------------------------------------------------
def test_namespaces_inherit_and_dotted_names_win() -> None:
    schema = parse_schema(
        {
            "type": "record",
            "name": "Outer",
            "namespace": "a.b",
            "fields": [
                {"name": "inner", "type": {"type": "record", "name": "Inner", "fields": []}},
                {
                    "name": "other",
                    "type": {"type": "enum", "name": "x.y.E", "namespace": "ignored", "symbols": ["A"]},
                },
                {"name": "nons", "type": {"type": "fixed", "name": "F", "namespace": "", "size": 2}},
                {"name": "again", "type": "Inner"},
                {"name": "full", "type": "a.b.Inner"},
            ],
        }
    )
    assert sorted(schema.named_types) == ["F", "a.b.Inner", "a.b.Outer", "x.y.E"]
    fields = schema.root.fields
    assert fields[3].type is fields[0].type is fields[4].type


def test_type_aliases_resolve_in_the_types_namespace() -> None:
    schema = parse_schema(
        {"type": "record", "name": "R", "namespace": "ns", "aliases": ["Old", "other.Older"], "fields": []}
    )
    assert schema.root.aliases == ("ns.Old", "other.Older")


def test_recursive_type() -> None:
    schema = parse_schema(
        {
            "type": "record",
            "name": "List",
            "fields": [{"name": "head", "type": "int"}, {"name": "tail", "type": ["null", "List"]}],
        }
    )
    assert schema.root.fields[1].type.branches[1] is schema.root


def test_references_supply_named_types() -> None:
    money = parse_schema(FIXTURES / "money.avsc")
    schema = parse_schema(FIXTURES / "unknown_type.avsc", references=[money])
    assert schema.root.fields[1].type is money.root
    # Confluent writes referenced types by name in the stored text
    assert schema.text.endswith('{"name":"money","type":"Money"}]}')
    assert AvroSchema.node_position(schema.root.fields[1].type).file == str(FIXTURES / "money.avsc")


def test_strict_names_only_for_new_schemas() -> None:
    bad = {"type": "record", "name": "R", "namespace": "a-bad.namespace", "fields": []}
    assert "Illegal character in: a-bad" in _error(bad).reason
    assert parse_schema(bad, strict=False).name == "a-bad.namespace.R"
    assert "Illegal initial character: 1x" in _error({"type": "enum", "name": "E", "symbols": ["1x"]}).reason


# -- defaults -----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("type_", "default"),
    [
        ("string", None),
        ("int", "1"),
        ("int", 1.5),
        ("int", 2**31),
        ("long", True),
        ("boolean", 0),
        ("null", 0),
        ({"type": "array", "items": "int"}, ["x"]),
        ({"type": "map", "values": "int"}, {"a": "x"}),
        ({"type": "record", "name": "Inner", "fields": [{"name": "x", "type": "int"}]}, {}),
        (["null", "int"], "x"),
    ],
)
def test_bad_defaults_rejected_when_strict(type_: object, default: object) -> None:
    schema = {"type": "record", "name": "R", "fields": [{"name": "f", "type": type_, "default": default}]}
    err = _error(schema)
    assert err.pointer == "/fields/0/default"
    assert err.reason.startswith("Invalid default for field f: ")
    assert parse_schema(schema, strict=False).root.fields[0].has_default  # lenient: stored schemas


@pytest.mark.parametrize(
    ("type_", "default"),
    [
        ("string", "x"),
        ("bytes", "\u00ff"),
        ("int", -(2**31)),
        ("long", 2**40),
        ("float", 1),
        ("double", 1.5),
        ("boolean", False),
        ("null", None),
        (["null", "string"], None),
        (["null", "string"], "x"),  # Avro 1.12: any branch (1.11 checked the first only)
        ({"type": "record", "name": "Inner", "fields": [{"name": "x", "type": "int", "default": 1}]}, {}),
        ({"type": "enum", "name": "E", "symbols": ["A"]}, "A"),
        ({"type": "fixed", "name": "Fx", "size": 1}, "a"),
    ],
)
def test_good_defaults_accepted(type_: object, default: object) -> None:
    schema = {"type": "record", "name": "R", "fields": [{"name": "f", "type": type_, "default": default}]}
    assert parse_schema(schema).root.fields[0].default == default


# -- errors with pointers and positions ---------------------------------------------------------
@pytest.mark.parametrize(
    ("schema", "reason", "pointer"),
    [
        (
            {"type": "record", "name": "R", "fields": [{"name": "a", "type": "Nope"}]},
            'Undefined name: "Nope"',
            "/fields/0/type",
        ),
        ({"type": "wat"}, "Type not supported: wat", "/type"),
        ({"name": "R"}, "No type", ""),
        ({"type": "record", "fields": []}, "No name in schema", ""),
        ({"type": "record", "name": "R"}, "Record has no fields", ""),
        (
            {
                "type": "record",
                "name": "R",
                "fields": [{"name": "a", "type": "int"}, {"name": "a", "type": "int"}],
            },
            "Duplicate field a in record R",
            "/fields/1/name",
        ),
        (
            {"type": "record", "name": "R", "fields": [{"name": "a"}]},
            "No field type for field a",
            "/fields/0",
        ),
        (["int", ["null"]], "Nested union", "/1"),
        (["int", "int"], "Duplicate in union: int", "/1"),
        ({"type": "enum", "name": "E", "symbols": ["A", "A"]}, "Duplicate enum symbol: A", "/symbols/1"),
        (
            {"type": "enum", "name": "E", "symbols": ["A"], "default": "B"},
            "The Enum Default: B is not in the enum symbol set: [A]",
            "/default",
        ),
        ({"type": "fixed", "name": "F"}, "Invalid or no size", ""),
        ({"type": "array"}, "Array has no items type", ""),
        ({"type": "map"}, "Map has no values type", ""),
        (
            [{"type": "record", "name": "R", "fields": []}, {"type": "enum", "name": "R", "symbols": ["A"]}],
            "Can't redefine: R",
            "/1/name",
        ),
        (
            {"type": "record", "name": "int", "fields": []},
            "Schemas may not be named after primitives: int",
            "/name",
        ),
    ],
)
def test_invalid_schemas_name_the_pointer(schema: object, reason: str, pointer: str) -> None:
    err = _error(schema)
    assert err.reason.startswith(reason)
    assert err.pointer == pointer
    assert "\n" not in err.message


def test_file_errors_carry_file_line_col(tmp_path: Path) -> None:
    err = _error(FIXTURES / "bad_default.avsc")
    assert err.message.startswith(
        f"{FIXTURES / 'bad_default.avsc'}:6:48: invalid Avro schema at /fields/1/default"
    )
    assert err.hint and "default" in err.hint
    err = _error(FIXTURES / "bad_json.avsc")
    assert err.position is not None and (err.position.line, err.position.column) == (6, 5)
    assert "invalid JSON" in err.reason and err.pointer == "/fields"
    err = _error(FIXTURES / "unknown_type.avsc")
    assert (
        f"{FIXTURES / 'unknown_type.avsc'}:6:31" in err.message and 'Undefined name: "Money"' in err.message
    )
    assert _error(tmp_path / "missing.avsc").message == f"{tmp_path / 'missing.avsc'}: file not found"


def test_text_errors_carry_line_col() -> None:
    err = _error('{"type": "record", "name": "R",\n "fields": [{"name": "a", "type": "nope"}]}')
    assert err.message.startswith("<text>:2:35: invalid Avro schema at /fields/0/type")


# -- derived forms ------------------------------------------------------------------------------
@pytest.mark.parametrize("path", sorted(FIXTURES.glob("payment_*.avsc")) + [FIXTURES / "money.avsc"])
def test_canonical_form_and_fingerprint_match_fastavro(path: Path) -> None:
    schema = parse_schema(path)
    expected = fastavro.schema.to_parsing_canonical_form(
        fastavro.schema.parse_schema(json.loads(path.read_text()))
    )
    assert schema.canonical == expected
    fp = fastavro.schema.fingerprint(expected, "CRC-64-AVRO")
    assert schema.fingerprint == int.from_bytes(bytes.fromhex(fp), "little")


@pytest.mark.parametrize(
    ("source", "text"),
    [
        ('{   "type":   "string"}', '"string"'),
        (
            '{"type": "long", "logicalType": "timestamp-millis"}',
            '{"type":"long","logicalType":"timestamp-millis"}',
        ),
        (
            '{"fields": [{"type": "string", "name": "f1"}], "name": "myrecord", "type": "record"}',
            '{"type":"record","name":"myrecord","fields":[{"name":"f1","type":"string"}]}',
        ),
        (
            '{"type":"record","name":"R","namespace":"ns","doc":"d","aliases":["Old"],"fields":['
            '{"name":"e","type":{"type":"enum","name":"E","symbols":["A","B"],"default":"A"},"default":"B",'
            '"aliases":["x"],"order":"descending","custom":1},'
            '{"name":"o","type":{"type":"fixed","name":"F","namespace":"other","size":4}},'
            '{"name":"again","type":"E"},{"name":"n","type":{"type":"record","name":"N","namespace":"","fields":[]}}]}',
            '{"type":"record","name":"R","namespace":"ns","doc":"d","fields":['
            '{"name":"e","type":{"type":"enum","name":"E","symbols":["A","B"],"default":"A"},"default":"B",'
            '"order":"descending","aliases":["x"],"custom":1},'
            '{"name":"o","type":{"type":"fixed","name":"F","namespace":"other","size":4}},'
            '{"name":"again","type":"E"},{"name":"n","type":{"type":"record","name":"N","namespace":"","fields":[]}}],'
            '"aliases":["Old"]}',
        ),
    ],
)
def test_java_schema_to_string(source: str, text: str) -> None:
    assert parse_schema(source).text == text


def test_positions_of_values_and_keys() -> None:
    schema = parse_schema(FIXTURES / "payment_v1.avsc")
    pos = schema.position("/fields/1/type")
    assert (pos.line, pos.column) == (7, 32)
    assert schema.position("/fields/1/type", key=True).column == 24
    assert schema.line(7).strip() == '{"name": "amount", "type": "long"},'
    assert parse_schema({"type": "int"}).position("") is None


def test_later_references_may_use_earlier_ones() -> None:
    a = '{"type":"record","name":"A","fields":[]}'
    b = '{"type":"record","name":"B","fields":[{"name":"a","type":"A"}]}'
    main = '{"type":"record","name":"M","fields":[{"name":"b","type":"B"},{"name":"a","type":"A"}]}'
    schema = parse_schema(main, references=[a, b])
    assert sorted(schema.named_types) == ["A", "B", "M"]
    assert (
        schema.text
        == '{"type":"record","name":"M","fields":[{"name":"b","type":"B"},{"name":"a","type":"A"}]}'
    )
    assert _error(main, references=[b]).reason == 'Undefined name: "A"'


def test_non_standard_json_constants_are_rejected_with_position() -> None:
    err = _error('{"type":"record","name":"R","fields":[{"name":"a","type":"double",\n"default": NaN}]}')
    assert (
        err.message
        == "<text>:2:12: invalid Avro schema at /fields/0/default: invalid JSON: NaN is not valid JSON"
    )


def test_files_with_a_byte_order_mark_parse(tmp_path: Path) -> None:
    path = tmp_path / "bom.avsc"
    path.write_bytes(b'\xef\xbb\xbf{"type": "fixed", "name": "F", "size": 2}')
    assert parse_schema(path).name == "F"
