"""Levels: Confluent's version selection (which versions, in what order) and direction, and messages."""

from __future__ import annotations

import json

import pytest

from govern.compat import INVALID_LEVEL_MESSAGE, Level, check_level
from govern.errors import InputError
from govern.registry.server.messages import confluent_messages


def _rec(*fields: dict, name: str = "myrecord") -> str:
    return json.dumps({"type": "record", "name": name, "fields": list(fields)})


def _f(name: str, type_: object, **extra: object) -> dict:
    return {"name": name, "type": type_, **extra}


S_STRING = _rec(_f("f", "string"))
S_DOUBLE = _rec(_f("f", "double"))
S_INT = _rec(_f("f", "int"))
S_LONG = _rec(_f("f", "long"))


@pytest.mark.parametrize("name", ["backward", "Backward_Transitive", " FULL ", "none", "forward_transitive"])
def test_level_names_are_case_insensitive(name: str) -> None:
    assert Level.parse(name).value == name.strip().upper()
    assert check_level(name, S_INT, [S_INT]).level == name.strip().upper()


def test_level_accepts_the_enum_and_rejects_unknown_names() -> None:
    assert check_level(Level.FULL, S_INT, [S_INT]).compatible
    with pytest.raises(InputError) as info:
        check_level("sideways", S_INT, [S_INT])
    assert info.value.message == INVALID_LEVEL_MESSAGE


def test_none_and_empty_history_are_always_compatible() -> None:
    assert check_level("NONE", S_STRING, [S_INT]).compatible
    assert check_level("NONE", S_STRING, [S_INT]).comparisons == []
    for level in Level:
        assert check_level(level, S_STRING, []).compatible


def test_backward_checks_only_the_newest_version() -> None:
    # s3 (int) cannot read s1 (string) or s2 (double); only s2 is compared
    result = check_level("BACKWARD", S_INT, [S_STRING, S_DOUBLE])
    assert [(c.version, c.direction) for c in result.comparisons] == [(2, "backward")]
    assert [(f.version, f.message) for f in result.findings] == [
        (2, "reader type: INT not compatible with writer type: DOUBLE")
    ]
    # newest compatible, older not -> BACKWARD passes, BACKWARD_TRANSITIVE fails on version 1
    assert check_level("BACKWARD", S_LONG, [S_STRING, S_INT]).compatible
    transitive = check_level("BACKWARD_TRANSITIVE", S_LONG, [S_STRING, S_INT])
    assert not transitive.compatible
    assert [(c.version, bool(c.findings)) for c in transitive.comparisons] == [(2, False), (1, True)]
    assert {f.version for f in transitive.findings} == {1}


def test_transitive_goes_newest_first_and_stops_at_first_failing_version() -> None:
    # Karapace reports the string mismatch here; Confluent checks version 2 (double) first and stops
    result = check_level("BACKWARD_TRANSITIVE", S_INT, [S_STRING, S_DOUBLE])
    assert [c.version for c in result.comparisons] == [2]
    assert [f.message for f in result.findings] == [
        "reader type: INT not compatible with writer type: DOUBLE"
    ]


def test_direction_backward_reads_old_with_new_forward_reads_new_with_old() -> None:
    backward = check_level("BACKWARD", S_INT, [S_LONG])  # new int reads old long: no
    assert [(f.reader.role, f.writer.role) for f in backward.findings] == [("new", "old")]
    assert check_level("FORWARD", S_INT, [S_LONG]).compatible  # old long reads new int: yes
    forward = check_level("FORWARD", S_LONG, [S_INT])  # old int reads new long: no
    assert [(f.reader.role, f.writer.role) for f in forward.findings] == [("old", "new")]
    assert check_level("BACKWARD", S_LONG, [S_INT]).compatible


def test_full_checks_forward_then_backward_and_accumulates() -> None:
    old = _rec(_f("a", "int"), _f("gone", "string"))
    new = _rec(_f("a", "int"), _f("added", "string"))
    result = check_level("FULL", new, [old])
    assert [(c.direction, len(c.findings)) for c in result.comparisons] == [("forward", 1), ("backward", 1)]
    assert [(f.reader.role, f.message) for f in result.findings] == [("old", "gone"), ("new", "added")]


def test_full_transitive_compares_every_version_both_ways() -> None:
    history = [_rec(_f("a", "int")), _rec(_f("a", "int"), _f("b", "int", default=0))]
    new = _rec(_f("a", "int"), _f("b", "int", default=0), _f("c", "int", default=0))
    result = check_level("FULL_TRANSITIVE", new, history)
    assert result.compatible
    assert [(c.version, c.direction) for c in result.comparisons] == [
        (2, "forward"),
        (2, "backward"),
        (1, "forward"),
        (1, "backward"),
    ]


