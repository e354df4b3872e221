"""Hand-written Avro binary for the transaction service's hot path: the request in, the outcomes out.

The service's per-request Python time was mostly fastavro: ~8 µs to read a TransactionRequest
and ~25 µs to write an outcome (the generic writer walks the schema per record and converts
logical types). The schemas involved are small and fixed, so here each one is written out by
hand, in the field order of the catalog's schema:

- `read_request` reads a TransactionRequest body into a `rules.Request`;
- `write_success`, `write_rejection`, `write_balance` write the bodies of Transaction,
  TransactionRejected and Balance.

The bytes are exactly fastavro's for the same record (tests/exchange/test_transaction_wire.py
checks them against fastavro for the catalog's schemas, including the edge cases). The service
uses these only while the catalog's schemas are the ones written here (`SCHEMA_FINGERPRINTS`,
checked on start, docs ignored) and, for reading, only when a request's writer schema is the
catalog's own; otherwise it falls back to the generic codecs, so a schema change can make the
service slower, never wrong. `read_request` returns None for anything it does not read exactly
as fastavro would (a guid not in canonical form, an amount beyond the precision, an unknown
enum index, a truncated body): the caller then takes the generic path, which raises the same
errors as before.
"""

from __future__ import annotations

import decimal
import hashlib
import json
import re
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from services.transaction.rules import Request

PRECISION = 24
SCALE = 8
_LIMIT = 10**PRECISION
_QUANTUM = Decimal(1).scaleb(-SCALE)
_EXACT = decimal.Context(prec=60)  #: wide enough that scaleb of a 24-digit amount never rounds
TYPES = ("UNKNOWN", "DEPOSIT", "WITHDRAW", "EXCHANGE")
SIDES = ("UNKNOWN", "BID", "ASK")
REASONS = (
    "UNKNOWN",
    "INVALID_REQUEST",
    "INVALID_AMOUNT",
    "UNKNOWN_ACCOUNT",
    "ACCOUNT_CLOSED",
    "UNSUPPORTED_CURRENCY",
    "SAME_CURRENCY",
    "RATE_UNAVAILABLE",
    "INSUFFICIENT_FUNDS",
    "DUPLICATE_REQUEST",
)
_FIRST_MS, _LAST_MS = -62135596800000, 253402300799999  #: timestamp-millis fastavro reads: years 1..9999
_CANONICAL_UUID = re.compile(rb"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")

# ---------------------------------------------------------------- the schemas these functions write


def fingerprint(schema: Any) -> str:
    """SHA-256 of a schema's JSON without its docs: what decides the binary encoding."""

    def strip(node: Any) -> Any:
        if isinstance(node, dict):
            return {k: strip(v) for k, v in node.items() if k != "doc"}
        if isinstance(node, list):
            return [strip(item) for item in node]
        return node

    return hashlib.sha256(json.dumps(strip(schema), sort_keys=True).encode()).hexdigest()


SCHEMA_FINGERPRINTS = {
    "transaction-request": "5eb4652861a99694e2b4388cdd50ff68a0663351130e45d1e3f7dd44100d0d02",
    "transaction-success": "b82c7321ae8be754ceba5243dadc2aa13ad72800fa12f246ebbff629c0e418ea",
    "transaction-failed": "aa861cba54836692d731f71dc1bd26c1f73dc3aa59644db21875ef59d62fd6d3",
    "transaction-balance-changelog": "eece7f37a80f0b00c1253dcfeaee2b8a918d7f6d095ff477bf05d102c9bb405f",
}
"""Catalog topic -> fingerprint of the expanded value schema that the functions here implement."""


def matches(schemas: Mapping[str, Any]) -> bool:
    """Whether the catalog's expanded value schemas (by topic) are the ones written out here."""
    return all(fingerprint(schemas[name]) == expected for name, expected in SCHEMA_FINGERPRINTS.items())


# ---------------------------------------------------------------- primitives

_SMALL = [bytes([(n << 1)]) for n in range(64)]  #: zig-zag varints of 0..63 (string lengths, indexes)
_CACHE_LIMIT = 4096
_LONGS: dict[int, bytes] = {}  #: timestamps repeat: many records per millisecond
_TEXTS: dict[str, bytes] = {}  #: account ids and currency codes repeat


