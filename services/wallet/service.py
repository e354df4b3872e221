"""The wallet service: balances from `transaction-success`, valued with `exchange-rate`, on `wallet`.

Exactly once: `account` and `transaction-success` are consumed in the service's group inside Kafka
transactions that also carry the `wallet` snapshots, so each transaction is counted once. The state
*is* the compacted `wallet` output: a wallet is written to the partition of the input record that
changed it (account-keyed topics share partition counts and the partitioner), so on every
assignment the service restores exactly those `wallet` partitions, after `init_transactions()`
aborted whatever a previous incarnation left open.

Publishing: a full Wallet on every applied transaction and for every new account (empty). Rates
are a table (read from the beginning); when a rate changes, the wallets holding one of its
currencies are revalued and republished once per batch, and only if their content changed.
"""

from __future__ import annotations

import threading
import time
from decimal import Decimal
from typing import Any

from confluent_kafka import Message, TopicPartition

from services.common import Batch, Codecs, EosLoop, ServiceConfig, StagedState, Table, log
from services.common.pricing import Rate
from services.common.records import now_ms, rate_from_record
from services.wallet.valuation import apply_transaction, same_content, wallet_record

NAME = "wallet"
DEFAULT_REFERENCE = "USD"


class WalletService:
    """Keeps and publishes wallets exactly once (see the module docstring)."""

    name = NAME

    def __init__(
        self, config: ServiceConfig, *, reference: str = DEFAULT_REFERENCE, batch_size: int = 500
    ) -> None:
        self.config = config
        self.reference = reference
        self.codecs = Codecs(config)
        self.account_topic = config.topic("account")
        self.success_topic = config.topic("transaction-success")
        self.wallet_topic = config.topic("wallet")
        #: account -> (partition, {currency: balance}, last published Wallet value)
        self.wallets: StagedState[str, tuple[int, dict[str, Decimal], dict[str, Any] | None]] = StagedState()
        self.rates: dict[str, Rate] = {}
        self._dirty_currencies: set[str] = set()
        self.rate_table = Table.of(
            config, self.codecs, "exchange-rate", name=f"{NAME}.rates", on_update=self._rate_updated
        )
        self.published = 0
        self.loop = EosLoop(
            config,
            NAME,
            [self.account_topic, self.success_topic],
            self.process,
            on_assign=self.restore,
            on_revoke=lambda _: self._reset(),
            states=lambda: (self.wallets,),
            on_abort=self._revalue,
            batch_size=batch_size,
        )

    @property
    def ready(self) -> threading.Event:
        return self.loop.ready

    def _revalue(self) -> None:
        for rate in self.rates.values():  # the aborted batch's revaluations are redone
            self._dirty_currencies.update((rate.base, rate.quote))

    def _reset(self) -> None:
        self.wallets = StagedState()

    def _rate_updated(self, topic: str, key: str, value: dict[str, Any] | None) -> None:
        if value is None:
            old = self.rates.pop(key, None)
            if old is not None:
                self._dirty_currencies.update((old.base, old.quote))
            return
        rate = rate_from_record(value)
        if self.rates.get(key) != rate:
            self.rates[key] = rate
            self._dirty_currencies.update((rate.base, rate.quote))

    def restore(self, partitions: list[TopicPartition]) -> None:
        """Rebuild the wallets of the assigned partitions from the `wallet` topic itself."""
        self._reset()
        numbers = sorted({tp.partition for tp in partitions})
        if not numbers:
            return
        started = time.monotonic()
        table = Table.restored(self.config, self.codecs, "wallet", name=f"{NAME}.restore", partitions=numbers)
        for account, value in table.values.items():
            balances = {entry["currency"]: entry["amount"] for entry in value["balances"]}
            self.wallets.committed[account] = (table.partition_of[account], balances, value)
        self.rate_table.restore()
        self._dirty_currencies.clear()
        log(
            NAME,
            "restored",
            partitions=",".join(map(str, numbers)),
            wallets=len(self.wallets.committed),
            rates=len(self.rates),
            seconds=round(time.monotonic() - started, 3),
        )

    def _publish(
        self, account: str, partition: int, balances: dict[str, Decimal], previous, batch: Batch
    ) -> None:
        value = wallet_record(account, balances, self.rates, self.reference, now_ms())
        if same_content(previous, value):
            self.wallets[account] = (partition, balances, previous)
            return
        batch.produce(self.wallet_topic, account, self.codecs.encode("wallet", value), partition=partition)
        self.wallets[account] = (partition, balances, value)
        self.published += 1

    def process(self, messages: list[Message], batch: Batch) -> None:
        """Apply accounts and transactions, then revalue wallets touched by changed rates."""
        self.rate_table.refresh()
        for msg in messages:
            if msg.value() is None:
                continue
            topic = msg.topic()
            name = "account" if topic == self.account_topic else "transaction-success"
            try:
                record = self.codecs.decode(name, msg.value())
            except Exception as error:  # noqa: BLE001 - counted and skipped, never fatal
                log(NAME, "undecodable", topic=topic, offset=msg.offset(), error=error)
                continue
            account = record["account_id"]
            current = self.wallets.get(account)
            if name == "account":
                if current is None:
                    self._publish(account, msg.partition(), {}, None, batch)
                    log(NAME, "opened", account=account)
                continue
            balances = apply_transaction({} if current is None else current[1], record)
            self._publish(account, msg.partition(), balances, None if current is None else current[2], batch)
            log(NAME, "applied", account=account, guid=str(record["guid"]), type=record["type"])
        if self._dirty_currencies:
            dirty, self._dirty_currencies = self._dirty_currencies, set()
            for account, (partition, balances, previous) in list(self.wallets.items()):
                if dirty.intersection(balances):
                    self._publish(account, partition, balances, previous, batch)

    def run(self, stop: threading.Event) -> None:
        """Run until `stop` is set."""
        self.rate_table.restore()
        try:
            self.loop.run(stop)
        finally:
            self.rate_table.close()
            log(NAME, "published", wallets=self.published)
