"""The IDL compiler's API and its own rules (the avro-tools equivalence is tests/conformance)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from govern.avro.idl import IdlError, compile_idl, schemata_files, write_schemata
from govern.avro.idl.compiler import strip_indents
from govern.errors import ExitCode

DATA = Path(__file__).resolve().parents[1] / "data" / "idl"


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def error_of(path: Path, *import_dirs: Path) -> str:
    with pytest.raises(IdlError) as caught:
        compile_idl(path, import_dirs)
    assert caught.value.exit_code == ExitCode.BAD_INPUT
    assert "\n" not in caught.value.message
    return caught.value.message


def test_protocol_result_names_every_type_where_it_is_defined(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "shop.avdl",
        '@namespace("com.acme")\nprotocol Shop {\n  enum Kind { A, B }\n'
        '  /** An order. */\n  record Order {\n    Kind kind = "A";\n    decimal(9,2) amount;\n  }\n}\n',
    )
    result = compile_idl(path)
    assert result.kind == "protocol"
    assert list(result.named_types) == ["com.acme.Kind", "com.acme.Order"]
    order = result.named_types["com.acme.Order"]
    assert order["doc"] == "An order."
    assert order["fields"][0]["type"] == {"type": "enum", "name": "Kind", "symbols": ["A", "B"]}
    assert order["fields"][1]["type"] == {
        "type": "bytes",
        "logicalType": "decimal",
        "precision": 9,
        "scale": 2,
    }
    where = result.positions["com.acme.Order"]
    assert (where.file, where.line, where.column) == (str(path), 5, 10)
    assert result.main_schema is None
    assert result.json["protocol"] == "Shop" and result.files == (path,)


def test_schema_syntax_result_has_its_main_schema(tmp_path: Path) -> None:
    path = write(tmp_path, "s.avdl", "namespace n;\nschema array<R>;\nrecord R { string? s; }\n")
    result = compile_idl(path)
    assert result.kind == "schema"
    assert result.main_schema == result.json
    assert result.json["type"] == "array" and result.json["items"]["name"] == "R"
    assert list(result.named_types) == ["n.R"]


def test_imports_resolve_beside_the_file_then_in_import_dirs(tmp_path: Path) -> None:
    write(tmp_path, "lib/common.avdl", 'protocol C { @namespace("c") record Money { long cents; } }')
    write(tmp_path, "types/extra.avsc", '{"type": "fixed", "name": "x.Id", "size": 16}')
    main = write(
        tmp_path,
        "app/main.avdl",
        'protocol M { import idl "../lib/common.avdl"; import schema "extra.avsc";\n'
        "  record Pay { c.Money m; x.Id id; } }",
    )
    result = compile_idl(main, [tmp_path / "types"])
    assert list(result.named_types) == ["c.Money", "x.Id", "Pay"]
    assert result.files == (main, tmp_path / "lib/common.avdl", tmp_path / "types/extra.avsc")
    assert result.positions["x.Id"].file == str(tmp_path / "types/extra.avsc")


def test_a_file_imported_twice_is_read_once(tmp_path: Path) -> None:
    write(tmp_path, "base.avdl", "protocol B { record Base {} }")
    write(tmp_path, "left.avdl", 'protocol L { import idl "base.avdl"; record Left { Base b; } }')
    write(tmp_path, "right.avdl", 'protocol R { import idl "base.avdl"; record Right { Base b; } }')
    main = write(tmp_path, "main.avdl", 'protocol M { import idl "left.avdl"; import idl "right.avdl"; }')
    assert list(compile_idl(main).named_types) == ["Base", "Left", "Right"]


def test_an_import_cycle_is_an_error_naming_the_chain(tmp_path: Path) -> None:
    write(tmp_path, "a.avdl", 'protocol A {\n  import idl "b.avdl";\n}')
    write(tmp_path, "b.avdl", 'protocol B { import idl "c.avdl"; }')
    write(tmp_path, "c.avdl", 'protocol C {\n import idl "a.avdl"; }')
    message = error_of(tmp_path / "a.avdl")
    assert message.startswith(f"{tmp_path / 'c.avdl'}:2:13: import cycle: ")
    assert message.endswith(" -> ".join(str(tmp_path / n) for n in ("a.avdl", "b.avdl", "c.avdl", "a.avdl")))


@pytest.mark.parametrize(
    ("text", "where", "reason"),
    [
        ("protocol P { record R { int x; } } #", "1:36", "unexpected character '#'"),
        ("protocol P {\n  record R { int x }\n}", "2:20", "expected ';', found '}'"),
        ('protocol P { record R { string s = "open; } }', "1:36", "malformed string literal"),
        ("protocol P { /* never closed", "1:14", "unterminated comment"),
        ("protocol P { record R { Missing m; } }", "1:25", "undefined type 'Missing'"),
        ("protocol P { record R { int x = 1.5; } }", "1:29", "invalid default for field 'x'"),
        ('protocol P { record R { @foo("x") R r; } }', "1:35", "type references may not be annotated"),
        ("protocol P { enum E { A } = B; }", "1:29", "enum default 'B' is not one of its symbols"),
        ("protocol P { record R { union { int, date } u; } }", "1:25", "duplicate type 'int' in union"),
        ('protocol P { import schema "nowhere.avsc"; }', "1:28", "cannot import 'nowhere.avsc'"),
        ("protocol P {", "1:13", "expected '}', found end of file"),
    ],
)
def test_bad_input_is_one_line_with_file_line_col(tmp_path: Path, text: str, where: str, reason: str) -> None:
    path = write(tmp_path, "bad.avdl", text)
    message = error_of(path)
    assert message.startswith(f"{path}:{where}: "), message
    assert reason in message


def test_errors_in_imported_json_name_that_file(tmp_path: Path) -> None:
    write(
        tmp_path,
        "broken.avsc",
        '{"type": "record", "name": "R",\n "fields": [{"name": "a b", "type": "int"}]}',
    )
    path = write(tmp_path, "main.avdl", 'protocol P { import schema "broken.avsc"; }')
    assert re.match(rf"{re.escape(str(tmp_path / 'broken.avsc'))}:2:13: illegal character", error_of(path))


def test_nesting_is_bounded(tmp_path: Path) -> None:
    deep = "array<" * 500 + "int" + ">" * 500
    path = write(tmp_path, "deep.avdl", f"protocol P {{ record R {{ {deep} a; }} }}")
    assert "nested more than" in error_of(path)
    value = "[" * 500 + "]" * 500
    path = write(tmp_path, "deep2.avdl", f"protocol P {{ record R {{ @x({value}) int a; }} }}")
    assert "nested more than" in error_of(path)


def test_misplaced_doc_comments_are_warnings_with_positions(tmp_path: Path) -> None:
    path = write(tmp_path, "w.avdl", "/** one */\n/** two */\nprotocol P { record R { int /** late */ ; } }")
    with pytest.raises(IdlError):
        compile_idl(path)
    path = write(tmp_path, "w.avdl", "/** one */\n/** two */\nprotocol P { }")
    result = compile_idl(path)
    assert result.json["doc"] == "two"
    assert [(w.position.line, w.position.column) for w in result.warnings] == [(1, 1)]


def test_doc_comment_indents_are_stripped_as_java_does() -> None:
    assert strip_indents("* one\n   * two\n   *   three") == "one\ntwo\n  three"
    assert strip_indents("** a\n  ** b") == "a\nb"
    assert strip_indents("plain\n    more\n      deeper\n    back") == "plain\nmore\n  deeper\nback"
    assert strip_indents("single line") == "single line"


def test_schemata_files_are_named_by_simple_name(tmp_path: Path) -> None:
    result = compile_idl(DATA / "edge" / "same_simple_name.avdl")
    files = schemata_files(result)
    assert sorted(files) == ["X.avsc", "Y.avsc"]
    assert json.loads(files["X.avsc"])["namespace"] == "b"  # the later X replaces the earlier


def test_write_schemata_writes_every_type(tmp_path: Path) -> None:
    result = compile_idl(DATA / "input" / "simple.avdl")
    written = write_schemata(result, tmp_path / "out")
    assert sorted(p.name for p in written) == [
        "Kind.avsc",
        "MD5.avsc",
        "Status.avsc",
        "TestError.avsc",
        "TestRecord.avsc",
    ]
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == sorted(p.name for p in written)
    record = json.loads((tmp_path / "out" / "TestRecord.avsc").read_text())
    assert record["fields"][1]["type"]["type"] == "enum"  # standalone: Kind written inline
