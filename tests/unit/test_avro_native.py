"""The native schema parser's own promises: memory freed as before, bounded input, total on any JSON."""

from __future__ import annotations

import gc
import json
import weakref
from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from govern.avro import SchemaParseError, clear_cache, parse_schema

ACYCLIC = {
    "type": "record",
    "name": "Order",
    "namespace": "shop",
    "fields": [
        {"name": "id", "type": "string"},
        {"name": "state", "type": {"type": "enum", "name": "State", "symbols": ["NEW", "DONE"]}},
        {
            "name": "lines",
            "type": {
                "type": "array",
                "items": {
                    "type": "record",
                    "name": "Line",
                    "fields": [{"name": "sku", "type": ["null", "string"]}],
                },
            },
        },
        {"name": "previous", "type": ["null", "State"], "default": None},
    ],
}
RECURSIVE = {
    "type": "record",
    "name": "Node",
    "fields": [
        {"name": "value", "type": "int"},
        {"name": "next", "type": ["null", "Node"], "default": None},
        {"name": "tags", "type": {"type": "map", "values": "string"}},
    ],
}


@pytest.fixture
def collector_paused() -> Iterator[None]:
    """No automatic collection while a test watches what reference counting alone frees."""
    clear_cache()
    gc.collect()
    gc.disable()
    try:
        yield
    finally:
        gc.enable()
        clear_cache()


def test_an_acyclic_schema_is_freed_by_reference_counting_alone(collector_paused: None) -> None:
    schema = parse_schema(json.dumps(ACYCLIC))
    root = schema.root
    line = root.field_map["lines"].type.items
    assert not gc.is_tracked(root) and not gc.is_tracked(line)
    watched = [weakref.ref(root), weakref.ref(line), weakref.ref(root.field_map["state"].type)]
    del schema, root, line
    clear_cache()
    assert [ref() for ref in watched] == [None, None, None]


def test_a_recursive_schema_stays_with_the_cycle_collector(collector_paused: None) -> None:
    schema = parse_schema(json.dumps(RECURSIVE))
    root = schema.root
    assert root.field_map["next"].type.branches[1] is root
    assert gc.is_tracked(root) and gc.is_tracked(root.field_map["next"])
    # a part on no cycle is left to reference counting even inside a recursive record
    assert not gc.is_tracked(root.field_map["tags"].type)
    watched = weakref.ref(root)
    del schema, root
    clear_cache()
    assert watched() is not None  # a cycle: only the collector frees it
    gc.collect()
    assert watched() is None


def test_the_decoded_document_and_field_pointers_are_built_when_asked() -> None:
    text = json.dumps(ACYCLIC, indent=2)
    schema = parse_schema(text, file="order.avsc")
    assert schema.json == json.loads(text)
    assert schema.named("shop.Line").json == ACYCLIC["fields"][2]["type"]["items"]
    lines = schema.root.field_map["lines"]
    assert lines.pointer == "/fields/2"
    assert lines.type.items.fields[0].pointer == "/fields/2/type/items/fields/0"
    name_line = next(n for n, line in enumerate(text.splitlines(), 1) if '"lines"' in line)
    assert schema.position(lines.pointer).line == name_line - 1  # the field's "{"


def test_json_nested_deeper_than_the_decoder_allows_is_one_clear_error() -> None:
    deep = '{"type":"array","items":' * 1500 + '"int"' + "}" * 1500
    with pytest.raises(SchemaParseError, match="invalid JSON: nesting too deep"):
        parse_schema(deep)
    # well within the limit: parsed (the compatibility budget refuses it later, not the parser)
    assert parse_schema('{"type":"array","items":' * 400 + '"int"' + "}" * 400).type == "array"


def test_a_lone_surrogate_is_refused_not_a_crash() -> None:
    with pytest.raises(SchemaParseError, match="invalid JSON"):
        parse_schema('{"type": "record", "name": "R", "doc": "\\ud800", "fields": []}')


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False)
    | st.text(max_size=8)
    | st.sampled_from(["int", "string", "record", "enum", "array", "map", "fixed", "null", "R", "a.R"]),
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(
            st.sampled_from(
                [
                    "type",
                    "name",
                    "namespace",
                    "fields",
                    "items",
                    "values",
                    "symbols",
                    "size",
                    "default",
                    "aliases",
                    "doc",
                    "order",
                    "logicalType",
                    "x",
                ]
            ),
            inner,
            max_size=6,
        )
    ),
    max_leaves=25,
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(json_values, st.booleans())
def test_any_json_document_parses_or_is_one_schema_parse_error(document: object, strict: bool) -> None:
    text = json.dumps(document)
    try:
        schema = parse_schema(text, strict=strict)
    except SchemaParseError as error:
        assert (
            "\n" not in str(error) and "invalid Avro schema at" in str(error) or "invalid JSON" in str(error)
        )
    else:
        assert schema.text  # a parsed schema can be written back out
