"""Source positions are computed lazily, only when asked for, and are then exactly right.

Parsing keeps the source text and each node's JSON pointer; ``position(pointer)`` locates the
pointer in the text on demand. The oracle here is independent of the locator: the JSON value
decoded from the text at the reported line:col must be the value at that pointer.
"""

from __future__ import annotations

import json
import random
from typing import Any

import avro_generators as gen
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from govern.avro import AvroSchema, Node, SchemaParseError, clear_cache, parse_schema
from govern.compat import check_level, check_pair

_DECODER = json.JSONDecoder()


def _offset(text: str, line: int, column: int) -> int:
    starts = [0] + [i + 1 for i, ch in enumerate(text) if ch == "\n"]
    return starts[line - 1] + column - 1


def _at(doc: Any, pointer: str) -> Any:
    for token in pointer.split("/")[1:]:
        token = token.replace("~1", "/").replace("~0", "~")
        doc = doc[int(token)] if isinstance(doc, list) else doc[token]
    return doc


def _nodes(root: Node) -> list[Node]:
    out, stack, seen = [], [root], set()
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        out.append(node)
        stack.extend(f.type for f in node.fields)
        stack.extend(node.branches)
        stack.extend(n for n in (node.items, node.values) if n is not None)
    return out


@st.composite
def schema_texts(draw: st.DrawFn) -> tuple[dict[str, Any], str]:
    doc = gen.clean(gen.gen_schema(draw(st.randoms(use_true_random=False)), gen.QUICK))
    indent = draw(st.sampled_from([None, 0, 1, 2, 4, "\t"]))
    separators = draw(st.sampled_from([None, (",", ":"), (" , ", " : ")]))
    return doc, json.dumps(doc, indent=indent, separators=separators, ensure_ascii=draw(st.booleans()))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(schema_texts())
def test_lazy_positions_locate_every_node_and_field(case: tuple[dict[str, Any], str]) -> None:
    doc, text = case
    clear_cache()  # hypothesis may draw a text again: parse it afresh
    schema = parse_schema(text, strict=False, file="gen.avsc")
    assert schema._src._positions is None  # parsing computed no position
    for node in _nodes(schema.root):
        pos = schema.position(node.pointer)
        assert pos is not None and pos.file == "gen.avsc"
        value, _ = _DECODER.raw_decode(text, _offset(text, pos.line, pos.column))
        assert value == _at(doc, node.pointer), node.pointer
        for field in node.fields:
            key = schema.position(f"{field.pointer}/name", key=True)
            assert key is not None
            assert text[_offset(text, key.line, key.column) :].startswith('"name"')


def test_a_compatible_check_computes_no_position() -> None:
    old = json.dumps(gen.clean(gen.gen_schema(random.Random(3), gen.REALISTIC)), indent=2)
    clear_cache()
    schema = parse_schema(old, strict=False, file="old.avsc")
    assert check_pair(schema, schema).compatible
    assert schema._src._positions is None


def test_findings_locate_both_files_when_printed() -> None:
    old = '{"type": "record", "name": "R", "fields": [\n  {"name": "a", "type": "int"}\n]}'
    new = '{"type": "record", "name": "R", "fields": [\n  {"name": "a",\n   "type": "string"}\n]}'
    reader = parse_schema(new, file="new.avsc")
    writer = parse_schema(old, file="old.avsc")
    (finding,) = check_pair(reader, writer).findings
    assert (str(finding.reader.place), str(finding.writer.place)) == ("new.avsc:3:12", "old.avsc:2:25")


def test_text_labelled_as_a_file_at_a_commit_needs_no_file_on_disk() -> None:
    text = '{"type": "record", "name": "R",\n "fields": [{"name": "a", "type": "int", "default": "x"}]}'
    try:
        parse_schema(text, file="0123456789ab:schemas/R.avsc")
    except SchemaParseError as error:
        assert str(error.position) == "0123456789ab:schemas/R.avsc:2:53"
    else:
        raise AssertionError("an invalid default must be refused")


# -- invalid schemas: the same error from every entry point, at every level ----------------------
INVALID_DEFAULT = (
    '{"type": "record", "name": "R",\n "fields": [{"name": "a", "type": "int", "default": "x"}]}'
)
VALID = '{"type": "record", "name": "R", "fields": [{"name": "a", "type": "int"}]}'


def test_every_level_refuses_an_invalid_new_schema_with_its_position() -> None:
    expected = "<text>:2:53: invalid Avro schema at /fields/0/default: Invalid default for field a"
    for level in ("NONE", "BACKWARD", "FORWARD_TRANSITIVE", "FULL"):
        for history in ([], [VALID]):
            try:
                check_level(level, INVALID_DEFAULT, history)
            except SchemaParseError as error:
                assert error.message.startswith(expected), (level, error.message)
            else:
                raise AssertionError(f"{level} with {len(history)} version(s) accepted an invalid default")


def test_parse_schema_gives_the_same_error() -> None:
    try:
        parse_schema(INVALID_DEFAULT)
    except SchemaParseError as error:
        assert error.message.startswith("<text>:2:53: invalid Avro schema at /fields/0/default")
    assert isinstance(parse_schema(INVALID_DEFAULT, strict=False), AvroSchema)  # stored: lenient


def test_a_field_typed_by_a_primitive_name_gets_its_node_when_first_used() -> None:
    text = '{"type": "record", "name": "R", "fields": [\n  {"name": "a", "type": "int"}]}'
    assert parse_schema(text.replace('"int"}', '"int", "default": 1}')).root.fields[0].type_ref == "int"
    clear_cache()
    schema = parse_schema(text, file="r.avsc")
    (field,) = schema.root.fields
    assert field.type_ref == "int"  # parsing built no node for it...
    assert check_pair(schema, parse_schema(text.replace("\n", ""), file="s.avsc")).compatible
    assert field.type_ref == "int"  # ...nor did a compatible check
    assert schema.text == '{"type":"record","name":"R","fields":[{"name":"a","type":"int"}]}'
    assert schema.canonical == '{"name":"R","type":"record","fields":[{"name":"a","type":"int"}]}'
    assert field.type_ref == "int"  # ...nor writing its text and canonical form
    node = field.type
    assert node is field.type and node.type == "int" and node.pointer == "/fields/0/type"
    assert str(schema.node_position(node)) == "r.avsc:2:25"


def test_pointer_at_a_position_is_the_value_starting_there_or_enclosing_it() -> None:
    from govern.avro.jsonpos import Position, PositionMap

    text = '{\n  "type": "record",\n  "fields": [\n    {"name": "a", "type": "int"}\n  ]\n}'
    positions = PositionMap(text)
    for pointer in ("", "/type", "/fields", "/fields/0", "/fields/0/type"):
        assert positions.pointer_at(positions.value_at(pointer)) == pointer
    assert positions.pointer_at(Position(4, 30)) == "/fields/0/type"  # inside the string "int"
    assert positions.pointer_at(Position(99, 1)) is None
