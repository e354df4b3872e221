"""Generate the recorded level2 feed the rate service replays offline (deterministic; seed 2026).

    python -m services.rate.generate_feed [--out services/rate/feed/level2.jsonl] [--updates 1500]

The output is what a Coinbase `level2` subscription sends, one JSON message per line: a
`subscriptions` acknowledgement, one `snapshot` per product (40 levels a side), then `l2update`
messages in time order whose changes follow a random walk of each product's mid price: sizes
change at the top of the book, levels appear, and levels whose price the mid crossed are removed
(size "0"), so the book never crosses. Prices use each product's tick size and are consistent
across products (EUR-USD x BTC-EUR ~ BTC-USD). Fiat pairs are not on Coinbase's crypto feed;
they are here so that every currency of the exchange can be valued in USD.
"""

from __future__ import annotations

import argparse
import json
import random
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

DEFAULT_OUT = Path(__file__).with_name("feed") / "level2.jsonl"

USD_PRICE = {"BTC": 91250.0, "ETH": 3105.0, "EUR": 1.0845, "GBP": 1.2630, "USD": 1.0}
PRODUCTS = {  # product -> tick size
    "BTC-USD": "0.01", "BTC-EUR": "0.01", "BTC-GBP": "0.01", "ETH-USD": "0.01", "ETH-EUR": "0.01",
    "ETH-GBP": "0.01", "ETH-BTC": "0.00001", "EUR-USD": "0.0001", "GBP-USD": "0.0001",
}  # fmt: skip
LEVELS = 40


def _fmt(value: float, tick: str) -> str:
    return str((Decimal(value) / Decimal(tick)).to_integral_value() * Decimal(tick))


def _size(rng: random.Random, base: str) -> str:
    scale = {"BTC": 0.5, "ETH": 8.0, "EUR": 25000.0, "GBP": 20000.0}[base]
    return f"{rng.uniform(0.001, 1) * scale:.8f}"


class Product:
    def __init__(self, name: str, tick: str, rng: random.Random) -> None:
        self.name, self.tick, self.rng = name, tick, rng
        base, quote = name.split("-")
        self.base = base
        self.mid = USD_PRICE[base] / USD_PRICE[quote]
        self.step = float(tick)
        self.bids: dict[str, str] = {}
        self.asks: dict[str, str] = {}

    def snapshot(self) -> dict:
        half = self.step * 2
        for i in range(LEVELS):
            self.bids[_fmt(self.mid - half - i * self.step * 3, self.tick)] = _size(self.rng, self.base)
            self.asks[_fmt(self.mid + half + i * self.step * 3, self.tick)] = _size(self.rng, self.base)
        return {
            "type": "snapshot", "product_id": self.name,
            "bids": sorted(([p, s] for p, s in self.bids.items()), key=lambda x: -float(x[0])),
            "asks": sorted(([p, s] for p, s in self.asks.items()), key=lambda x: float(x[0])),
        }  # fmt: skip

    def update(self) -> list[list[str]]:
        rng = self.rng
        self.mid *= 1 + rng.gauss(0, 0.00006)
        changes = []
        half = self.step * 2
        for price in [p for p in self.bids if float(p) >= self.mid - self.step]:
            del self.bids[price]
            changes.append(["buy", price, "0"])
        for price in [p for p in self.asks if float(p) <= self.mid + self.step]:
            del self.asks[price]
            changes.append(["sell", price, "0"])
        for side, levels in (("buy", self.bids), ("sell", self.asks)):  # keep both sides 10 levels deep
            k = 0
            while len(levels) < 10:
                offset = half + k * self.step * 3
                price = _fmt(self.mid - offset if side == "buy" else self.mid + offset, self.tick)
                if price not in levels:
                    levels[price] = _size(rng, self.base)
                    changes.append([side, price, levels[price]])
                k += 1
        sides = [side for side, levels in (("buy", self.bids), ("sell", self.asks)) if len(levels) < 30]
        for _ in range(rng.randint(1, 3)):
            side = sides.pop() if sides else rng.choice(["buy", "sell"])
            offset = half + rng.randint(0, 6) * self.step
            price = _fmt(self.mid - offset if side == "buy" else self.mid + offset, self.tick)
            levels = self.bids if side == "buy" else self.asks
            if rng.random() < 0.2 and len(levels) > 30:
                victim = rng.choice(sorted(levels))
                del levels[victim]
                changes.append([side, victim, "0"])
            else:
                levels[price] = _size(rng, self.base)
                changes.append([side, price, levels[price]])
        return changes


def generate(updates: int, seed: int = 2026) -> list[dict]:
    """The feed's messages."""
    rng = random.Random(seed)
    products = [Product(name, tick, rng) for name, tick in PRODUCTS.items()]
    clock = datetime(2026, 1, 5, 14, 30, tzinfo=UTC)
    stamp = lambda: clock.isoformat(timespec="microseconds").replace("+00:00", "Z")  # noqa: E731
    messages: list[dict] = [
        {"type": "subscriptions", "channels": [{"name": "level2", "product_ids": list(PRODUCTS)}]}
    ]
    for product in products:
        messages.append({**product.snapshot(), "time": stamp()})
    for _ in range(updates):
        clock += timedelta(milliseconds=rng.randint(5, 60))
        product = rng.choice(products)
        messages.append(
            {"type": "l2update", "product_id": product.name, "time": stamp(), "changes": product.update()}
        )
    return messages


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    parser.add_argument("--updates", type=int, default=1500)
    args = parser.parse_args()
    messages = generate(args.updates)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text("".join(json.dumps(m, separators=(",", ":")) + "\n" for m in messages))
    print(f"{args.out}: {len(messages)} messages, {args.out.stat().st_size // 1024} KiB")


if __name__ == "__main__":
    main()
