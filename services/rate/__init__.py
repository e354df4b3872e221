"""The rate service: order books from a Coinbase-style level2 feed, best bid and ask per pair."""

from services.rate.orderbook import Books, FeedError, OrderBook
from services.rate.service import DEFAULT_PRODUCTS, RateService

__all__ = ["DEFAULT_PRODUCTS", "Books", "FeedError", "OrderBook", "RateService"]
