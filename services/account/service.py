"""The account service: a sink from `account-request` into the legacy SQL store, a source to `account`.

Sink (at-least-once delivery made exactly-once in effect): requests are read in the group
`account-sink` with auto-commit off; each is applied in one SQL transaction that also records its
guid, and the offsets are committed after the SQL commit. A crash in between redelivers requests
whose guid is already recorded, so they change nothing.

Source (the JDBC connector's timestamp+incrementing mode): rows changed after the position
(updated_at, account_id) and at least `delay_ms` old are published to `account` in one Kafka
transaction per poll. The position is not kept anywhere else: it is the greatest
(updated_at, account_id) on the compacted `account` topic itself, read back on start, so it is
exactly as durable as what was published: a restart neither republishes everything nor misses
a row. The delay covers a row whose SQL transaction commits after a later timestamp was published
(the sink is the only writer and stamps rows just before committing, so 100 ms is ample).
"""

from __future__ import annotations

import threading
import time
from pathlib import Path

from confluent_kafka import Consumer, KafkaError, Producer

from govern.kafka import client_config
from services.account.store import AccountStore, account_value
from services.common import Codecs, ServiceConfig, Table, log
from services.common.records import millis, now_ms

NAME = "account"
DEFAULT_STORE = Path(".govern") / "accounts.sqlite"


class AccountService:
    """Runs the sink and the source of the legacy account store in one thread."""

    name = NAME

    def __init__(
        self,
        config: ServiceConfig,
        *,
        store: str | Path = DEFAULT_STORE,
        poll_interval: float = 0.2,
        delay_ms: int = 100,
    ) -> None:
        self.config = config
        if not str(store).startswith(("postgres", "sqlite:")) and str(store) != ":memory:":
            Path(store).parent.mkdir(parents=True, exist_ok=True)
        self.store = AccountStore(store)
        self.codecs = Codecs(config)
        self.poll_interval = poll_interval
        self.delay_ms = delay_ms
        self.requests_topic = config.topic("account-request")
        self.account_topic = config.topic("account")
        self.position: tuple[int, str] = (0, "")
        self.ready = threading.Event()
        self.counts = {"applied": 0, "duplicate": 0, "refused": 0, "published": 0, "undecodable": 0}

    def restore_position(self) -> tuple[int, str]:
        """The greatest (updated_at, account_id) already on the `account` topic."""
        table = Table.restored(self.config, self.codecs, "account", name=f"{NAME}.position")
        best = (0, "")
        for value in table.values.values():
            best = max(best, (millis(value["updated_at"]), value["account_id"]))
        return best

    # ---------------------------------------------------------------- sink

    def sink(self, consumer: Consumer) -> None:
        """Apply the requests that arrived (one SQL transaction each), then commit their offsets."""
        messages = consumer.consume(500, 0.05)
        applied = False
        for msg in messages:
            if msg.error() is not None:
                if msg.error().code() != KafkaError._PARTITION_EOF:
                    log(NAME, "consume_error", error=msg.error().str())
                continue
            applied = True
            try:
                request = self.codecs.decode("account-request", msg.value())
            except Exception as error:  # noqa: BLE001 - counted and skipped, never fatal
                self.counts["undecodable"] += 1
                log(NAME, "undecodable", offset=msg.offset(), error=error)
                continue
            result = self.store.apply(request)
            key = (
                "applied" if result.changed else ("duplicate" if result.outcome == "duplicate" else "refused")
            )
            self.counts[key] += 1
            log(NAME, result.outcome, guid=str(request["guid"]), account=request["account_id"],
                action=request["action"], detail=result.detail or None)  # fmt: skip
        if applied:
            consumer.commit(asynchronous=False)

    # ---------------------------------------------------------------- source

    def source(self, producer: Producer) -> int:
        """Publish the rows changed since the position in one Kafka transaction; returns how many."""
        rows = self.store.changed_since(*self.position, until=now_ms() - self.delay_ms)
        if not rows:
            return 0
        producer.begin_transaction()
        try:
            for row in rows:
                producer.produce(self.account_topic, key=row["account_id"].encode("utf-8"),
                                 value=self.codecs.encode("account", account_value(row)))  # fmt: skip
            producer.commit_transaction(30)
        except BaseException:
            producer.abort_transaction(30)
            raise
        last = rows[-1]
        self.position = (last["updated_at"], last["account_id"])
        self.counts["published"] += len(rows)
        log(NAME, "published", rows=len(rows), position=f"{self.position[0]}/{self.position[1]}")
        return len(rows)

    # ---------------------------------------------------------------- lifecycle

    def run(self, stop: threading.Event) -> None:
        """Sink and source until `stop` is set."""
        producer = Producer(client_config(self.config.bootstrap, **{
            "transactional.id": self.config.transactional_id(f"{NAME}-source"), "linger.ms": 2,
        }))  # fmt: skip
        producer.init_transactions(30)  # aborts a previous incarnation's open transaction first
        self.position = self.restore_position()
        consumer = Consumer(client_config(self.config.bootstrap, **{
            "group.id": self.config.group_id(f"{NAME}-sink"), "enable.auto.commit": False,
            "auto.offset.reset": "earliest", "isolation.level": "read_committed", "fetch.wait.max.ms": 50,
        }))  # fmt: skip
        consumer.subscribe([self.requests_topic])
        log(NAME, "started", position=f"{self.position[0]}/{self.position[1]}")
        self.ready.set()
        next_poll = 0.0
        try:
            while not stop.is_set():
                self.sink(consumer)
                if time.monotonic() >= next_poll:
                    self.source(producer)
                    next_poll = time.monotonic() + self.poll_interval
        finally:
            consumer.close()
            producer.flush(5)
            self.store.close()
            log(NAME, "stopped", **self.counts)