def test_versions_can_be_given_for_gaps_left_by_deleted_versions() -> None:
    result = check_level("BACKWARD_TRANSITIVE", S_LONG, [S_STRING, S_INT], versions=[3, 7])
    assert [c.version for c in result.comparisons] == [7, 3]
    assert result.findings[0].version == 3
    with pytest.raises(InputError):
        check_level("BACKWARD", S_LONG, [S_STRING], versions=[1, 2])


# -- Confluent messages -------------------------------------------------------------------------
def test_confluent_messages_backward_exact() -> None:
    s1 = _rec(_f("f1", "string"))
    s2 = _rec(_f("f1", "string"), _f("f2", "string"))
    assert confluent_messages(check_level("BACKWARD", s2, [s1])) == [
        "{errorType:'READER_FIELD_MISSING_DEFAULT_VALUE', description:'The field 'f2' at path '/fields/1' "
        "in the new schema has no default value and is missing in the old schema', additionalInfo:'f2'}",
        "{oldSchemaVersion: 1}",
        """{oldSchema: '{"type":"record","name":"myrecord","fields":[{"name":"f1","type":"string"}]}'}""",
        "{validateFields: 'false', compatibility: 'BACKWARD'}",
    ]


def test_confluent_messages_forward_roles_and_type_mismatch() -> None:
    result = check_level("FORWARD", S_LONG, [S_INT])
    assert confluent_messages(result, validate_fields=True) == [
        "{errorType:'TYPE_MISMATCH', description:'The type (path '/fields/0/type') of a field in the old "
        "schema does not match with the new schema', additionalInfo:'reader type: INT not compatible with "
        "writer type: LONG'}",
        "{oldSchemaVersion: 1}",
        """{oldSchema: '{"type":"record","name":"myrecord","fields":[{"name":"f","type":"int"}]}'}""",
        "{validateFields: 'true', compatibility: 'FORWARD'}",
    ]


def test_confluent_messages_full_forward_half_has_no_schema_lines() -> None:
    only_forward = check_level("FULL", S_LONG, [S_INT])  # old int cannot read new long; new long reads int
    assert confluent_messages(only_forward) == [
        "{errorType:'TYPE_MISMATCH', description:'The type (path '/fields/0/type') of a field in the old "
        "schema does not match with the new schema', additionalInfo:'reader type: INT not compatible with "
        "writer type: LONG'}",
        "{validateFields: 'false', compatibility: 'FULL'}",
    ]
    both = check_level("FULL", S_STRING, [S_INT], versions=[4])
    lines = confluent_messages(both)
    assert [line.split(",")[0] for line in lines] == [
        "{errorType:'TYPE_MISMATCH'",
        "{errorType:'TYPE_MISMATCH'",
        "{oldSchemaVersion: 4}",
        '{oldSchema: \'{"type":"record"',
        "{validateFields: 'false'",
    ]


@pytest.mark.parametrize(
    ("reader", "writer", "description"),
    [
        (
            {"type": "enum", "name": "E", "symbols": ["A"]},
            {"type": "enum", "name": "E", "symbols": ["A", "B"]},
            "The new schema is missing enum symbols '[B]' at path '/symbols' in the old schema",
        ),
        (
            {"type": "fixed", "name": "F", "size": 4},
            {"type": "fixed", "name": "F", "size": 8},
            "The size of FIXED type field at path '/size' in the new schema does not match with the old "
            "schema",
        ),
        (
            {"type": "fixed", "name": "G", "size": 4},
            {"type": "fixed", "name": "F", "size": 4},
            "The name of the schema has changed (path '/name')",
        ),
        (
            ["int"],
            ["int", "string"],
            "The new schema is missing a type inside a union field at path '/1' in the old schema",
        ),
    ],
)
def test_confluent_descriptions(reader: object, writer: object, description: str) -> None:
    lines = confluent_messages(check_level("BACKWARD", json.dumps(reader), [json.dumps(writer)]))
    assert f"description:'{description}'" in lines[0]


def test_old_schema_is_truncated_beyond_10_kib() -> None:
    fields = [_f(f"field_{i:04d}", "string", default="x" * 40) for i in range(200)]
    old = _rec(*fields)
    new = _rec(*fields, _f("extra", "int"))
    lines = confluent_messages(check_level("BACKWARD", new, [old]))
    schema_line = lines[2]
    assert schema_line.startswith("{oldSchema: <truncated to 10240 characters> '{")
    assert len(schema_line) == len("{oldSchema: <truncated to 10240 characters> ''}") + 10240


def test_compatible_results_have_no_messages() -> None:
    assert confluent_messages(check_level("FULL", S_INT, [S_INT])) == []


def test_new_schema_is_parsed_strictly_and_history_leniently() -> None:
    bad_default = _rec(_f("f", "string", default=None))
    assert check_level("BACKWARD", S_STRING, [bad_default]).compatible
    with pytest.raises(InputError):
        check_level("BACKWARD", bad_default, [S_STRING])
