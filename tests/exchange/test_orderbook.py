"""The rate service's order book: snapshot, l2update, size 0 removes, malformed messages leave it intact."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

from services.rate.orderbook import Books, FeedError
from services.rate.server import DEFAULT_FEED, load_feed

SNAPSHOT = {
    "type": "snapshot", "product_id": "BTC-USD",
    "bids": [["100.00", "1"], ["99.50", "2"]], "asks": [["101.00", "1"], ["102.00", "3"]],
}  # fmt: skip


def books() -> Books:
    result = Books()
    result.apply(SNAPSHOT)
    return result


def test_snapshot_seeds_best_bid_and_ask() -> None:
    book = books().books["BTC-USD"]
    assert (book.best_bid(), book.best_ask()) == (Decimal("100.00"), Decimal("101.00"))


def test_l2update_sets_and_size_zero_removes_levels() -> None:
    b = books()
    changed = b.apply({"type": "l2update", "product_id": "BTC-USD", "time": "2026-01-05T14:30:00.500Z",
                       "changes": [["buy", "100.50", "0.3"], ["sell", "101.00", "0"]]})  # fmt: skip
    assert changed == ("BTC-USD", 1767623400500)
    book = b.books["BTC-USD"]
    assert (book.best_bid(), book.best_ask()) == (Decimal("100.50"), Decimal("102.00"))
    b.apply(
        {
            "type": "l2update",
            "product_id": "BTC-USD",
            "changes": [["buy", "100.50", "0"], ["buy", "100.00", "0"]],
        }
    )
    assert book.best_bid() == Decimal("99.50")
    b.apply({"type": "l2update", "product_id": "BTC-USD", "changes": [["buy", "99.50", "0"]]})
    assert book.best_bid() is None  # an empty side


def test_a_new_snapshot_replaces_the_book() -> None:
    b = books()
    b.apply({"type": "snapshot", "product_id": "BTC-USD", "bids": [["5", "1"]], "asks": [["6", "1"]]})
    assert b.books["BTC-USD"].bids == {Decimal("5"): Decimal("1")}


def test_ignored_types_change_nothing() -> None:
    assert books().apply({"type": "subscriptions", "channels": []}) is None
    assert books().apply({"type": "heartbeat"}) is None


@pytest.mark.parametrize(
    "message",
    [
        [],
        {"type": "bogus"},
        {"type": "l2update", "product_id": "ETH-USD", "changes": [["buy", "1", "1"]]},  # before its snapshot
        {"type": "l2update", "product_id": "BTC-USD", "changes": "nope"},
        {"type": "l2update", "product_id": "BTC-USD", "changes": [["hold", "1", "1"]]},
        {"type": "l2update", "product_id": "BTC-USD", "changes": [["buy", "abc", "1"]]},
        {"type": "l2update", "product_id": "BTC-USD", "changes": [["buy", "1", "-1"]]},
        {"type": "l2update", "product_id": "BTC-USD", "changes": [["buy", "1", "NaN"]]},
        {"type": "l2update", "product_id": "BTC-USD", "changes": [["buy", 1.5, "1"]]},
        {"type": "snapshot", "product_id": "BTCUSD", "bids": [], "asks": []},
        {"type": "snapshot", "product_id": "BTC-USD", "bids": [["1"]], "asks": []},
    ],
)
def test_malformed_messages_raise_and_leave_the_book_intact(message) -> None:
    b = books()
    before = dict(b.books["BTC-USD"].bids), dict(b.books["BTC-USD"].asks)
    with pytest.raises(FeedError):
        b.apply(message)
    assert (b.books["BTC-USD"].bids, b.books["BTC-USD"].asks) == before


def test_a_bad_change_applies_none_of_its_message() -> None:
    b = books()
    with pytest.raises(FeedError):
        b.apply(
            {
                "type": "l2update",
                "product_id": "BTC-USD",
                "changes": [["buy", "100.7", "1"], ["buy", "x", "1"]],
            }
        )
    assert b.books["BTC-USD"].best_bid() == Decimal("100.00")


def test_the_recorded_feed_gives_uncrossed_two_sided_books_at_every_step() -> None:
    b = Books()
    entries = load_feed(DEFAULT_FEED)
    assert 1000 < len(entries) and DEFAULT_FEED.stat().st_size < 400_000
    for _, message in entries:
        changed = b.apply(message)
        if changed is not None:
            book = b.books[changed[0]]
            assert book.best_bid() is not None and book.best_ask() is not None
            assert book.best_bid() < book.best_ask(), changed
    assert len(b.books) == 9
    usd = {p: b.books[p].best_bid() for p in ("BTC-USD", "BTC-EUR", "EUR-USD")}
    assert abs(usd["BTC-EUR"] * usd["EUR-USD"] / usd["BTC-USD"] - 1) < Decimal("0.01")  # consistent crosses
    assert json.loads(entries[0][0])["type"] == "subscriptions"