def long_bytes(n: int) -> bytes:
    """An Avro long: zig-zag, then a little-endian base-128 varint."""
    if 0 <= n < 64:
        return _SMALL[n]
    cached = _LONGS.get(n)
    if cached is not None:
        return cached
    if not -(2**63) <= n < 2**63:
        raise ValueError(f"{n} does not fit an Avro long")
    z = (n << 1) ^ (n >> 63)
    out = bytearray()
    while z >= 0x80:
        out.append((z & 0x7F) | 0x80)
        z >>= 7
    out.append(z)
    if len(_LONGS) >= _CACHE_LIMIT:
        _LONGS.clear()
    value = _LONGS[n] = bytes(out)
    return value


def string_bytes(text: str) -> bytes:
    """An Avro string: its UTF-8 length as a long, then the bytes."""
    raw = text.encode("utf-8")
    size = len(raw)
    return (_SMALL[size] if size < 64 else long_bytes(size)) + raw


def text_bytes(text: str) -> bytes:
    """`string_bytes` remembered: for the few strings that repeat (account ids, currencies)."""
    cached = _TEXTS.get(text)
    if cached is None:
        if len(_TEXTS) >= _CACHE_LIMIT:
            _TEXTS.clear()
        cached = _TEXTS[text] = string_bytes(text)
    return cached


def decimal_bytes(amount: Decimal) -> bytes:
    """An Avro `bytes` decimal (precision 24, scale 8) as fastavro writes it: minimal two's complement.

    ValueError, as fastavro raises, for more than 24 digits or more than 8 decimals.
    """
    if amount.same_quantum(_QUANTUM):  # 8 decimals exactly, as every amount here: no digit tuple
        unscaled = int(amount.scaleb(SCALE, _EXACT))
        if -_LIMIT < unscaled < _LIMIT:
            size = (abs(unscaled).bit_length() + 8) // 8
            return _SMALL[size] + unscaled.to_bytes(size, "big", signed=True)
    sign, digits, exponent = amount.as_tuple()
    if not isinstance(exponent, int):
        raise ValueError(f"{amount} is not a finite decimal")
    if len(digits) > PRECISION:
        raise ValueError("The decimal precision is bigger than allowed by schema")
    if exponent + SCALE < 0:
        raise ValueError("Scale provided in schema does not match the decimal")
    unscaled = int(amount.scaleb(SCALE, _EXACT))
    size = ((-unscaled if sign else unscaled).bit_length() + 8) // 8
    raw = unscaled.to_bytes(size, "big", signed=True)
    return _SMALL[size] + raw  # at most 11 bytes for 24 digits


# ---------------------------------------------------------------- TransactionRequest


def read_request(body: bytes | memoryview, start: int = 5) -> Request | None:
    """A TransactionRequest body (from offset `start`) as a Request; None where fastavro must decide.

    Reads guid (uuid string), account_id, type (enum), amount (decimal), currency,
    target_currency (null or string) and requested_at (long, not needed by the rules).
    """
    try:
        if body[start] != 72 or not _CANONICAL_UUID.fullmatch(body, start + 1, start + 37):
            return None  # not 36 bytes of canonical uuid: fastavro normalises it through uuid.UUID
        guid = str(body[start + 1 : start + 37], "ascii")
        pos = start + 37
        z = body[pos]
        pos += 1
        if z & 0x81:
            return None  # a length >= 64 (or negative): not an account id we read here
        size = z >> 1
        account_id = str(body[pos : pos + size], "utf-8")
        pos += size
        index = body[pos] >> 1
        if body[pos] & 0x81 or index >= len(TYPES):
            return None
        pos += 1
        z = body[pos]
        pos += 1
        if z & 0x81 or not z:
            return None  # no bytes, or a varint beyond one byte: fastavro decides
        size = z >> 1
        raw = body[pos : pos + size]
        if len(raw) != size:
            return None
        pos += size
        unscaled = int.from_bytes(raw, "big", signed=True)
        if not -_LIMIT < unscaled < _LIMIT:
            return None  # fastavro rounds to 24 digits: leave that to it
        amount = Decimal(unscaled).scaleb(-SCALE, _EXACT)
        z = body[pos]
        pos += 1
        if z & 0x81:
            return None
        size = z >> 1
        currency = str(body[pos : pos + size], "utf-8")
        pos += size
        branch = body[pos]
        pos += 1
        if branch == 0:
            target = None
        elif branch == 2:
            z = body[pos]
            pos += 1
            if z & 0x81:
                return None
            size = z >> 1
            target = str(body[pos : pos + size], "utf-8")
            pos += size
        else:
            return None
        # requested_at, not needed by the rules: only refused where fastavro refuses it (beyond
        # its datetime range). A long of at most 6 bytes (|n| < 2^41) is always within it.
        tail = body[pos:]
        if not (len(tail) <= 6 and tail[-1] < 0x80 and min(tail[:-1], default=0x80) >= 0x80):
            z = body[pos]
            pos += 1
            stamp = z & 0x7F
            shift = 7
            while z & 0x80:
                z = body[pos]
                pos += 1
                stamp |= (z & 0x7F) << shift
                shift += 7
            if not _FIRST_MS <= (stamp >> 1) ^ -(stamp & 1) <= _LAST_MS:
                return None
    except (IndexError, UnicodeDecodeError):
        return None
    return Request(guid, account_id, TYPES[index], amount, currency, target)


