"""The rate service against Kafka alone: a recorded feed over a loopback websocket in, best bid/ask out."""

from __future__ import annotations

import json
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest
from exchange_testing import Running, private_topics

from services.common import Codecs, ServiceConfig
from services.common.topics import latest, read_topic, wait_for
from services.rate import Books, RateService
from services.rate.server import DEFAULT_FEED, load_feed

pytestmark = pytest.mark.kafka


@pytest.fixture
def exchange(kafka_cluster: str, registry: str) -> Iterator[tuple[ServiceConfig, Codecs]]:
    """A private copy of the exchange's topics (unique prefix), deleted afterwards."""
    with private_topics(kafka_cluster, registry, "r") as exchange:
        yield exchange


def rates(config, codecs) -> dict:
    return latest(read_topic(config, codecs, "exchange-rate", idle=0.3, timeout=5))


def test_best_bid_and_ask_per_pair_and_malformed_messages_are_skipped(exchange, tmp_path: Path) -> None:
    config, codecs = exchange
    feed = tmp_path / "feed.jsonl"
    lines = [
        json.dumps({"type": "subscriptions", "channels": []}),
        json.dumps(
            {
                "type": "snapshot",
                "product_id": "BTC-USD",
                "bids": [["90000.10", "1"], ["89999", "2"]],
                "asks": [["90010.5", "1"], ["90020", "1"]],
            }
        ),  # fmt: skip
        "this is not json",
        json.dumps(
            {
                "type": "l2update",
                "product_id": "BTC-USD",
                "time": "2026-01-05T14:30:00.100Z",
                "changes": [["sell", "90010.5", "0"], ["buy", "90001", "0.5"]],
            }
        ),  # fmt: skip
        json.dumps({"type": "l2update", "product_id": "BTC-USD", "changes": [["buy", "oops", "1"]]}),
        json.dumps(
            {"type": "l2update", "product_id": "ETH-USD", "changes": [["buy", "1", "1"]]}
        ),  # no snapshot
        json.dumps(
            {"type": "snapshot", "product_id": "ETH-BTC", "bids": [["0.034", "3"]], "asks": [["0.0341", "1"]]}
        ),
    ]
    feed.write_text("\n".join(lines) + "\n")
    service = RateService(config, feed_file=feed, products=("BTC-USD", "ETH-USD", "ETH-BTC"), speed=100)
    with Running(service):
        got = wait_for(lambda: (r := rates(config, codecs)).get("BTC-USD", {}).get("bid") == Decimal("90001")
                       and "ETH-BTC" in r and r, what="both pairs")  # fmt: skip
    assert (got["BTC-USD"]["bid"], got["BTC-USD"]["ask"]) == (Decimal("90001"), Decimal("90020"))
    assert (got["BTC-USD"]["base"], got["BTC-USD"]["quote"]) == ("BTC", "USD")
    assert got["BTC-USD"]["timestamp"].year == 2026
    assert (got["ETH-BTC"]["bid"], got["ETH-BTC"]["ask"]) == (Decimal("0.034"), Decimal("0.0341"))
    assert "ETH-USD" not in got
    assert service.counts["malformed"] == 3


def test_the_recorded_feed_ends_at_the_books_final_prices(exchange) -> None:
    config, codecs = exchange
    books = Books()
    for _, message in load_feed(DEFAULT_FEED):
        books.apply(message)
    final = {p: (b.best_bid(), b.best_ask()) for p, b in books.books.items()}
    with Running(RateService(config, speed=1000)):
        got = wait_for(lambda: (r := rates(config, codecs)) and all(
            p in r and (r[p]["bid"], r[p]["ask"]) == final[p] for p in final) and r,
            timeout=60, what="the final prices")  # fmt: skip
    assert sorted(got) == sorted(final)
