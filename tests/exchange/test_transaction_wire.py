"""The transaction service's hand-written Avro (services/transaction/wire.py) against fastavro.

Every writer must give fastavro's bytes for the catalog's schemas, and the request reader must
give fastavro's record, or None (meaning: let fastavro decide), never anything else.
"""

from __future__ import annotations

import io
import random
import uuid
from decimal import Decimal
from typing import Any

import fastavro
import pytest

from services.common.config import ServiceConfig
from services.transaction import wire
from services.transaction.rules import Request

CONFIG = ServiceConfig("127.0.0.1:1", "http://127.0.0.1:1")
SCHEMAS = {name: CONFIG.spec(name).value_schema.expanded for name in wire.SCHEMA_FINGERPRINTS}
PARSED = {name: fastavro.parse_schema(schema) for name, schema in SCHEMAS.items()}
AMOUNTS = [
    Decimal("0E-8"),
    Decimal("0.00000001"),
    Decimal("1.00000000"),
    Decimal("127.00000000"),
    Decimal("0.00000128"),
    Decimal("-0.00000128"),
    Decimal("-0.00000129"),
    Decimal("-1.50000000"),
    Decimal("5"),  # fewer decimals than the scale
    Decimal("1E+3"),
    Decimal("9999999999999999.99999999"),  # 24 digits
    Decimal("-9999999999999999.99999999"),
    Decimal("50050.00000000"),
]


def fastavro_bytes(name: str, record: dict[str, Any]) -> bytes:
    buffer = io.BytesIO()
    fastavro.schemaless_writer(buffer, PARSED[name], record)
    return buffer.getvalue()


def random_amount(rng: random.Random) -> Decimal:
    digits = rng.randint(1, 24)
    unscaled = rng.randint(0, 10**digits - 1) * rng.choice([1, 1, 1, -1])
    return Decimal(unscaled).scaleb(-8)


def test_the_catalog_schemas_are_the_ones_written_by_hand() -> None:
    """A changed schema fails here: update wire.py (and SCHEMA_FINGERPRINTS) along with it."""
    assert wire.matches(SCHEMAS)
    changed = {**SCHEMAS, "transaction-failed": {**SCHEMAS["transaction-failed"], "fields": []}}
    assert not wire.matches(changed)
    assert wire.fingerprint({"type": "string", "doc": "a"}) == wire.fingerprint({"type": "string"})


@pytest.mark.parametrize("n", [0, 1, -1, 63, 64, -64, -65, 2**31, 1_700_000_000_000, 2**63 - 1, -(2**63)])
def test_long_bytes_are_avro_longs(n: int) -> None:
    buffer = io.BytesIO()
    fastavro.schemaless_writer(buffer, "long", n)
    assert wire.long_bytes(n) == buffer.getvalue()


def test_long_bytes_refuses_what_no_long_holds() -> None:
    with pytest.raises(ValueError):
        wire.long_bytes(2**63)


@pytest.mark.parametrize("amount", AMOUNTS)
def test_balances_and_their_decimals_are_fastavros_bytes(amount: Decimal) -> None:
    record = {"account_id": "acc-1", "currency": "USD", "amount": amount,
              "last_guid": str(uuid.uuid4()), "updated_at": 1_700_000_000_123}  # fmt: skip
    assert wire.write_balance(**record) == fastavro_bytes("transaction-balance-changelog", record)


@pytest.mark.parametrize("amount", [Decimal("0.000000001"), Decimal("10000000000000000.00000000"),
                                    Decimal("NaN"), Decimal("Infinity")])  # fmt: skip
def test_decimals_beyond_the_schema_are_refused(amount: Decimal) -> None:
    with pytest.raises(ValueError):
        wire.decimal_bytes(amount)


