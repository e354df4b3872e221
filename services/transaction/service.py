"""The transaction service on Kafka: requests in, exactly one outcome per guid out, balances in a changelog.

State, all written in the same Kafka transaction as the outcomes and the input offsets:
- balances, keyed `ACCOUNT_ID/CURRENCY` on `transaction-balance-changelog` (compacted), one
  record per balance changed in a batch (its latest value). Changelog records go to the
  partition of the request they answer, so an instance restores exactly the changelog
  partitions matching its assigned request partitions;
- answered guids: the outcomes themselves. Every answered request has exactly one committed
  record on transaction-success or transaction-failed, carrying its guid, so on every assignment
  (after `init_transactions()` has aborted whatever a previous incarnation left open) the
  service reads both outcome topics (all partitions, read_committed) and knows every guid
  answered. A redelivered guid (a client's retry) is recognised and skipped: its one outcome is
  already on the topics. The window in which a retry is recognised across a restart is
  therefore the outcome topics' retention (a retry older than that is answered again); while
  the service runs, every guid it answered since its start is remembered. (Earlier versions
  wrote one guid marker per request to the changelog: those are still read on restore.)

Ordering semantics of the tables (`account`, `exchange-rate`, read by separate consumers from
the beginning): both are read to their end before the first request is processed, and whatever
has arrived is applied before every batch. Before answering UNKNOWN_ACCOUNT or RATE_UNAVAILABLE
the service reads both tables up to their end offsets of that moment and decides again, so an
account (or a rate) committed before the request was processed is always seen. An exchange is
priced with the latest rate the service has read when it processes the request.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable
from decimal import Decimal
from typing import Any

from confluent_kafka import Message, TopicPartition

from services.common import Batch, Codecs, EosLoop, ServiceConfig, StagedState, Table, log
from services.common.logs import enabled
from services.common.pricing import Rate
from services.common.records import now_ms, rate_from_record
from services.common.table import RESTORE_TIMEOUT_S
from services.transaction.rules import DEFAULT_CURRENCIES, Applied, Rejected, Request, decide

NAME = "transaction"
CHANGELOG = "transaction-balance-changelog"  #: the catalog topic holding the balances
ZERO = Decimal("0E-8")


class TransactionService:
    """Validates and applies transaction requests exactly once (see the module docstring)."""

    name = NAME

    def __init__(
        self,
        config: ServiceConfig,
        *,
        currencies: Iterable[str] = DEFAULT_CURRENCIES,
        batch_size: int = 500,
    ) -> None:
        self.config = config
        self.currencies = frozenset(currencies)
        self.codecs = Codecs(config)
        self.requests_topic = config.topic("transaction-request")
        self.changelog_topic = config.topic(CHANGELOG)
        self.success_topic = config.topic("transaction-success")
        self.failed_topic = config.topic("transaction-failed")
        self.balances: StagedState[tuple[str, str], Decimal] = StagedState()
        self.guids: StagedState[str, bool] = StagedState()
        self.rates: dict[str, Rate] = {}
        self.accounts = Table.of(config, self.codecs, "account", name=f"{NAME}.accounts")
        self.rate_table = Table.of(
            config, self.codecs, "exchange-rate", name=f"{NAME}.rates", on_update=self._rate_updated
        )
        self._changed: dict[tuple[str, str], tuple[int, str, int]] = {}  #: balance -> partition, guid, time
        self.counts = {"applied": 0, "rejected": 0, "duplicate": 0, "undecodable": 0}
        self._logging = False  #: per-request events logged in this batch
        self.loop = EosLoop(
            config,
            NAME,
            [self.requests_topic],
            self.process,
            on_assign=self.restore,
            on_revoke=self.forget,
            states=lambda: (self.balances, self.guids),
            batch_size=batch_size,
        )

    @property
    def ready(self) -> threading.Event:
        """Set once state is restored and requests are being consumed."""
        return self.loop.ready

    def _rate_updated(self, topic: str, key: str, value: dict[str, Any] | None) -> None:
        if value is None:
            self.rates.pop(key, None)
        else:
            self.rates[key] = rate_from_record(value)

    # ---------------------------------------------------------------- state

    def restore(self, partitions: list[TopicPartition]) -> None:
        """Rebuild balances (changelog partitions matching `partitions`) and answered guids (outcomes)."""
        self.forget(partitions)
        numbers = sorted(tp.partition for tp in partitions if tp.topic == self.requests_topic)
        if not numbers:
            return
        started = time.monotonic()
        changelog = Table.restored(
            self.config, self.codecs, CHANGELOG, name=f"{NAME}.restore", partitions=numbers
        )
        for key, value in changelog.values.items():
            if "/" in key:
                self.balances.committed[(value["account_id"], value["currency"])] = value["amount"]
            else:  # a guid marker written by an earlier version
                self.guids.committed[key] = True
        self.guids.committed.update(dict.fromkeys(self._answered(), True))
        self.accounts.restore()
        self.rate_table.restore()
        log(
            NAME,
            "restored",
            partitions=",".join(map(str, numbers)),
            balances=len(self.balances.committed),
            guids=len(self.guids.committed),
            accounts=len(self.accounts.values),
            rates=len(self.rates),
            seconds=round(time.monotonic() - started, 3),
        )

    def _answered(self) -> set[str]:
        """The guid of every committed outcome (both outcome topics, all partitions, read to their end)."""
        guids: set[str] = set()

        def reader(name: str) -> Callable[[bytes], str]:
            def guid_of(raw: bytes) -> str:
                return str(self.codecs.decode(name, raw)["guid"])

            return guid_of

        Table.snapshot(
            self.config.bootstrap,
            [self.success_topic, self.failed_topic],
            {
                self.success_topic: reader("transaction-success"),
                self.failed_topic: reader("transaction-failed"),
            },
            name=f"{NAME}.answered",
            timeout=RESTORE_TIMEOUT_S,
            on_update=lambda topic, key, guid: guids.add(guid),
        )
        return guids

    def forget(self, partitions: list[TopicPartition]) -> None:
        """Drop all state (eager rebalancing revokes everything; `restore` reads back what is assigned)."""
        self.balances = StagedState()
        self.guids = StagedState()

    # ---------------------------------------------------------------- processing

    def _decide(self, request: Request) -> Applied | Rejected:
        account = self.accounts.get(request.account_id)
        return decide(
            request,
            balance=lambda currency: self.balances.get((request.account_id, currency), ZERO),
            account_status=None if account is None else account["status"],
            rates=self.rates,
            currencies=self.currencies,
        )

    def _read(self, raw: bytes) -> Request:
        """The request in a value (govern.serde through the registry)."""
        return Request.from_record(self.codecs.decode("transaction-request", raw))

    def process(self, messages: list[Message], batch: Batch) -> None:
        """Answer every request of a batch (its outputs are produced in the batch's transaction)."""
        self.accounts.refresh()
        self.rate_table.refresh()
        self._changed = {}
        self._logging = enabled()  # once per batch: the per-request events are built only if logged
        caught_up = False
        guids = self.guids
        read = self._read
        decide_ = self._decide
        emit = self._emit
        for msg in messages:
            try:
                request = read(msg.value())
            except Exception as error:  # noqa: BLE001 - a poison record is counted and skipped
                self.counts["undecodable"] += 1
                log(NAME, "undecodable", partition=msg.partition(), offset=msg.offset(), error=error)
                continue
            if request.guid in guids:
                self.counts["duplicate"] += 1
                if self._logging:
                    log(NAME, "duplicate", guid=request.guid, account=request.account_id)
                continue
            outcome = decide_(request)
            if (
                type(outcome) is Rejected
                and outcome.reason in ("UNKNOWN_ACCOUNT", "RATE_UNAVAILABLE")
                and not caught_up
            ):
                caught_up = True
                try:
                    self.accounts.catch_up()
                    self.rate_table.catch_up()
                except TimeoutError as error:
                    log(NAME, "catch_up_timeout", error=error)
                outcome = decide_(request)
            emit(request, outcome, msg.partition(), batch)
        # one changelog record per balance changed in the batch (its latest value): the topic is
        # compacted and read back only as a whole, so intermediate values would be dead weight
        for (account, currency), (partition, guid, stamp) in self._changed.items():
            amount = self.balances.get((account, currency))
            balance = self._balance(account, currency, amount, guid, stamp)
            batch.produce(self.changelog_topic, f"{account}/{currency}", balance, partition=partition)

    def _emit(self, request: Request, outcome: Applied | Rejected, partition: int, batch: Batch) -> None:
        """Stage the outcome's balances and guid and produce its one outcome record."""
        stamp = now_ms()
        account = request.account_id
        guid = request.guid
        if type(outcome) is Applied:
            changed = self._changed
            balances = self.balances
            for currency, amount in outcome.balances.items():
                balances[(account, currency)] = amount
                changed[(account, currency)] = (partition, guid, stamp)
            batch.produce(self.success_topic, account, self._success(request, outcome, stamp))
            self.counts["applied"] += 1
            if self._logging:
                log(
                    NAME,
                    "applied",
                    guid=guid,
                    account=account,
                    type=request.type,
                    debit=_amount(outcome.debit_amount, outcome.debit_currency),
                    credit=_amount(outcome.credit_amount, outcome.credit_currency),
                )
        else:
            batch.produce(self.failed_topic, account, self._rejection(request, outcome, stamp))
            self.counts["rejected"] += 1
            if self._logging:
                log(
                    NAME,
                    "rejected",
                    guid=guid,
                    account=account,
                    reason=outcome.reason,
                    message=outcome.message,
                )
        self.guids[guid] = True

    # ---------------------------------------------------------------- values

    def _success(self, request: Request, outcome: Applied, stamp: int) -> bytes:
        """The Transaction value of an applied request."""
        priced = outcome.priced
        transaction = {
            "guid": request.guid,
            "account_id": request.account_id,
            "type": request.type,
            "debit_amount": outcome.debit_amount,
            "debit_currency": outcome.debit_currency,
            "credit_amount": outcome.credit_amount,
            "credit_currency": outcome.credit_currency,
            "rate": None
            if priced is None
            else {
                "base": priced.rate.base,
                "quote": priced.rate.quote,
                "side": priced.side,
                "price": priced.price,
                "rate_timestamp": priced.rate.timestamp,
            },
            "processed_at": stamp,
        }
        return self.codecs.encode("transaction-success", transaction)

    def _rejection(self, request: Request, outcome: Rejected, stamp: int) -> bytes:
        """The TransactionRejected value of a refused request."""
        type_ = request.type if request.type in ("DEPOSIT", "WITHDRAW", "EXCHANGE") else "UNKNOWN"
        amount = request.amount if request.amount.is_finite() else None
        rejection = {
            "guid": request.guid,
            "account_id": request.account_id,
            "type": type_,
            "amount": amount,
            "currency": request.currency,
            "target_currency": request.target_currency,
            "reason": outcome.reason,
            "message": outcome.message,
            "rejected_at": stamp,
        }
        return self.codecs.encode("transaction-failed", rejection)

    def _balance(self, account: str, currency: str, amount: Decimal, guid: str, stamp: int) -> bytes:
        """The Balance value of the changelog."""
        return self.codecs.encode(
            CHANGELOG,
            {
                "account_id": account,
                "currency": currency,
                "amount": amount,
                "last_guid": guid,
                "updated_at": stamp,
            },
        )

    # ---------------------------------------------------------------- lifecycle

    def run(self, stop: threading.Event) -> None:
        """Run until `stop` is set; the tables are read to their end before the first request."""
        self._check_partitions()
        self.accounts.restore()
        self.rate_table.restore()
        try:
            self.loop.run(stop)
        finally:
            self.accounts.close()
            self.rate_table.close()
            log(NAME, "counts", **self.counts)

    def _check_partitions(self) -> None:
        requests = self.config.spec("transaction-request").partitions
        changelog = self.config.spec(CHANGELOG).partitions
        if changelog < requests:
            raise SystemExit(
                f"error: {self.changelog_topic} has {changelog} partitions, fewer than "
                f"{self.requests_topic} ({requests})\nhint: give both the same count in contracts/topics.yaml"
            )


def _amount(amount: Decimal | None, currency: str | None) -> str | None:
    return None if amount is None else f"{amount.normalize():f}{currency}"
