"""An order book per product from a Coinbase-style level2 feed: a snapshot seeds it, l2update sets levels.

Messages (as Coinbase's `level2` channel sends them):
- `{"type": "snapshot", "product_id": "BTC-USD", "bids": [[price, size], …], "asks": [[price, size], …]}`
- `{"type": "l2update", "product_id": "BTC-USD", "time": ISO-8601, "changes": [[side, price, size], …]}`
  where side is "buy" (a bid) or "sell" (an ask) and size "0" removes the level.
Other types (subscriptions, heartbeat, ticker) are ignored. A malformed message raises
`FeedError`, which the caller counts and skips; the books are left as they were.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

IGNORED_TYPES = frozenset({"subscriptions", "heartbeat", "ticker", "status"})


class FeedError(ValueError):
    """A feed message that cannot be applied (not JSON, missing fields, bad numbers, unknown side)."""


def _decimal(text: Any, what: str) -> Decimal:
    if not isinstance(text, str | int):
        raise FeedError(f"{what} {text!r} is not a decimal string")
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise FeedError(f"{what} {text!r} is not a decimal") from None
    if not value.is_finite() or value < 0:
        raise FeedError(f"{what} {text!r} is not a finite non-negative decimal")
    return value


@dataclass
class OrderBook:
    """Price levels of one product: price -> size, bids and asks."""

    product: str
    bids: dict[Decimal, Decimal] = field(default_factory=dict)
    asks: dict[Decimal, Decimal] = field(default_factory=dict)

    def best_bid(self) -> Decimal | None:
        return max(self.bids) if self.bids else None

    def best_ask(self) -> Decimal | None:
        return min(self.asks) if self.asks else None

    def set_level(self, side: str, price: Decimal, size: Decimal) -> None:
        levels = self.bids if side == "buy" else self.asks
        if size == 0:
            levels.pop(price, None)
        else:
            levels[price] = size


def _levels(raw: Any, what: str) -> dict[Decimal, Decimal]:
    if not isinstance(raw, list):
        raise FeedError(f"snapshot {what} is not a list")
    levels = {}
    for entry in raw:
        if not isinstance(entry, list) or len(entry) < 2:
            raise FeedError(f"snapshot {what} entry {entry!r} is not [price, size]")
        price, size = _decimal(entry[0], "price"), _decimal(entry[1], "size")
        if size > 0:
            levels[price] = size
    return levels


def _timestamp_ms(raw: Any) -> int | None:
    if not isinstance(raw, str):
        return None
    try:
        return int(datetime.fromisoformat(raw.replace("Z", "+00:00")).timestamp() * 1000)
    except ValueError:
        return None


class Books:
    """The order books of every product seen, fed one message at a time."""

    def __init__(self) -> None:
        self.books: dict[str, OrderBook] = {}

    def apply(self, message: Mapping[str, Any]) -> tuple[str, int | None] | None:
        """Apply one decoded message; returns (product, event time ms or None) when a book changed.

        Raises FeedError (the books unchanged) for a malformed message.
        """
        if not isinstance(message, Mapping):
            raise FeedError("message is not a JSON object")
        kind = message.get("type")
        if kind in IGNORED_TYPES:
            return None
        product = message.get("product_id")
        if kind not in ("snapshot", "l2update"):
            raise FeedError(f"unknown message type {kind!r}")
        if not isinstance(product, str) or product.count("-") != 1:
            raise FeedError(f"product_id {product!r} is not BASE-QUOTE")
        if kind == "snapshot":
            bids, asks = _levels(message.get("bids"), "bids"), _levels(message.get("asks"), "asks")
            self.books[product] = OrderBook(product, bids, asks)
            return product, _timestamp_ms(message.get("time"))
        book = self.books.get(product)
        if book is None:
            raise FeedError(f"l2update for {product} before its snapshot")
        changes = message.get("changes")
        if not isinstance(changes, list):
            raise FeedError("l2update changes is not a list")
        parsed = []
        for change in changes:  # validate all before applying any
            if not isinstance(change, list) or len(change) < 3 or change[0] not in ("buy", "sell"):
                raise FeedError(f"change {change!r} is not [buy|sell, price, size]")
            parsed.append((change[0], _decimal(change[1], "price"), _decimal(change[2], "size")))
        for side, price, size in parsed:
            book.set_level(side, price, size)
        return product, _timestamp_ms(message.get("time"))
