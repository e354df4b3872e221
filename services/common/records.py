"""Builders of the exchange's Avro records (as dicts) with sensible defaults, for clients, demo and tests."""

from __future__ import annotations

import time
import uuid
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from services.common.pricing import Rate, quantize


def now_ms() -> int:
    """The current time in epoch milliseconds (the schemas' timestamp-millis)."""
    return int(time.time() * 1000)


def millis(value: int | datetime) -> int:
    """Epoch milliseconds of a timestamp-millis value (fastavro decodes them as aware datetimes)."""
    if isinstance(value, datetime):
        return (
            int(value.timestamp() * 1000)
            if value.tzinfo
            else int(value.replace(tzinfo=UTC).timestamp() * 1000)
        )
    return int(value)


def rate_from_record(record: dict[str, Any]) -> Rate:
    """An ExchangeRate value (as decoded) as a pricing Rate."""
    return Rate(record["base"], record["quote"], record["bid"], record["ask"], millis(record["timestamp"]))


def money(value: str | int | Decimal) -> Decimal:
    """A Decimal with the schemas' 8 decimals (never a float)."""
    if isinstance(value, float):
        raise TypeError("money is never a float: pass a str or Decimal")
    return quantize(Decimal(value))


def account(
    account_id: str,
    first_name: str,
    last_name: str,
    *,
    status: str = "ACTIVE",
    email: str | None = None,
    created_at: int | None = None,
    updated_at: int | None = None,
) -> dict[str, Any]:
    """An Account value."""
    stamp = now_ms()
    return {
        "account_id": account_id,
        "first_name": first_name,
        "last_name": last_name,
        "email": email,
        "address": None,
        "status": status,
        "created_at": created_at or stamp,
        "updated_at": updated_at or stamp,
    }


def account_request(
    account_id: str,
    action: str = "CREATE",
    *,
    first_name: str | None = None,
    last_name: str | None = None,
    email: str | None = None,
    guid: str | None = None,
    address: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """An AccountRequest value (CREATE, UPDATE or CLOSE)."""
    return {
        "guid": guid or str(uuid.uuid4()),
        "account_id": account_id,
        "action": action,
        "first_name": first_name,
        "last_name": last_name,
        "email": email,
        "address": address,
        "requested_at": now_ms(),
    }


def transaction_request(
    account_id: str,
    type_: str,
    amount: str | Decimal,
    currency: str,
    target_currency: str | None = None,
    *,
    guid: str | None = None,
) -> dict[str, Any]:
    """A TransactionRequest value (DEPOSIT, WITHDRAW or EXCHANGE)."""
    return {
        "guid": guid or str(uuid.uuid4()),
        "account_id": account_id,
        "type": type_,
        "amount": money(amount),
        "currency": currency,
        "target_currency": target_currency,
        "requested_at": now_ms(),
    }


def exchange_rate(
    base: str, quote: str, bid: str | Decimal, ask: str | Decimal, timestamp: int | None = None
) -> dict[str, Any]:
    """An ExchangeRate value (QUOTE per one BASE)."""
    return {
        "base": base,
        "quote": quote,
        "bid": money(bid),
        "ask": money(ask),
        "timestamp": timestamp or now_ms(),
    }
