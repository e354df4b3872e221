"""`govern import`: a registry populated by confluent-kafka-python's own client (versions,
references, a shared type under a subject named by its team, strategies, a primitive key,
per-subject levels, a soft-deleted version) becomes schemas/ and contracts/ that govern then
finds nothing to check or register in."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from confluent_kafka.schema_registry import Schema, SchemaReference, SchemaRegistryClient

from govern.registry import Client
from govern.registry.server.run import serve_in_thread

ROOT = Path(__file__).resolve().parents[2]


def record(name: str, fields: list[dict], namespace: str = "com.acme") -> dict:
    return {"type": "record", "name": name, "namespace": namespace, "fields": fields}


ADDRESS = record("Address", [{"name": "street", "type": "string"}, {"name": "city", "type": "string"}])
CUSTOMER_V1 = record(
    "Customer", [{"name": "id", "type": "string"}, {"name": "address", "type": "com.acme.Address"}]
)
CUSTOMER_V2 = record(
    "Customer",
    [*CUSTOMER_V1["fields"], {"name": "email", "type": ["null", "string"], "default": None}],
)
ORDER = [
    record("Order", [{"name": "id", "type": "long"}]),
    record("Order", [{"name": "id", "type": "long"}, {"name": "note", "type": "string", "default": ""}]),
    record("Order", [{"name": "id", "type": "long"}, {"name": "note", "type": "string", "default": "-"}]),
]
PAID = record(
    "PaymentMade",
    [{"name": "amount", "type": {"type": "bytes", "logicalType": "decimal", "precision": 12, "scale": 2}}],
)
REFUNDED = record("PaymentRefunded", [{"name": "reason", "type": "string"}])
MONEY = record("Money", [{"name": "cents", "type": "long"}, {"name": "currency", "type": "string"}])
REFUND = record("Refund", [{"name": "id", "type": "string"}, {"name": "amount", "type": "com.acme.Money"}])
INVOICE = record(
    "Invoice",
    [
        {"name": "id", "type": "string"},
        {
            "name": "lines",
            "type": {"type": "array", "items": record("Line", [{"name": "sku", "type": "string"}])},
        },
    ],
    namespace="com.acme.billing",
)


def populate(url: str) -> None:
    """An estate as teams have it, written only through confluent-kafka-python's client."""
    sr = SchemaRegistryClient({"url": url})
    avro = lambda schema, refs=None: Schema(json.dumps(schema), "AVRO", refs or [])  # noqa: E731
    sr.register_schema("com.acme.Address", avro(ADDRESS))
    address = [SchemaReference("com.acme.Address", "com.acme.Address", 1)]
    sr.register_schema("customers-value", avro(CUSTOMER_V1, address))
    sr.register_schema("customers-value", avro(CUSTOMER_V2, address))
    sr.register_schema("customers-key", Schema('"string"', "AVRO"))
    for schema in ORDER:
        sr.register_schema("orders-value", avro(schema))
    sr.delete_version("orders-value", 3)  # soft-deleted: the latest live version is 2
    sr.register_schema("orders-key", Schema('"long"', "AVRO"))
    sr.set_compatibility("orders-value", "FULL")
    sr.set_compatibility("orders-key", "FULL")
    sr.register_schema("payments-com.acme.PaymentMade", avro(PAID))
    sr.register_schema("payments-com.acme.PaymentRefunded", avro(REFUNDED))
    sr.register_schema("invoices-value", avro(INVOICE))  # self-contained, a nested type inline
    # a shared type under a subject its team named, not after the type
    sr.register_schema("shared-money", avro(MONEY))
    sr.register_schema("refunds-value", avro(REFUND, [SchemaReference("com.acme.Money", "shared-money", 1)]))


