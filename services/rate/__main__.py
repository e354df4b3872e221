"""`python -m services.rate`: run the rate service alone (the recorded feed by default)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from services.common.config import ServiceConfig
from services.common.runner import service_main
from services.rate.server import DEFAULT_FEED
from services.rate.service import DEFAULT_PRODUCTS, RateService


def _arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--feed-url", help="a live level2 feed, e.g. wss://ws-feed.exchange.coinbase.com "
                        "(default: replay --feed-file on a loopback websocket)")  # fmt: skip
    parser.add_argument("--feed-file", type=Path, default=DEFAULT_FEED, help="recorded feed (JSON lines)")
    parser.add_argument(
        "--products", default=",".join(DEFAULT_PRODUCTS), help="comma-separated BASE-QUOTE pairs"
    )
    parser.add_argument("--speed", type=float, default=10.0, help="replay speed-up of the recorded feed")


def _build(args: argparse.Namespace, config: ServiceConfig) -> RateService:
    return RateService(config, feed_url=args.feed_url, feed_file=args.feed_file,
                       products=tuple(args.products.split(",")), speed=args.speed)  # fmt: skip


if __name__ == "__main__":
    sys.exit(
        service_main(
            "rate",
            "Build order books from a Coinbase-style level2 websocket feed and publish the best bid and ask "
            "per pair to exchange-rate.",
            _build,
            _arguments,
        )
    )