def test_outcomes_are_fastavros_bytes() -> None:
    rng = random.Random(5)
    for _ in range(500):
        kind = rng.choice(["DEPOSIT", "WITHDRAW", "EXCHANGE"])
        rate = None
        if kind == "EXCHANGE":
            side, price = rng.choice(["BID", "ASK"]), random_amount(rng).copy_abs()
            rate = {"base": "BTC", "quote": "USD", "side": side, "price": price,
                    "rate_timestamp": rng.randint(0, 2**45)}  # fmt: skip
        success = {
            "guid": str(uuid.uuid4()),
            "account_id": rng.choice(["a", "acc-001", "x" * 70, "zoë"]),
            "type": kind,
            "debit_amount": None if kind == "DEPOSIT" else random_amount(rng),
            "debit_currency": None if kind == "DEPOSIT" else "USD",
            "credit_amount": None if kind == "WITHDRAW" else random_amount(rng),
            "credit_currency": None if kind == "WITHDRAW" else "BTC",
            "rate": rate,
            "processed_at": rng.randint(0, 2**45),
        }
        args = {k: v for k, v in success.items() if k not in ("type", "rate")}
        plain_rate = None if rate is None else tuple(rate.values())
        got = wire.write_success(type_=kind, rate=plain_rate, **args)
        assert got == fastavro_bytes("transaction-success", success)
        rejection = {
            "guid": str(uuid.uuid4()),
            "account_id": rng.choice(["a", "acc-001"]),
            "type": rng.choice(wire.TYPES),
            "amount": rng.choice([None, random_amount(rng)]),
            "currency": rng.choice([None, "USD", ""]),
            "target_currency": rng.choice([None, "BTC"]),
            "reason": rng.choice(wire.REASONS),
            "message": rng.choice(["", "balance 10.00000000 USD is below 25.00000000 USD", "é" * 100]),
            "rejected_at": rng.randint(0, 2**45),
        }
        args = {k: v for k, v in rejection.items() if k != "type"}
        assert wire.write_rejection(type_=rejection["type"], **args) == fastavro_bytes(
            "transaction-failed", rejection
        )


def test_unknown_symbols_are_refused_like_fastavro() -> None:
    with pytest.raises(ValueError):
        wire.write_rejection("g", "a", "DEPOSIT", None, None, None, "NO_SUCH_REASON", "", 0)
    with pytest.raises(ValueError):
        wire.write_success("g", "a", "REFUND", None, None, None, None, None, 0)


def fastavro_request(body: bytes) -> Request | None:
    """What the generic path makes of a body (None where it raises)."""
    try:
        record = fastavro.schemaless_reader(io.BytesIO(body), PARSED["transaction-request"], None)
        return Request.from_record(record)
    except Exception:  # noqa: BLE001 - any refusal counts as one
        return None


def request_body(rng: random.Random) -> bytes:
    kind = rng.choice(wire.TYPES)
    return fastavro_bytes(
        "transaction-request",
        {
            "guid": rng.choice([str(uuid.uuid4()), str(uuid.uuid4()).upper(), uuid.uuid4().hex]),
            "account_id": rng.choice(["acc-001", "", "x" * 100, "zoë"]),
            "type": kind,
            "amount": random_amount(rng),
            "currency": rng.choice(["USD", "BTC", "", "c" * 80]),
            "target_currency": rng.choice([None, "BTC", "USD"]),
            "requested_at": rng.randint(-(2**40), 2**45),
        },
    )


def test_requests_read_as_fastavro_reads_them_or_not_at_all() -> None:
    rng = random.Random(11)
    read = 0
    for _ in range(3000):
        body = request_body(rng)
        expected = fastavro_request(body)
        assert expected is not None
        got = wire.read_request(b"\x00\x00\x00\x00\x01" + body)
        if got is not None:
            read += 1
            assert got == expected
            assert got.amount.as_tuple() == expected.amount.as_tuple()  # the same exponent too
    assert read > 400  # the common shapes (about a fifth of these) take the fast path


def test_damaged_requests_are_never_read_differently() -> None:
    rng = random.Random(13)
    for _ in range(5000):
        body = bytearray(request_body(rng))
        for _ in range(rng.randint(1, 3)):
            action = rng.random()
            if action < 0.4 and body:
                body[rng.randrange(len(body))] = rng.randrange(256)
            elif action < 0.7 and body:
                del body[rng.randrange(len(body)) :]
            else:
                body.insert(rng.randrange(len(body) + 1), rng.randrange(256))
        got = wire.read_request(b"\x00\x00\x00\x00\x01" + bytes(body))
        if got is not None:
            assert got == fastavro_request(bytes(body))


@pytest.mark.parametrize("stamp", [-62135596800000, 253402300799999, -62135596800001, 253402300800000, 0])
def test_request_times_are_refused_where_fastavro_refuses_them(stamp: int) -> None:
    record = {"guid": str(uuid.uuid4()), "account_id": "a", "type": "DEPOSIT", "amount": Decimal("1"),
              "currency": "USD", "target_currency": None, "requested_at": stamp}  # fmt: skip
    body = fastavro_bytes("transaction-request", record)
    expected = fastavro_request(body)
    assert wire.read_request(b"\x00\x00\x00\x00\x01" + body) == expected
    assert (expected is None) == (stamp in (-62135596800001, 253402300800000))


def test_first_string_is_the_outcomes_guid() -> None:
    guid = str(uuid.uuid4())
    body = wire.write_rejection(guid, "a", "DEPOSIT", None, None, None, "INVALID_AMOUNT", "m", 1)
    assert wire.first_string(b"\x00\x00\x00\x00\x07" + body) == guid
    with pytest.raises(ValueError):
        wire.first_string(b"\x00\x00\x00\x00\x07\x40abc")
