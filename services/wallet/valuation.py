"""A wallet's balances and their valuation in a reference currency, as pure functions.

Each balance is valued at what selling it would yield now (the same bid/ask rule and rounding as
an exchange); the total is their sum, or None when any balance has no rate to the reference.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from services.common.pricing import Rate, quantize, value_in


def apply_transaction(balances: dict[str, Decimal], transaction: Mapping[str, Any]) -> dict[str, Decimal]:
    """The balances after one applied Transaction: minus its debit, plus its credit."""
    result = dict(balances)
    if transaction.get("debit_amount") is not None:
        currency = transaction["debit_currency"]
        result[currency] = result.get(currency, Decimal(0)) - transaction["debit_amount"]
    if transaction.get("credit_amount") is not None:
        currency = transaction["credit_currency"]
        result[currency] = result.get(currency, Decimal(0)) + transaction["credit_amount"]
    return result


def wallet_record(
    account_id: str, balances: Mapping[str, Decimal], rates: Mapping[str, Rate], reference: str, stamp: int
) -> dict[str, Any]:
    """The Wallet value: balances sorted by currency, each valued in `reference`, and the total."""
    entries = []
    total: Decimal | None = Decimal(0)
    oldest: int | None = None
    for currency in sorted(balances):
        amount = quantize(balances[currency])
        valued = value_in(amount, currency, reference, rates)
        valuation = None
        if valued is None:
            total = None
        else:
            value, rate = valued
            stamp_used = None if rate is None else rate.timestamp
            if stamp_used is not None:
                oldest = stamp_used if oldest is None else min(oldest, stamp_used)
            valuation = {"currency": reference, "amount": quantize(value), "rate_timestamp": stamp_used}
            if total is not None:
                total += value
        entries.append({"currency": currency, "amount": amount, "valuation": valuation})
    return {
        "account_id": account_id,
        "balances": entries,
        "total_valuation": None
        if total is None
        else {"currency": reference, "amount": quantize(total), "rate_timestamp": oldest},
        "updated_at": stamp,
    }


def same_content(a: Mapping[str, Any] | None, b: Mapping[str, Any]) -> bool:
    """True when two Wallet values differ at most in `updated_at` (no need to republish)."""
    if a is None:
        return False
    return {k: v for k, v in a.items() if k != "updated_at"} == {
        k: v for k, v in b.items() if k != "updated_at"
    }
