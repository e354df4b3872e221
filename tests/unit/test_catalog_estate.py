"""The catalog on a project laid out as real repositories are (tests/data/estate), and its bad inputs.

Each bad input is one line naming file:line, exit 2 (InputError), nothing else loaded.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from govern.catalog import Catalog, load_catalog, subject_name
from govern.errors import ExitCode, InputError

ESTATE = Path(__file__).resolve().parents[1] / "data" / "estate"


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return load_catalog(ESTATE)


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    shutil.copytree(ESTATE, tmp_path, dirs_exist_ok=True)
    return tmp_path


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, 1))


def line_of(path: Path, needle: str) -> int:
    return next(n for n, line in enumerate(path.read_text().splitlines(), 1) if needle in line)


def fails(root: Path) -> InputError:
    with pytest.raises(InputError) as info:
        load_catalog(root)
    assert info.value.exit_code == ExitCode.BAD_INPUT
    assert "\n" not in info.value.message and info.value.hint
    return info.value


def at(error: InputError, path: Path, line: int) -> bool:
    return re.search(rf"{re.escape(str(path))}:{line}(:\d+)?\b", error.message) is not None


# --- what loads -----------------------------------------------------------------------------------


def test_every_named_type_is_known_by_full_name_wherever_defined(catalog: Catalog) -> None:
    where = {name: ref.file.as_posix() for name, ref in catalog.schemas.items() if ref.file}
    assert where["com.acme.common.Currency"] == "avro/common/types.avsc"  # a JSON array of types
    assert where["com.acme.payments.Method"] == "avro/payments/payment_v2.avsc"  # nested, versioned file
    assert where["com.acme.shipping.Shipment"] == "avro/shipping/v1/shipment.avsc"  # nested folder
    # defined identically twice (copied nested type): fine, the first file's definition counts
    assert where["com.acme.common.Address"] == "avro/customers/customer-events.avsc"


def test_a_nested_type_registers_as_its_own_document(catalog: Catalog) -> None:
    method = catalog.schemas["com.acme.payments.Method"]
    assert method.schema == {
        "type": "enum",
        "name": "Method",
        "symbols": ["CARD", "TRANSFER"],
        "namespace": "com.acme.payments",
    }
    payment = catalog.schemas["com.acme.payments.Payment"]
    assert payment.references == ("com.acme.common.Money",)  # Method is defined inside it


def test_union_of_event_types_is_parsed_with_positions_in_each_file(catalog: Catalog) -> None:
    ref = catalog.topic("order-events").value_schema
    assert ref.schema == list(ref.types) and ref.references == ref.types
    parsed = catalog.parse(ref)
    assert parsed.type == "union"
    shipped = parsed.root.branches[1]
    position = parsed.node_position(shipped)
    assert position is not None and position.file == str(ESTATE / "avro/orders/order-events.avsc")
    assert position.line == line_of(ESTATE / "avro/orders/order-events.avsc", '"OrderShipped"') - 2  # its "{"


def test_a_files_main_schema_may_be_any_kind(tree: Path) -> None:
    (tree / "avro" / "ids.avsc").write_text('"string"\n')
    (tree / "avro" / "maybe-order.avsc").write_text('["null", "com.acme.orders.Order"]\n')
    edit(tree / "governance/topics.yaml", "    key_schema: long\n", "    key_schema: avro/ids.avsc\n")
    edit(
        tree / "governance/topics.yaml",
        "    value_schema: com.acme.shipping.Shipment\n",
        "    value_schema: avro/maybe-order.avsc\n",
    )
    catalog = load_catalog(tree)
    assert catalog.topic("orders").key_schema.name == "string"  # type: ignore[union-attr]
    shipments = catalog.topic("shipments").value_schema
    assert (shipments.name, shipments.references) == ("union", ("com.acme.orders.Order",))
    assert catalog.parse(shipments).root.branches[1].fullname == "com.acme.orders.Order"


@pytest.mark.parametrize(
    ("strategy", "subject"),
    [("topic", "t-value"), ("record", "a.B"), ("topic_record", "t-a.B")],
)
def test_subject_name_is_confluents(strategy: str, subject: str) -> None:
    assert subject_name(strategy, "t", "value", "a.B") == subject
    with pytest.raises(ValueError):
        subject_name("record", "t", "value", None)


def test_references_between_files_resolve_in_any_order(tree: Path) -> None:
    """types.avsc sorts after orders/ and payments/ files that use it; moving it deeper changes nothing."""
    (tree / "avro/zz/deeper").mkdir(parents=True)
    (tree / "avro/common/types.avsc").rename(tree / "avro/zz/deeper/types.avsc")
    assert load_catalog(tree).schemas["com.acme.common.Money"].file == Path("avro/zz/deeper/types.avsc")


# --- bad input ------------------------------------------------------------------------------------


def test_type_defined_twice_differently_names_both_places(tree: Path) -> None:
    events = tree / "avro/customers/customer-events.avsc"
    edit(events, '{"name": "country", "type": "string"}', '{"name": "country", "type": "int"}')
    error = fails(tree)
    orders = tree / "avro/orders/orders-value.avsc"
    assert "'com.acme.common.Address' is defined differently" in error.message
    assert at(error, orders, line_of(orders, '"name": "ship_to"') + 1)  # where its definition opens
    assert at(error, events, line_of(events, '"name": "address"') + 1)


def test_unknown_type_name_in_a_contract(tree: Path) -> None:
    topics = tree / "governance/topics.yaml"
    edit(topics, "value_schema: com.acme.shipping.Shipment", "value_schema: com.acme.shipping.Shipmnt")
    error = fails(tree)
    assert at(error, topics, line_of(topics, "Shipmnt"))
    assert "unknown type 'com.acme.shipping.Shipmnt'" in error.message
    assert "com.acme.shipping.Shipment" in error.hint


def test_ambiguous_file_says_which_types_it_holds(tree: Path) -> None:
    topics = tree / "governance/topics.yaml"
    edit(
        topics,
        "    value_schema: avro/orders/orders-value.avsc",
        "    value_schema: avro/orders/order-events.avsc",
    )
    error = fails(tree)
    assert at(error, topics, line_of(topics, "order-events.avsc"))
    assert "com.acme.orders.OrderCreated, com.acme.orders.OrderShipped, com.acme.orders.OrderCancelled" in (
        error.message
    )


def test_record_strategy_needs_a_named_type(tree: Path) -> None:
    topics = tree / "governance/topics.yaml"
    edit(topics, "subject_strategy: {value: record, key: topic}", "subject_strategy: record")
    error = fails(tree)
    lines = topics.read_text().splitlines()
    payments = lines.index(
        "  payments:                     # a versioned file name; record strategy for the value only"
    )
    assert at(error, topics, payments + 3)  # its key_schema line
    assert "the key of topic 'payments' is a string" in error.message and "key: topic" in error.hint


def test_cycle_across_files(tree: Path) -> None:
    shipment = tree / "avro/shipping/v1/shipment.avsc"
    edit(
        shipment,
        '{"name": "carrier", "type": "string"}',
        '{"name": "order", "type": "com.acme.orders.Order"}',
    )
    orders = tree / "avro/orders/orders-value.avsc"
    edit(
        orders,
        '{"name": "customer", "type": "string"},',
        '{"name": "s", "type": "com.acme.shipping.Shipment"},',
    )
    assert "circular reference" in fails(tree).message


def test_unknown_setting_fails_every_command(tree: Path) -> None:
    (tree / "govern.toml").write_text('schemas_dir = "avro"\ncontract_dir = "governance"\n')
    for args in (["catalog"], ["compat", "a.avsc", "b.avsc"]):
        done = subprocess.run(
            [sys.executable, "-m", "govern", *args], cwd=tree, capture_output=True, text=True, timeout=60
        )
        assert done.returncode == 2, done.stderr
        assert "unknown setting 'contract_dir'" in done.stderr
