"""Issue 15's proof: a project laid out as real repositories are (tests/data/estate), through the CLI.

Multi-type files, files named after topics (`orders-value.avsc`) and versions (`payment_v2.avsc`),
nested folders, Avro IDL in both syntaxes, a primitive key, a multi-event topic, each subject name
strategy, and govern.toml naming the folders `avro/` and `governance/`: `catalog`, `check
--against` (a compatible edit passes; a break in one event type of a multi-event topic, or inside
an `.avdl` type, fails with the right subject, rule and file:line), `register` into the embedded
registry, and confluent-kafka-python's AvroSerializer, configured with the matching
`subject.name.strategy`, finds every subject register wrote.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest

ESTATE = Path(__file__).resolve().parents[1] / "data" / "estate"
EVENTS = "avro/orders/order-events.avsc"
PAYMENT = "avro/payments/payment_v2.avsc"
TYPES = "avro/common/types.avsc"
BILLING = "avro/billing/billing.avdl"
GIT_ENV = {
    "GIT_AUTHOR_NAME": "t",
    "GIT_AUTHOR_EMAIL": "t@example.invalid",
    "GIT_COMMITTER_NAME": "t",
    "GIT_COMMITTER_EMAIL": "t@example.invalid",
}

#: topic -> its subjects, as Confluent's serializers name them under the topic's strategy
SUBJECTS = {
    "orders": ["orders-value", "orders-key"],
    "order-events": ["order-events-value", "order-events-key"],
    "order-audit": ["com.acme.orders.OrderCreated", "com.acme.orders.OrderCancelled"],
    "payments": ["com.acme.payments.Payment", "payments-key"],
    "customer-events": [
        "customer-events-com.acme.customers.CustomerRegistered",
        "customer-events-com.acme.customers.CustomerMoved",
    ],
    "shipments": ["shipments-value", "shipments-key"],
    "invoices": ["invoices-value"],
    "refunds": ["com.acme.billing.Refund"],
}


def govern(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "GOVERN_REGISTRY_URL"}
    return subprocess.run(
        [sys.executable, "-m", "govern", *args], cwd=cwd, capture_output=True, text=True, timeout=120, env=env
    )


def git(repo: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=repo, capture_output=True, env={**os.environ, **GIT_ENV}, check=True)


def replace(repo: Path, rel: str, old: str, new: str) -> None:
    path = repo / rel
    text = path.read_text()
    assert old in text, old
    path.write_text(text.replace(old, new, 1))


def line_of(repo: Path, rel: str, needle: str) -> int:
    return next(i for i, line in enumerate((repo / rel).read_text().splitlines(), 1) if needle in line)


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    shutil.copytree(ESTATE, tmp_path, dirs_exist_ok=True)
    git(tmp_path, "init", "-q", "-b", "main")
    git(tmp_path, "add", "-A")
    git(tmp_path, "commit", "-q", "-m", "v1")
    return tmp_path


def check(repo: Path) -> tuple[int, dict]:
    result = govern("check", "--against", "main", "--format", "json", cwd=repo)
    assert result.returncode in (0, 1), result.stderr
    return result.returncode, json.loads(result.stdout)


def entry(data: dict, subject: str) -> dict:
    return next(s for s in data["subjects"] if s["subject"] == subject)


def test_catalog_lists_each_topics_subjects_by_its_strategy(repo: Path) -> None:
    result = govern("catalog", "--format", "json", cwd=repo)
    assert result.returncode == 0, result.stderr
    topics = {t["name"]: t for t in json.loads(result.stdout)["topics"]}
    assert {name: [s["name"] for s in t["subjects"]] for name, t in topics.items()} == SUBJECTS
    events = topics["order-events"]
    assert events["value_schema"]["types"] == [
        "com.acme.orders.OrderCreated",
        "com.acme.orders.OrderShipped",
        "com.acme.orders.OrderCancelled",
    ]
    assert topics["orders"]["subjects"][1]["schema"] == {"name": "long", "file": None}
    assert topics["payments"]["subject_strategy"] == {"value": "record", "key": "topic"}
    assert topics["shipments"]["value_schema"] == {
        "name": "com.acme.shipping.Shipment",
        "file": "avro/shipping/v1/shipment.avsc",
    }


def test_compatible_edit_in_a_multi_type_file_passes(repo: Path) -> None:
    replace(
        repo,
        EVENTS,
        '{"name": "parcels", "type": "int"}',
        '{"name": "parcels", "type": "int"},\n      {"name": "carrier", "type": "string", "default": ""}',
    )
    code, data = check(repo)
    assert code == 0, data
    assert entry(data, "order-events-value")["status"] == "changed"
    assert [s["subject"] for s in data["subjects"]] == ["order-events-value"]  # nothing else changed


def test_break_in_one_event_type_names_the_subject_rule_and_line(repo: Path) -> None:
    replace(repo, EVENTS, '{"name": "parcels", "type": "int"}', '{"name": "parcels", "type": "string"}')
    code, data = check(repo)
    assert code == 1
    [finding] = entry(data, "order-events-value")["findings"]
    assert finding["rule"] == "TYPE_MISMATCH"
    assert (finding["file"], finding["line"]) == (EVENTS, line_of(repo, EVENTS, '"parcels"'))
    assert finding["location"] == "/1/fields/1/type"  # OrderShipped: the union's branch 1
    assert [s["subject"] for s in data["subjects"]] == ["order-events-value"]  # not order-audit's types


def test_break_in_a_shared_type_reaches_every_subject_using_it(repo: Path) -> None:
    replace(repo, TYPES, '"symbols": ["EUR", "USD", "GBP"]', '"symbols": ["EUR", "USD"]')
    code, data = check(repo)
    assert code == 1
    failing = {s["subject"] for s in data["subjects"] if s["findings"]}
    assert failing == {
        "orders-value",
        "order-events-value",
        "com.acme.orders.OrderCreated",
        "com.acme.payments.Payment",
    }
    finding = entry(data, "com.acme.payments.Payment")["findings"][0]
    assert finding["rule"] == "MISSING_ENUM_SYMBOLS"
    assert (finding["file"], finding["line"]) == (TYPES, line_of(repo, TYPES, '"Currency"'))


def test_record_strategy_subject_is_checked_under_its_type_name(repo: Path) -> None:
    replace(
        repo,
        PAYMENT,
        '{"name": "payment_id", "type": "string"},',
        '{"name": "payment_id", "type": "string"},\n    {"name": "fee", "type": "int"},',
    )
    code, data = check(repo)
    assert code == 1
    [finding] = entry(data, "com.acme.payments.Payment")["findings"]
    assert finding["rule"] == "READER_FIELD_MISSING_DEFAULT_VALUE"
    assert (finding["file"], finding["line"]) == (PAYMENT, line_of(repo, PAYMENT, '"fee"'))


def test_release_plan_orders_consumers_of_a_multi_event_topic_first(repo: Path) -> None:
    replace(repo, EVENTS, ',\n      {"name": "parcels", "type": "int"}', "")  # readable by new readers only
    result = govern("release-plan", "--against", "main", "--format", "json", cwd=repo)
    assert result.returncode == 0, result.stderr
    plan = json.loads(result.stdout)
    assert [s["services"] for s in plan["stages"]] == [["shipping"], ["orders"]]
    assert "OrderCreated|OrderShipped|OrderCancelled@main" in plan["stages"][0]["reasons"][0]


def test_break_inside_an_avdl_type_names_its_line_in_the_avdl(repo: Path) -> None:
    replace(repo, BILLING, "    int lines;", "    string lines;")
    code, data = check(repo)
    assert code == 1
    [finding] = entry(data, "invoices-value")["findings"]
    assert finding["rule"] == "TYPE_MISMATCH" and finding["location"] == "/fields/2/type"
    assert (finding["file"], finding["line"]) == (BILLING, line_of(repo, BILLING, "string lines;"))
    assert [s["subject"] for s in data["subjects"]] == ["invoices-value"]


@pytest.fixture
def url() -> Iterator[str]:
    from govern.registry.server.run import serve_in_thread

    with serve_in_thread(None) as base:
        yield base


def test_register_then_confluent_serializers_find_every_subject(repo: Path, url: str) -> None:
    from confluent_kafka.schema_registry import (
        Schema,
        SchemaReference,
        SchemaRegistryClient,
        record_subject_name_strategy,
        topic_record_subject_name_strategy,
        topic_subject_name_strategy,
    )
    from confluent_kafka.schema_registry.avro import AvroSerializer
    from confluent_kafka.serialization import MessageField, SerializationContext

    result = govern("register", "--registry", url, "--format", "json", cwd=repo)
    assert result.returncode == 0, result.stdout + result.stderr
    written = {s["subject"]: s for s in json.loads(result.stdout)["subjects"]}
    every = {name for names in SUBJECTS.values() for name in names}
    assert every <= set(written)
    again = govern("check", "--registry", url, "--format", "json", cwd=repo)  # what it wrote is what we have
    assert again.returncode == 0 and json.loads(again.stdout)["subjects"] == [], again.stdout + again.stderr
    union = written["order-events-value"]
    assert [r["name"] for r in union["references"]] == [
        "com.acme.orders.OrderCreated",
        "com.acme.orders.OrderShipped",
        "com.acme.orders.OrderCancelled",
    ]

    address = {"street": "s", "city": "c", "country": "NL"}
    created = {"order_id": "o1", "total": {"amount": Decimal("12.50"), "currency": "EUR"}}
    cases = [  # topic, key or value, the topic's strategy, the subject it must find, a value
        ("orders", "key", "topic", "orders-key", 7),
        (
            "orders",
            "value",
            "topic",
            "orders-value",
            {**created, "id": "o1", "customer": "c1", "ship_to": address},
        ),
        ("order-events", "key", "topic", "order-events-key", "o1"),
        (
            "order-events",
            "value",
            "topic",
            "order-events-value",
            ("com.acme.orders.OrderShipped", {"order_id": "o1", "parcels": 2}),
        ),
        ("order-audit", "value", "record", "com.acme.orders.OrderCreated", created),
        (
            "order-audit",
            "value",
            "record",
            "com.acme.orders.OrderCancelled",
            {"order_id": "o1", "reason": None},
        ),
        (
            "payments",
            "value",
            "record",
            "com.acme.payments.Payment",
            {"payment_id": "p", "order_id": "o", "amount": created["total"], "method": "CARD"},
        ),
        ("payments", "key", "topic", "payments-key", "p1"),
        (
            "customer-events",
            "value",
            "topic_record",
            "customer-events-com.acme.customers.CustomerRegistered",
            {"customer_id": "c1", "address": address},
        ),
        (
            "customer-events",
            "value",
            "topic_record",
            "customer-events-com.acme.customers.CustomerMoved",
            {"customer_id": "c1", "address": address},
        ),
        (
            "shipments",
            "value",
            "topic",
            "shipments-value",
            {"shipment_id": "s", "order_id": "o", "carrier": "x"},
        ),
        ("shipments", "key", "topic", "shipments-key", {"shipment_id": "s"}),
        (
            "invoices",
            "value",
            "topic",
            "invoices-value",
            {"invoice_id": "i", "order_id": "o", "lines": 1, "status": "PAID"},
        ),
        (
            "refunds",
            "value",
            "record",
            "com.acme.billing.Refund",
            {"invoice_id": "i", "amount": Decimal("1.50"), "at": 0},
        ),
    ]
    assert {case[3] for case in cases} == every
    strategies = {
        "topic": topic_subject_name_strategy,
        "record": record_subject_name_strategy,
        "topic_record": topic_record_subject_name_strategy,
    }
    client = SchemaRegistryClient({"url": url})
    for topic, kind, strategy, subject, value in cases:
        registered = client.get_latest_version(subject)
        text = registered.schema.schema_str
        if json.loads(text) in ("long", "string"):  # the Python serializer reads primitives as objects only
            text = json.dumps({"type": json.loads(text)})
        schema = Schema(
            text,
            "AVRO",
            [SchemaReference(r.name, r.subject, r.version) for r in registered.schema.references or []],
        )
        serializer = AvroSerializer(
            client,
            schema,
            conf={"auto.register.schemas": False, "subject.name.strategy": strategies[strategy]},
        )
        field = MessageField.KEY if kind == "key" else MessageField.VALUE
        data = serializer(value, SerializationContext(topic, field))  # looks its subject up: found or raises
        assert data[:1] == b"\x00" and int.from_bytes(data[1:5], "big") == registered.schema_id, subject


def test_a_broken_base_does_not_block_the_change_that_repairs_it(repo: Path) -> None:
    replace(repo, BILLING, "    int lines;", "    int lines")
    git(repo, "commit", "-qam", "broken on main")
    replace(repo, BILLING, "    int lines", "    int lines;")
    code, data = check(repo)
    assert code == 0
    assert any("billing.avdl:11:5" in note and "checked as new" in note for note in data["notes"])
