"""The rate service: order books from a level2 websocket feed, best bid and ask per pair on `exchange-rate`.

By default it serves the recorded feed (`feed/level2.jsonl`, made by `generate_feed.py`) on a
loopback websocket and reads it back through the same client code a live feed uses; `feed_url`
points it at a live Coinbase-style feed instead (e.g. wss://ws-feed.exchange.coinbase.com). It
subscribes to `level2` for its products, keeps one `OrderBook` per product and, every
`flush_interval`, publishes the pairs whose best bid or ask changed (coalesced: the latest only),
keyed `BASE-QUOTE`. A crossed or one-sided book publishes nothing. Malformed messages are counted
and skipped, never fatal; a dropped connection is reopened with backoff (a new snapshot follows).

Delivery: an idempotent producer, not a transaction: `exchange-rate` is a compacted latest-value
table, so a rate re-sent after a crash is harmless; consumers read it `read_committed` like
everything else.
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
from pathlib import Path
from typing import Any

from confluent_kafka import Producer
from websockets.asyncio.client import connect
from websockets.exceptions import WebSocketException

from govern.kafka import client_config
from services.common import Codecs, ServiceConfig, log
from services.common.pricing import quantize
from services.common.records import now_ms
from services.rate.orderbook import Books, FeedError
from services.rate.server import DEFAULT_FEED, feed_server

NAME = "rate"
DEFAULT_PRODUCTS = (
    "BTC-USD",
    "BTC-EUR",
    "BTC-GBP",
    "ETH-USD",
    "ETH-EUR",
    "ETH-GBP",
    "ETH-BTC",
    "EUR-USD",
    "GBP-USD",
)


class RateService:
    """Publishes the best bid and ask of every product of a level2 feed (see the module docstring)."""

    name = NAME

    def __init__(
        self,
        config: ServiceConfig,
        *,
        feed_url: str | None = None,
        feed_file: Path = DEFAULT_FEED,
        products: tuple[str, ...] = DEFAULT_PRODUCTS,
        speed: float = 10.0,
        flush_interval: float = 0.1,
    ) -> None:
        self.config = config
        self.feed_url = feed_url
        self.feed_file = feed_file
        self.products = products
        self.speed = speed
        self.flush_interval = flush_interval
        self.codecs = Codecs(config)
        self.topic = config.topic("exchange-rate")
        self.books = Books()
        self.pending: dict[str, dict[str, Any]] = {}
        self.last: dict[str, tuple[Any, Any]] = {}
        self.counts = {"messages": 0, "malformed": 0, "published": 0, "crossed": 0}
        self.ready = threading.Event()  #: set once the first rates were published

    def handle(self, raw: str | bytes) -> None:
        """Apply one feed message to the books; queue the pair's rate if its best prices changed."""
        self.counts["messages"] += 1
        try:
            changed = self.books.apply(json.loads(raw))
        except (FeedError, ValueError, TypeError) as error:
            self.counts["malformed"] += 1
            if self.counts["malformed"] <= 10 or self.counts["malformed"] % 100 == 0:
                log(NAME, "malformed", count=self.counts["malformed"], error=str(error)[:200])
            return
        if changed is None:
            return
        product, stamp = changed
        book = self.books.books[product]
        bid, ask = book.best_bid(), book.best_ask()
        if bid is None or ask is None or bid <= 0:
            return
        if bid >= ask:
            self.counts["crossed"] += 1
            return
        if self.last.get(product) == (bid, ask):
            return
        self.last[product] = (bid, ask)
        base, quote = product.split("-")
        stamp = stamp or now_ms()
        self.pending[product] = {
            "base": base,
            "quote": quote,
            "bid": quantize(bid),
            "ask": quantize(ask),
            "timestamp": stamp,
        }

    def flush(self, producer: Producer) -> int:
        """Send the pending rates (latest per pair); returns how many."""
        pending, self.pending = self.pending, {}
        for product, value in pending.items():
            producer.produce(
                self.topic, key=product.encode("utf-8"), value=self.codecs.encode("exchange-rate", value)
            )
        producer.poll(0)
        self.counts["published"] += len(pending)
        if pending and not self.ready.is_set():
            producer.flush(10)
            self.ready.set()
            log(NAME, "first_rates", pairs=len(pending))
        return len(pending)

    async def _read(self, url: str, stop: threading.Event) -> None:
        backoff = 0.5
        while not stop.is_set():
            try:
                async with connect(url, max_size=2**24, open_timeout=10) as ws:
                    await ws.send(json.dumps({"type": "subscribe", "product_ids": list(self.products),
                                              "channels": ["level2"]}))  # fmt: skip
                    log(NAME, "connected", url=url, products=",".join(self.products))
                    backoff = 0.5
                    async for raw in ws:
                        self.handle(raw)
            except (OSError, TimeoutError, WebSocketException) as error:
                log(NAME, "disconnected", url=url, error=repr(error), retry_in=backoff)
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 10)

    async def _main(self, stop: threading.Event) -> None:
        producer = Producer(
            client_config(self.config.bootstrap, **{"enable.idempotence": True, "linger.ms": 5})
        )
        try:
            if self.feed_url is not None:
                await self._pump(self.feed_url, producer, stop)
            else:
                async with feed_server(self.feed_file, speed=self.speed) as url:
                    log(NAME, "replaying", feed=str(self.feed_file), url=url, speed=self.speed)
                    await self._pump(url, producer, stop)
        finally:
            self.flush(producer)
            producer.flush(10)
            log(NAME, "stopped", **self.counts)

    async def _pump(self, url: str, producer: Producer, stop: threading.Event) -> None:
        reader = asyncio.create_task(self._read(url, stop))
        try:
            while not stop.is_set():
                await asyncio.sleep(self.flush_interval)
                self.flush(producer)
                if reader.done():
                    reader.result()  # re-raise a bug
        finally:
            reader.cancel()
            try:
                await reader
            except asyncio.CancelledError:
                pass

    def run(self, stop: threading.Event) -> None:
        """Run until `stop` is set."""
        started = time.monotonic()
        asyncio.run(self._main(stop))
        log(NAME, "ran", seconds=round(time.monotonic() - started, 1))