def first_string(body: bytes | memoryview, start: int = 5) -> str:
    """The first field of a record whose first field is a string (the outcomes' guid)."""
    pos = start
    z = shift = size = 0
    while True:
        z = body[pos]
        pos += 1
        size |= (z & 0x7F) << shift
        shift += 7
        if not z & 0x80:
            break
    size = (size >> 1) ^ -(size & 1)
    if size < 0 or pos + size > len(body):
        raise ValueError("not a string")
    return str(body[pos : pos + size], "utf-8")


# ---------------------------------------------------------------- outcomes and balances

_NULL = b"\x00"
_SOME = b"\x02"
_TYPE = {symbol: long_bytes(i) for i, symbol in enumerate(TYPES)}
_SIDE = {symbol: long_bytes(i) for i, symbol in enumerate(SIDES)}
_REASON = {symbol: long_bytes(i) for i, symbol in enumerate(REASONS)}


def _enum(table: Mapping[str, bytes], symbol: str) -> bytes:
    try:
        return table[symbol]
    except KeyError:
        raise ValueError(f"{symbol!r} is not a symbol of the enum") from None


def write_success(
    guid: str,
    account_id: str,
    type_: str,
    debit_amount: Decimal | None,
    debit_currency: str | None,
    credit_amount: Decimal | None,
    credit_currency: str | None,
    rate: tuple[str, str, str, Decimal, int] | None,
    processed_at: int,
) -> bytes:
    """A Transaction body; `rate` is (base, quote, side, price, rate_timestamp) or None."""
    parts = [
        string_bytes(guid),
        text_bytes(account_id),
        _enum(_TYPE, type_),
        _NULL if debit_amount is None else _SOME + decimal_bytes(debit_amount),
        _NULL if debit_currency is None else _SOME + text_bytes(debit_currency),
        _NULL if credit_amount is None else _SOME + decimal_bytes(credit_amount),
        _NULL if credit_currency is None else _SOME + text_bytes(credit_currency),
    ]
    if rate is None:
        parts.append(_NULL)
    else:
        base, quote, side, price, stamp = rate
        parts += [_SOME, text_bytes(base), text_bytes(quote), _enum(_SIDE, side),
                  decimal_bytes(price), long_bytes(stamp)]  # fmt: skip
    parts.append(long_bytes(processed_at))
    return b"".join(parts)


def write_rejection(
    guid: str,
    account_id: str,
    type_: str,
    amount: Decimal | None,
    currency: str | None,
    target_currency: str | None,
    reason: str,
    message: str,
    rejected_at: int,
) -> bytes:
    """A TransactionRejected body."""
    return b"".join(
        (
            string_bytes(guid),
            text_bytes(account_id),
            _enum(_TYPE, type_),
            _NULL if amount is None else _SOME + decimal_bytes(amount),
            _NULL if currency is None else _SOME + text_bytes(currency),
            _NULL if target_currency is None else _SOME + text_bytes(target_currency),
            _enum(_REASON, reason),
            string_bytes(message),
            long_bytes(rejected_at),
        )
    )


def write_balance(account_id: str, currency: str, amount: Decimal, last_guid: str, updated_at: int) -> bytes:
    """A Balance body (the changelog's value)."""
    return b"".join(
        (
            text_bytes(account_id),
            text_bytes(currency),
            decimal_bytes(amount),
            string_bytes(last_guid),
            long_bytes(updated_at),
        )
    )
