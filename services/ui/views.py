"""What the UI knows, materialised from the topics: accounts, wallets, rates and outcomes.

`Views.apply(topic, key, record)` takes the plain (JSON) form of a decoded record (see
`records.plain`) of one of the logical topics the UI reads. It is the UI's consumer-side
handler: the Kafka feed calls it for real records, the consumer pact tests for pact bodies.
Reads come from the web server's event loop, writes from the feed thread; a lock guards both.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Mapping
from typing import Any

READ_TOPICS = ("account", "exchange-rate", "transaction-success", "transaction-failed", "wallet")
"""The logical topics the UI reads (contracts/ui.yaml)."""

MAX_OUTCOMES = 100_000
"""Outcomes kept in memory (oldest dropped first)."""
MAX_RECENT = 50
"""Requests listed per account."""

RateListener = Callable[[dict[str, Any] | None], None]
"""Called with each new rate, and with None when the service stops."""


class Views:
    """Latest account, wallet and rate per key, and the outcome of every request guid seen."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.accounts: dict[str, dict[str, Any]] = {}
        self.wallets: dict[str, dict[str, Any]] = {}
        self.rates: dict[str, dict[str, Any]] = {}
        self._outcomes: OrderedDict[str, dict[str, Any]] = OrderedDict()
        self._requests: dict[str, dict[str, Any]] = {}
        self._by_account: dict[str, list[str]] = {}
        self._rate_listeners: list[RateListener] = []
        self.applied = 0

    # ---------------------------------------------------------------- writes

    def apply(self, topic: str, key: str | None, record: Mapping[str, Any] | None) -> None:
        """Fold one record of a logical topic into the views; unknown topics are ignored."""
        handler = _HANDLERS.get(topic)
        if handler is None:
            return
        if record is None:  # a tombstone on a compacted topic
            self._forget(topic, key)
            return
        handler(self, dict(record))
        self.applied += 1

    def _account(self, record: dict[str, Any]) -> None:
        _require(record, "account_id", "first_name", "last_name", "status")
        with self._lock:
            self.accounts[record["account_id"]] = record

    def _wallet(self, record: dict[str, Any]) -> None:
        _require(record, "account_id", "balances")
        for balance in record["balances"]:
            _require(balance, "currency", "amount")
        with self._lock:
            self.wallets[record["account_id"]] = record

    def _rate(self, record: dict[str, Any]) -> None:
        _require(record, "base", "quote", "bid", "ask", "timestamp")
        pair = f"{record['base']}-{record['quote']}"
        rate = {"pair": pair, **record}
        with self._lock:
            self.rates[pair] = rate
            listeners = list(self._rate_listeners)
        self._notify(listeners, rate)

    def _success(self, record: dict[str, Any]) -> None:
        _require(record, "guid", "account_id", "type")
        self._outcome(record, "success")

    def _failure(self, record: dict[str, Any]) -> None:
        _require(record, "guid", "account_id", "type", "reason", "message")
        self._outcome(record, "rejected")

    def _outcome(self, record: dict[str, Any], status: str) -> None:
        guid = record["guid"]
        with self._lock:
            if guid in self._outcomes:  # the first outcome of a guid is the one that counts
                return
            self._outcomes[guid] = {"status": status, "record": record}
            self._index(guid, record["account_id"])
            while len(self._outcomes) > MAX_OUTCOMES:
                self._outcomes.popitem(last=False)

    def _forget(self, topic: str, key: str | None) -> None:
        with self._lock:
            table = {"account": self.accounts, "wallet": self.wallets, "exchange-rate": self.rates}.get(topic)
            if table is not None and key is not None:
                table.pop(key, None)

    def note_request(self, request: Mapping[str, Any]) -> None:
        """Remember a request this UI published, so its outcome reads "pending" until it arrives."""
        with self._lock:
            self._requests[request["guid"]] = dict(request)
            self._index(request["guid"], request["account_id"])

    def _index(self, guid: str, account_id: str) -> None:
        guids = self._by_account.setdefault(account_id, [])
        if guid not in guids:
            guids.append(guid)
            del guids[: -MAX_RECENT * 4]

    # ---------------------------------------------------------------- reads

    def outcome(self, guid: str) -> dict[str, Any] | None:
        """`{guid, account_id, status: pending|success|rejected, request, outcome}`, None if unknown."""
        with self._lock:
            request = self._requests.get(guid)
            done = self._outcomes.get(guid)
        if request is None and done is None:
            return None
        account_id = (done["record"] if done else request)["account_id"]  # type: ignore[index]
        return {
            "guid": guid,
            "account_id": account_id,
            "status": done["status"] if done else "pending",
            "request": request,
            "outcome": done["record"] if done else None,
        }

    def recent(self, account_id: str, limit: int = MAX_RECENT) -> list[dict[str, Any]]:
        """The account's latest requests and outcomes, newest first."""
        with self._lock:
            guids = list(self._by_account.get(account_id, ()))
        found = (self.outcome(g) for g in reversed(guids))
        return [o for o in found if o is not None][:limit]

    def account(self, account_id: str) -> dict[str, Any] | None:
        with self._lock:
            return self.accounts.get(account_id)

    def wallet(self, account_id: str) -> dict[str, Any] | None:
        with self._lock:
            return self.wallets.get(account_id)

    def latest_rates(self) -> list[dict[str, Any]]:
        """The latest rate of every pair, sorted by pair."""
        with self._lock:
            return [self.rates[p] for p in sorted(self.rates)]

    def subscribe_rates(self, listener: RateListener) -> list[dict[str, Any]]:
        """Call `listener` on every new rate; returns the latest rates, atomically with subscribing."""
        with self._lock:
            self._rate_listeners.append(listener)
            return [self.rates[p] for p in sorted(self.rates)]

    def close_rate_streams(self) -> None:
        """Tell every rate listener the service is stopping (they get None)."""
        with self._lock:
            listeners = list(self._rate_listeners)
        self._notify(listeners, None)

    def _notify(self, listeners: list[RateListener], rate: dict[str, Any] | None) -> None:
        """Call each listener; one that fails (its event loop is gone) is dropped, never the feed."""
        for listener in listeners:
            try:
                listener(rate)
            except RuntimeError:
                self.unsubscribe_rates(listener)

    def unsubscribe_rates(self, listener: RateListener) -> None:
        with self._lock:
            if listener in self._rate_listeners:
                self._rate_listeners.remove(listener)


class RecordShapeError(ValueError):
    """A record lacks a field the UI needs."""


def _require(record: Mapping[str, Any], *names: str) -> None:
    missing = [n for n in names if n not in record]
    if missing:
        raise RecordShapeError(f"record lacks {', '.join(missing)}: {sorted(record)}")


_HANDLERS: dict[str, Callable[[Views, dict[str, Any]], None]] = {
    "account": Views._account,
    "wallet": Views._wallet,
    "exchange-rate": Views._rate,
    "transaction-success": Views._success,
    "transaction-failed": Views._failure,
}
