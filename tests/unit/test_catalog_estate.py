"""The catalog on a project laid out as real repositories are (tests/data/estate), and its bad inputs.

Each bad input is one line naming file:line, exit 2 (InputError), nothing else loaded.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

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
    assert where["com.acme.billing.InvoiceStatus"] == "avro/billing/billing.avdl"  # Avro IDL, protocol
    assert where["com.acme.billing.Refund"] == "avro/billing/refund.avdl"  # Avro IDL, schema syntax
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


def test_copy_of_a_type_a_referenced_file_defines_too(tree: Path) -> None:
    """A file using CustomerMoved (whose file defines Address) and copying Address itself."""
    (tree / "avro/customers/audit.avsc").write_text(
        json.dumps(
            {
                "type": "record",
                "name": "Audit",
                "namespace": "com.acme.customers",
                "fields": [
                    {"name": "moved", "type": "CustomerMoved"},
                    {
                        "name": "where",
                        "type": {
                            "type": "record",
                            "name": "Address",
                            "namespace": "com.acme.common",
                            "fields": [
                                {"name": "street", "type": "string"},
                                {"name": "city", "type": "string"},
                                {"name": "country", "type": "string"},
                            ],
                        },
                    },
                ],
            }
        )
    )
    catalog = load_catalog(tree)
    audit = catalog.parse(catalog.schemas["com.acme.customers.Audit"])
    assert [f.type.fullname for f in audit.root.fields] == [
        "com.acme.customers.CustomerMoved",
        "com.acme.common.Address",
    ]


_JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-3, 3)
    | st.sampled_from(["record", "int", "a.B", "B", "x", "enum"]),
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.dictionaries(
            st.sampled_from(["type", "name", "namespace", "fields", "items", "values", "symbols", "default"]),
            inner,
            max_size=4,
        )
    ),
    max_leaves=12,
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(documents=st.lists(_JSON, min_size=1, max_size=3), deep=st.integers(0, 3000))
def test_any_file_content_loads_or_is_one_bad_input_line(
    tmp_path_factory: pytest.TempPathFactory, documents: list[object], deep: int
) -> None:
    """Untrusted schema files: a catalog or an InputError naming a place, never a crash."""
    root = tmp_path_factory.mktemp("fuzz")
    shutil.copytree(ESTATE, root, dirs_exist_ok=True)
    for index, document in enumerate(documents):
        (root / f"avro/fuzz{index}.avsc").write_text(json.dumps(document))
    (root / "avro/deep.avsc").write_text("[" * deep + "]" * deep)
    try:
        load_catalog(root)
    except InputError as error:
        assert "\n" not in error.message and ".avsc" in error.message


def test_avdl_syntax_error_and_import_cycle_name_file_line_col(tree: Path) -> None:
    billing = tree / "avro/billing/billing.avdl"
    edit(billing, "    int lines;", "    int lines")
    error = fails(tree)
    assert re.search(
        rf"{re.escape(str(billing))}:{line_of(billing, 'InvoiceStatus status')}:\d+: ", error.message
    )
    edit(billing, "    int lines", "    int lines;")
    (tree / "avro/billing/a.avdl").write_text('protocol A { import idl "b.avdl"; }\n')
    (tree / "avro/billing/b.avdl").write_text('protocol B { import idl "a.avdl"; }\n')
    assert "import cycle" in fails(tree).message
