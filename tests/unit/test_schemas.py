"""The exchange's Avro schemas: they parse, are documented, keep money exact (decimal, never
float) and round-trip sample records through fastavro's binary encoding."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any
from uuid import UUID

import fastavro
import pytest
from fastavro.schema import load_schema

SCHEMAS = Path(__file__).resolve().parents[2] / "schemas"
FILES = sorted(SCHEMAS.glob("*.avsc"))
MONEY_FIELDS = {"amount", "bid", "ask", "price", "debit_amount", "credit_amount"}
NAMED = {"record", "error", "enum", "fixed"}
DECIMAL = {"type": "bytes", "logicalType": "decimal", "precision": 24, "scale": 8}
TS = datetime(2026, 11, 25, 1, 2, 3, 456000, tzinfo=UTC)
GUID = UUID("6f1c1c0e-6d0b-4b8e-9b5e-0f6a3f8e2a11")


def _json(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text())


def _named_types(node: Any) -> Iterator[dict[str, Any]]:
    """Every named type defined in a schema, depth-first."""
    if isinstance(node, list):
        for item in node:
            yield from _named_types(item)
    elif isinstance(node, dict):
        if node.get("type") in NAMED:
            yield node
            for fld in node.get("fields", []):
                yield from _named_types(fld["type"])
        else:
            for key in ("type", "items", "values"):
                if key in node:
                    yield from _named_types(node[key])


def _fields() -> Iterator[tuple[str, dict[str, Any]]]:
    for path in FILES:
        for named in _named_types(_json(path)):
            for fld in named.get("fields", []):
                yield f"{path.name}:{named['name']}.{fld['name']}", fld


def _branches(field_type: Any) -> list[Any]:
    return [b for b in field_type if b != "null"] if isinstance(field_type, list) else [field_type]


def test_every_declared_type_has_a_file() -> None:
    expected = {
        "AccountRequest",
        "Account",
        "ExchangeRate",
        "TransactionRequest",
        "Transaction",
        "TransactionRejected",
        "Wallet",
        "Address",
        "TransactionType",
        "internal.Balance",
    }
    assert {p.name.removeprefix("io.govern.exchange.").removesuffix(".avsc") for p in FILES} == expected


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_parses_with_fastavro(path: Path) -> None:
    # load_schema resolves names of other files from <full name>.avsc in the same directory
    parsed = load_schema(path)
    data = _json(path)
    assert f"{data['namespace']}.{data['name']}.avsc" == path.name
    assert parsed["name"] == f"{data['namespace']}.{data['name']}"


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_named_types_are_documented_and_enums_can_evolve(path: Path) -> None:
    for named in _named_types(_json(path)):
        assert named.get("doc", "").strip(), f"{path.name}: {named['name']} has no doc"
        if named["type"] == "enum":
            assert named.get("default") == "UNKNOWN" and "UNKNOWN" in named["symbols"], named["name"]


def test_every_field_has_a_doc() -> None:
    undocumented = [where for where, fld in _fields() if not fld.get("doc", "").strip()]
    assert undocumented == []


def test_money_is_decimal_p24_s8() -> None:
    money = [(where, fld) for where, fld in _fields() if fld["name"] in MONEY_FIELDS]
    assert len(money) >= 10
    for where, fld in money:
        assert _branches(fld["type"]) == [DECIMAL], where
    # and no float or double anywhere
    assert all("float" not in p.read_text() and '"double"' not in p.read_text() for p in FILES)


def test_timestamps_are_timestamp_millis() -> None:
    stamps = [(w, f) for w, f in _fields() if f["name"].endswith(("_at", "timestamp"))]
    assert len(stamps) >= 11
    for where, fld in stamps:
        assert _branches(fld["type"]) == [{"type": "long", "logicalType": "timestamp-millis"}], where


def test_requests_and_outcomes_carry_a_uuid_guid() -> None:
    for name in ("AccountRequest", "TransactionRequest", "Transaction", "TransactionRejected"):
        (guid,) = [
            f for f in _json(SCHEMAS / f"io.govern.exchange.{name}.avsc")["fields"] if f["name"] == "guid"
        ]
        assert guid["type"] == {"type": "string", "logicalType": "uuid"}


def test_enums() -> None:
    kind = _json(SCHEMAS / "io.govern.exchange.TransactionType.avsc")
    assert set(kind["symbols"]) == {"UNKNOWN", "DEPOSIT", "WITHDRAW", "EXCHANGE"}
    rejected = _json(SCHEMAS / "io.govern.exchange.TransactionRejected.avsc")
    (reason,) = [f["type"] for f in rejected["fields"] if f["name"] == "reason"]
    assert {
        "INVALID_AMOUNT",
        "UNKNOWN_ACCOUNT",
        "UNSUPPORTED_CURRENCY",
        "RATE_UNAVAILABLE",
        "SAME_CURRENCY",
        "INSUFFICIENT_FUNDS",
        "DUPLICATE_REQUEST",
    } <= set(reason["symbols"])


ADDRESS = {"street": "Rue Haute", "number": "12b", "city": "Brussels", "postal_code": "1000", "country": "BE"}
SAMPLES: dict[str, dict[str, Any]] = {
    "io.govern.exchange.AccountRequest": {
        "guid": GUID,
        "account_id": "acc-1",
        "action": "CREATE",
        "first_name": "Ada",
        "last_name": "Lovelace",
        "email": None,
        "address": ADDRESS,
        "requested_at": TS,
    },
    "io.govern.exchange.Account": {
        "account_id": "acc-1",
        "first_name": "Ada",
        "last_name": "Lovelace",
        "email": "ada@example.org",
        "address": ADDRESS,
        "status": "ACTIVE",
        "created_at": TS,
        "updated_at": TS,
    },
    "io.govern.exchange.ExchangeRate": {
        "base": "BTC",
        "quote": "USD",
        "bid": Decimal("8000.12345678"),
        "ask": Decimal("8001.00000001"),
        "timestamp": TS,
    },
    "io.govern.exchange.TransactionRequest": {
        "guid": GUID,
        "account_id": "acc-1",
        "type": "EXCHANGE",
        "amount": Decimal("0.10000000"),
        "currency": "BTC",
        "target_currency": "USD",
        "requested_at": TS,
    },
    "io.govern.exchange.Transaction": {
        "guid": GUID,
        "account_id": "acc-1",
        "type": "EXCHANGE",
        "debit_amount": Decimal("0.1"),
        "debit_currency": "BTC",
        "credit_amount": Decimal("800.01234568"),
        "credit_currency": "USD",
        "rate": {
            "base": "BTC",
            "quote": "USD",
            "side": "BID",
            "price": Decimal("8000.12345678"),
            "rate_timestamp": TS,
        },
        "processed_at": TS,
    },
    "io.govern.exchange.TransactionRejected": {
        "guid": GUID,
        "account_id": "acc-1",
        "type": "WITHDRAW",
        "amount": Decimal("25"),
        "currency": "USD",
        "target_currency": None,
        "reason": "INSUFFICIENT_FUNDS",
        "message": "balance 10 USD is below 25 USD",
        "rejected_at": TS,
    },
    "io.govern.exchange.Wallet": {
        "account_id": "acc-1",
        "balances": [
            {
                "currency": "BTC",
                "amount": Decimal("0.3"),
                "valuation": {"currency": "USD", "amount": Decimal("2400.03703703"), "rate_timestamp": TS},
            },
            {"currency": "USD", "amount": Decimal("0.1") + Decimal("0.2"), "valuation": None},
        ],
        "total_valuation": None,
        "updated_at": TS,
    },
    "io.govern.exchange.internal.Balance": {
        "account_id": "acc-1",
        "currency": "USD",
        "amount": Decimal("9999999999999999.99999999"),
        "last_guid": GUID,
        "updated_at": TS,
    },
}


@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_round_trip_keeps_money_exact(name: str) -> None:
    schema = load_schema(SCHEMAS / f"{name}.avsc")
    record = SAMPLES[name]
    buffer = io.BytesIO()
    fastavro.schemaless_writer(buffer, schema, record)
    buffer.seek(0)
    decoded = fastavro.schemaless_reader(buffer, schema, schema)
    assert decoded == record
    assert not [v for v in _leaves(decoded) if isinstance(v, float)]
    if name not in ("io.govern.exchange.Account", "io.govern.exchange.AccountRequest"):  # no money there
        assert [v for v in _leaves(decoded) if isinstance(v, Decimal)]


def _leaves(node: Any) -> Iterator[Any]:
    if isinstance(node, dict):
        for value in node.values():
            yield from _leaves(value)
    elif isinstance(node, list):
        for value in node:
            yield from _leaves(value)
    else:
        yield node


def test_decimal_sum_is_exact_on_the_wire() -> None:
    wallet = SAMPLES["io.govern.exchange.Wallet"]
    assert wallet["balances"][1]["amount"] == Decimal("0.3")  # 0.1 + 0.2 is not 0.30000000000000004


def test_more_than_eight_decimals_is_refused() -> None:
    schema = load_schema(SCHEMAS / "io.govern.exchange.ExchangeRate.avsc")
    record = {**SAMPLES["io.govern.exchange.ExchangeRate"], "bid": Decimal("1.123456789")}
    with pytest.raises(ValueError):
        fastavro.schemaless_writer(io.BytesIO(), schema, record)


def test_samples_cover_every_top_level_value_schema() -> None:
    assert set(SAMPLES) == {p.name.removesuffix(".avsc") for p in FILES} - {
        "io.govern.exchange.Address",
        "io.govern.exchange.TransactionType",
    }
