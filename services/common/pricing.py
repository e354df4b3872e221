"""Exchange pricing with Decimal: selling the base currency yields amount x bid, buying it costs amount / ask.

A rate keyed `BASE-QUOTE` quotes QUOTE per one BASE. A client selling BASE for QUOTE is paid at
the bid; a client buying BASE with QUOTE pays the ask. (The reference implementation inverted
this; see shared/reference/reference-exchange-platform.md §7.3.)

Rounding: the credited amount is truncated (ROUND_DOWN) to the schemas' scale of 8 decimals, in
the house's favour: a client never receives more than the exact value, at most 1e-8 less. The
computation itself runs at 60 significant digits, so the only rounding is that final one.
"""

from __future__ import annotations

import decimal
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import ROUND_DOWN, Decimal
from typing import NamedTuple

SCALE = Decimal("0.00000001")
"""Every amount and price has 8 decimals (Avro decimal, precision 24, scale 8)."""

MAX_AMOUNT = Decimal(10) ** 16
"""Amounts must stay below 10^16: 24 digits of precision, 8 of them after the point."""

_CONTEXT = decimal.Context(prec=60, rounding=ROUND_DOWN)


@dataclass(frozen=True)
class Rate:
    """Best bid and ask of one pair, in QUOTE per one BASE, and when the book held them."""

    base: str
    quote: str
    bid: Decimal
    ask: Decimal
    timestamp: int = 0  #: epoch milliseconds

    @property
    def key(self) -> str:
        return f"{self.base}-{self.quote}"


class Priced(NamedTuple):
    """The amount an exchange credits, and the side and price of the rate that produced it.

    A NamedTuple (immutable, and cheaper to make than a frozen dataclass: one per exchange)."""

    credit: Decimal
    side: str  #: "BID" (client sold the base) or "ASK" (client bought it)
    price: Decimal
    rate: Rate


def quantize(amount: Decimal) -> Decimal:
    """`amount` truncated to 8 decimals (the house's rounding)."""
    return amount.quantize(SCALE, rounding=ROUND_DOWN, context=_CONTEXT)


def price_exchange(amount: Decimal, sell: str, buy: str, rates: Mapping[str, Rate]) -> Priced | None:
    """Price selling `amount` of `sell` for `buy`; None when no usable rate (or a zero price) is known.

    `rates` maps `BASE-QUOTE` keys to rates. `SELL-BUY` means the client sells the base (bid);
    `BUY-SELL` means the client buys the base (ask).
    """
    direct = rates.get(f"{sell}-{buy}")
    if direct is not None and direct.bid > 0:
        return Priced(quantize(_CONTEXT.multiply(amount, direct.bid)), "BID", direct.bid, direct)
    inverse = rates.get(f"{buy}-{sell}")
    if inverse is not None and inverse.ask > 0:
        return Priced(quantize(_CONTEXT.divide(amount, inverse.ask)), "ASK", inverse.ask, inverse)
    return None


def value_in(
    amount: Decimal, currency: str, target: str, rates: Mapping[str, Rate]
) -> tuple[Decimal, Rate | None] | None:
    """What `amount` of `currency` is worth in `target` if sold now (the same prices as an exchange).

    Returns (value, rate used or None when no conversion was needed), or None without a rate.
    """
    if currency == target:
        return amount, None
    priced = price_exchange(amount, currency, target, rates)
    if priced is None:
        return None
    return priced.credit, priced.rate
