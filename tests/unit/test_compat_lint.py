"""Lint warnings: compatible changes (every level passes) that still put readers at risk, one rule each,
and the govern.toml policy that picks them and decides which fail a check."""

from __future__ import annotations

import json
from typing import Any

import pytest

from govern.avro import parse_schema
from govern.compat import check_level
from govern.compat.lint import lint
from govern.errors import InputError
from govern.report import Finding
from govern.report.policy import LintPolicy


def rec(*fields: dict[str, Any], name: str = "R", **extra: Any) -> str:
    return json.dumps({"type": "record", "name": name, "fields": list(fields), **extra})


def dec(precision: int, scale: int) -> dict[str, Any]:
    return {"type": "bytes", "logicalType": "decimal", "precision": precision, "scale": scale}


def found(old: str, new: str) -> list[tuple[str, str, str]]:
    # each lint case is compatible for a new reader: the warning is all that flags it
    assert check_level("BACKWARD", new, [old]).compatible
    return [(f.rule, f.location, f.message) for f in lint(parse_schema(old), parse_schema(new))]


def test_decimal_scale_and_precision() -> None:
    old = rec({"name": "amount", "type": dec(24, 8)})
    assert found(old, rec({"name": "amount", "type": dec(24, 6)})) == [
        ("DECIMAL_SCALE_CHANGED", "/fields/0/type", "scale 8 -> 6")
    ]
    assert found(old, rec({"name": "amount", "type": dec(30, 8)})) == [
        ("DECIMAL_PRECISION_CHANGED", "/fields/0/type", "precision 24 -> 30")
    ]
    assert found(old, old) == []


def test_logical_type_added_or_removed() -> None:
    plain = rec({"name": "at", "type": "long"})
    stamped = rec({"name": "at", "type": {"type": "long", "logicalType": "timestamp-millis"}})
    assert found(plain, stamped) == [
        ("LOGICAL_TYPE_CHANGED", "/fields/0/type", "logicalType none -> timestamp-millis")
    ]
    assert found(stamped, plain)[0][2] == "logicalType timestamp-millis -> none"


def test_name_and_namespace_changed_behind_an_alias() -> None:
    old = rec({"name": "a", "type": "int"}, name="Wallet", namespace="io.old")
    new = rec({"name": "a", "type": "int"}, name="Purse", namespace="io.new", aliases=["io.old.Wallet"])
    assert found(old, new) == [("NAME_CHANGED_BEHIND_ALIAS", "/", "io.old.Wallet -> io.new.Purse")]


def test_field_default_changed() -> None:
    old = rec({"name": "fee", "type": "int", "default": 0})
    assert found(old, rec({"name": "fee", "type": "int", "default": 5})) == [
        ("FIELD_DEFAULT_CHANGED", "/fields/0", "default 0 -> 5")
    ]


def test_enum_without_default_gaining_symbols() -> None:
    def kind(*symbols: str, **extra: Any) -> str:
        return rec({"name": "k", "type": {"type": "enum", "name": "K", "symbols": list(symbols), **extra}})

    assert found(kind("A"), kind("A", "B")) == [
        ("ENUM_SYMBOLS_ADDED_WITHOUT_DEFAULT", "/fields/0/type", "added B")
    ]
    assert found(kind("A", default="A"), kind("A", "B", default="A")) == []


def test_type_promotion_also_inside_a_nullable_union() -> None:
    assert found(rec({"name": "n", "type": "int"}), rec({"name": "n", "type": "long"})) == [
        ("TYPE_PROMOTED", "/fields/0/type", "int -> long")
    ]
    old = rec({"name": "n", "type": ["null", "float"], "default": None})
    new = rec({"name": "n", "type": ["null", "double"], "default": None})
    assert found(old, new) == []  # a new union branch, not a promotion of the same branch
    nested = rec({"name": "items", "type": {"type": "array", "items": "int"}})
    wider = rec({"name": "items", "type": {"type": "array", "items": "long"}})
    assert found(nested, wider) == [("TYPE_PROMOTED", "/fields/0/type/items", "int -> long")]


def test_recursive_schemas_end() -> None:
    node = rec({"name": "next", "type": ["null", "R"], "default": None}, {"name": "v", "type": "int"})
    wider = rec({"name": "next", "type": ["null", "R"], "default": None}, {"name": "v", "type": "long"})
    assert [r for r, _, _ in found(node, wider)] == ["TYPE_PROMOTED"]


def _warnings() -> list[Finding]:
    old = rec({"name": "n", "type": "int"}, {"name": "amount", "type": dec(24, 8)})
    new = rec({"name": "n", "type": "long"}, {"name": "amount", "type": dec(24, 6)})
    return lint(parse_schema(old), parse_schema(new))


def test_policy_default_reports_every_lint_rule_as_a_warning() -> None:
    kept = LintPolicy.parse({}).apply(_warnings())
    assert [(f.rule, f.level, f.blocking) for f in kept] == [
        ("TYPE_PROMOTED", "warning", False),
        ("DECIMAL_SCALE_CHANGED", "warning", False),
    ]


def test_policy_use_except_and_fail() -> None:
    policy = LintPolicy.parse(
        {"use": ["LINT"], "except": ["TYPE_PROMOTED"], "fail": ["DECIMAL_SCALE_CHANGED"]}
    )
    [scale] = policy.apply(_warnings())
    assert (scale.rule, scale.level, scale.blocking) == ("DECIMAL_SCALE_CHANGED", "error", True)
    assert [f.level for f in LintPolicy.parse({"fail": True}).apply(_warnings())] == ["error", "error"]
    assert LintPolicy.parse({"use": []}).apply(_warnings()) == []


@pytest.mark.parametrize(
    ("settings", "needle"),
    [
        ({"use": ["FIELD_NO_DELETE"]}, "names 'FIELD_NO_DELETE', which is not a lint rule"),
        ({"fail": "yes"}, "lint.fail must be a list of rule ids"),
        ({"ignore": []}, "unknown lint setting 'ignore'"),
        ({"use": ["TYPE_MISMATCH"]}, "not a lint rule"),  # compatibility rules are never optional
    ],
)
def test_policy_errors_name_the_setting(settings: dict[str, Any], needle: str) -> None:
    with pytest.raises(InputError, match="govern.toml") as error:
        LintPolicy.parse(settings)
    assert needle in error.value.message


def test_a_bad_lint_table_in_govern_toml_fails_every_command(tmp_path) -> None:  # noqa: ANN001
    from govern.config import load_config

    (tmp_path / "govern.toml").write_text('[lint]\nfail = ["FIELD_NO_DELETE"]\n')
    with pytest.raises(InputError, match="govern.toml: lint.fail names 'FIELD_NO_DELETE'"):
        load_config(tmp_path)
    (tmp_path / "govern.toml").write_text('[lint]\nexcept = ["TYPE_PROMOTED"]\n')
    assert LintPolicy.parse(load_config(tmp_path).lint).use.isdisjoint({"TYPE_PROMOTED"})
