"""``SchemaSet``: several schema files, one table of named types, used in any order."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from govern.avro import SchemaParseError, SchemaSet
from govern.compat import check_pair

ADDRESS = {"type": "record", "name": "Address", "namespace": "com.acme", "fields": [
    {"name": "city", "type": "string"}, {"name": "country", "type": "com.acme.Country"}]}  # fmt: skip
COUNTRY = {"type": "enum", "name": "com.acme.Country", "symbols": ["DE", "FR"]}
CUSTOMER = {"type": "record", "name": "Customer", "namespace": "com.acme", "fields": [
    {"name": "home", "type": "Address"},
    {"name": "work", "type": ["null", "Address"], "default": None}]}  # fmt: skip


def _set(*docs: tuple[str, object]) -> SchemaSet:
    schemas = SchemaSet()
    for label, doc in docs:
        schemas.add(json.dumps(doc, indent=2), file=label)
    return schemas


def test_types_from_other_files_resolve_in_any_order() -> None:
    docs = [("customer.avsc", CUSTOMER), ("address.avsc", ADDRESS), ("country.avsc", COUNTRY)]
    for order in (docs, docs[::-1], [docs[1], docs[0], docs[2]]):
        schemas = _set(*order)
        parsed = {s.source: s for s in schemas.parse()}
        assert sorted(schemas.types) == ["com.acme.Address", "com.acme.Country", "com.acme.Customer"]
        customer = parsed["customer.avsc"]
        assert customer.root.fields[0].type is schemas.types["com.acme.Address"]
        assert [r.name for r in customer.references] == ["com.acme.Address", "com.acme.Country"]
        assert '"type":"Address"' in customer.text  # written by name, as a Confluent reference is
        assert '"symbols":["DE","FR"]' in customer.expanded  # self-contained


def test_one_file_of_several_types_and_top_level_schemas_of_any_kind() -> None:
    schemas = SchemaSet()
    schemas.add(json.dumps([CUSTOMER, ADDRESS, COUNTRY]), file="model.avsc")  # used before defined
    schemas.add('{"type": "array", "items": "com.acme.Customer"}', file="list.avsc")
    schemas.add('"string"', file="key.avsc")
    schemas.add(Path(__file__).parents[1] / "fixtures" / "compat" / "payment_v1.avsc")
    model, array, key, payment = schemas.parse()
    assert model.type == "union" and [b.fullname for b in model.root.branches] == [
        "com.acme.Customer",
        "com.acme.Address",
        "com.acme.Country",
    ]
    assert array.root.items is schemas.types["com.acme.Customer"]
    assert key.type == "string" and payment.name == "exchange.payments.Payment"


def test_one_named_type_as_a_schema_of_its_own() -> None:
    nested = {"type": "record", "name": "Order", "namespace": "shop", "fields": [
        {"name": "line", "type": {"type": "record", "name": "Line", "fields": [
            {"name": "country", "type": "com.acme.Country"}]}}]}  # fmt: skip
    schemas = _set(("order.avsc", nested), ("country.avsc", COUNTRY))
    line = schemas.schema("shop.Line")
    assert line.json == {"type": "record", "name": "Line", "namespace": "shop",
                         "fields": [{"name": "country", "type": "com.acme.Country"}]}  # fmt: skip
    assert [r.name for r in line.references] == ["com.acme.Country"]
    assert line.position(line.root.pointer).file == "order.avsc"
    assert check_pair(line, line).compatible
    assert schemas.defined_in("shop.Line").source == "order.avsc"
    with pytest.raises(KeyError):
        schemas.schema("shop.Missing")


def test_a_type_defined_twice_identically_is_fine_differently_names_both_places() -> None:
    schemas = _set(("a.avsc", COUNTRY), ("b.avsc", [COUNTRY, ADDRESS]))
    schemas.parse()
    other = {**COUNTRY, "symbols": ["DE", "FR", "IT"]}
    schemas = _set(("a.avsc", COUNTRY), ("b.avsc", [ADDRESS, other]))
    with pytest.raises(SchemaParseError) as info:
        schemas.parse()
    assert info.value.message.startswith(
        "b.avsc:17:3: invalid Avro schema at /1: "
        "com.acme.Country is defined differently here and at a.avsc:1:1"
    )


def test_errors_name_the_file_line_column_and_pointer() -> None:
    bad = {**ADDRESS, "fields": [{"name": "city", "type": "string", "default": 3}]}
    with pytest.raises(SchemaParseError) as info:
        _set(("country.avsc", COUNTRY), ("address.avsc", bad)).parse()
    assert info.value.message.startswith("address.avsc:9:18: invalid Avro schema at /fields/0/default")
    with pytest.raises(SchemaParseError) as info:
        _set(("customer.avsc", CUSTOMER)).parse()
    assert "customer.avsc:8:15: invalid Avro schema at /fields/0/type: Undefined name" in info.value.message
    schemas = SchemaSet()
    with pytest.raises(SchemaParseError) as info:
        schemas.add('{"type": "record",\n "name": }', file="broken.avsc")
    assert info.value.message.startswith("broken.avsc:2:10: invalid Avro schema at /name: invalid JSON")


def test_files_using_each_other_in_a_cycle_are_refused_naming_them() -> None:
    a = {"type": "record", "name": "A", "fields": [{"name": "b", "type": ["null", "B"]}]}
    b = {"type": "record", "name": "B", "fields": [{"name": "a", "type": ["null", "A"]}]}
    with pytest.raises(SchemaParseError) as info:
        _set(("a.avsc", a), ("b.avsc", b)).parse()
    assert "a.avsc -> b.avsc -> a.avsc" in info.value.message