def govern(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GOVERN_REGISTRY")}
    env["PYTHONPATH"] = str(ROOT)
    return subprocess.run(
        [sys.executable, "-m", "govern", *args], cwd=cwd, capture_output=True, text=True, timeout=120, env=env
    )


@pytest.fixture
def url() -> Iterator[str]:
    with serve_in_thread(None) as base:
        populate(base)
        yield base


def snapshot(url: str) -> dict[str, object]:
    with Client(url) as client:
        return {
            s: (client.versions(s), client.get_config(s, default_to_global=True).compatibility)
            for s in client.subjects()
        }


def files(root: Path) -> dict[str, str]:
    return {
        p.relative_to(root).as_posix(): p.read_text()
        for p in sorted(root.rglob("*"))
        if p.is_file() and ".git" not in p.parts
    }


def test_import_then_nothing_to_check_or_register(tmp_path: Path, url: str) -> None:
    repo = tmp_path / "estate"
    repo.mkdir()
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    result = govern("import", "--registry", url, cwd=repo)
    assert result.returncode == 0, result.stderr
    written = files(repo)
    assert "schemas/com.acme.Address.avsc" in written and "schemas/com.acme.billing.Invoice.avsc" in written
    topics = written["contracts/topics.yaml"]
    assert "subject_strategy: topic_record" in topics and "key_schema: long" in topics
    assert "compatibility: FULL" in topics
    assert "reference_subjects:" in topics and "com.acme.Money: shared-money" in topics
    assert "Kafka does not record who produces" in written["contracts/unassigned.yaml"]
    assert json.loads(written["schemas/com.acme.Order.avsc"]) == ORDER[1]  # v3 was soft-deleted

    check = govern("check", "--registry", url, "--all", "--format", "json", cwd=repo)
    assert check.returncode == 0, check.stdout + check.stderr
    report = json.loads(check.stdout)
    assert not [f for s in report["subjects"] for f in s["findings"]]
    plan = govern("register", "--registry", url, "--dry-run", "--format", "json", cwd=repo)
    assert plan.returncode == 0, plan.stderr
    assert json.loads(plan.stdout)["changed"] is False, plan.stdout

    # deterministic: a second import into a fresh folder writes the same bytes
    again = tmp_path / "again"
    assert govern("import", "--registry", url, "--root", str(again), cwd=tmp_path).returncode == 0
    assert files(again) == written
    # existing files are never overwritten without --force, and nothing is half-written
    refused = govern("import", "--registry", url, cwd=repo)
    assert refused.returncode == 2 and "exists" in refused.stderr and "--force" in refused.stderr
    assert files(repo) == written
    assert govern("import", "--registry", url, "--force", cwd=repo).returncode == 0


def test_a_branch_with_a_break_writes_nothing_until_the_ledger_accepts_it(tmp_path: Path, url: str) -> None:
    repo = tmp_path / "estate"
    assert govern("import", "--registry", url, "--root", str(repo), cwd=tmp_path).returncode == 0
    before = snapshot(url)
    customer = repo / "schemas/com.acme.Customer.avsc"
    schema = json.loads(customer.read_text())
    schema["fields"].append({"name": "tier", "type": ["null", "int"], "default": None})  # compatible
    customer.write_text(json.dumps(schema, indent=2))
    invoice = repo / "schemas/com.acme.billing.Invoice.avsc"
    schema = json.loads(invoice.read_text())
    schema["fields"].append({"name": "total", "type": "long"})  # no default: breaks BACKWARD
    invoice.write_text(json.dumps(schema, indent=2))
    result = govern("register", "--registry", url, "--format", "json", cwd=repo)
    assert result.returncode == 1, result.stderr
    assert snapshot(url) == before
    finding = next(s for s in json.loads(result.stdout)["subjects"] if s["status"] == "incompatible")[
        "findings"
    ][0]
    expires = (dt.date.today() + dt.timedelta(days=7)).isoformat()
    (repo / "contracts/accepted-breaks.yaml").write_text(
        "breaks:\n  - subject: invoices-value\n"
        f"    rule: {finding['rule']}\n    location: {finding['location']}\n"
        f"    reason: billing readers upgraded\n    owner: billing\n    expires: {expires}\n"
    )
    result = govern("register", "--registry", url, "--format", "json", cwd=repo)
    assert result.returncode == 0, result.stdout + result.stderr
    after = snapshot(url)
    assert after["invoices-value"] == ([1, 2], "BACKWARD") and after["customers-value"][0] == [1, 2, 3]


def test_bad_regex_and_unreachable_registry(tmp_path: Path, url: str) -> None:
    bad = govern("import", "--registry", url, "--subjects", "(", cwd=tmp_path)
    assert bad.returncode == 2 and "--subjects" in bad.stderr and "Traceback" not in bad.stderr
    gone = govern("import", "--registry", "http://127.0.0.1:9", cwd=tmp_path)
    assert gone.returncode == 3 and "unreachable" in gone.stderr
    assert not (tmp_path / "contracts").exists()
