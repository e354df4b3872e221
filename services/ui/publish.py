"""The UI's writer: request records, Avro through the registry, acknowledged before the 202.

Delivery reports arrive on a poll thread and complete asyncio futures on the server's loop, so
a request handler awaits its record's acknowledgement without blocking the loop.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Mapping
from typing import Any

from confluent_kafka import KafkaError, Producer

from govern.kafka import client_config
from services.common.codec import Codecs
from services.ui.records import account_request, transaction_request

WRITE_TOPICS = ("account-request", "transaction-request")
"""The logical topics the UI writes (contracts/ui.yaml)."""


SAMPLES: dict[str, dict[str, Any]] = {
    "account-request": account_request({"first_name": "A", "last_name": "B"}, "sample"),
    "transaction-request": transaction_request(
        "DEPOSIT", {"amount": "1", "currency": "USD"}, "sample", ["USD"]
    ),
}
"""One valid record per written topic, encoded (never sent) at start to register the schemas."""


class PublishError(RuntimeError):
    """Kafka refused or lost a request record."""


class Publisher:
    """Produces request records keyed by account id; `await publish(...)` returns once acked."""

    def __init__(self, codecs: Codecs) -> None:
        self._codecs = codecs
        self._real = {logical: codecs.config.topic(logical) for logical in WRITE_TOPICS}
        self._producer = Producer(
            client_config(
                codecs.config.bootstrap, **{"acks": "all", "enable.idempotence": True, "linger.ms": 1}
            )
        )
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._poll, name="ui-publish", daemon=True)

    def start(self, samples: Mapping[str, Mapping[str, Any]] = SAMPLES) -> None:
        """Register the writer schemas by encoding a sample of each (fail fast if the registry is
        down, and keep the registry call out of the first request), then start polling."""
        for logical, sample in samples.items():
            self.encode(logical, sample)
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        self._producer.flush(timeout)
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout)

    def _poll(self) -> None:
        while not self._stop.is_set():
            self._producer.poll(0.05)

    def encode(self, logical: str, record: Mapping[str, Any]) -> bytes:
        """The framed Avro bytes of a request record (no I/O once the schema is registered)."""
        return self._codecs.encode(logical, dict(record))

    async def publish(self, logical: str, key: str, record: Mapping[str, Any]) -> None:
        """Produce one record and wait for Kafka's acknowledgement; PublishError on failure."""
        value = self.encode(logical, record)
        loop = asyncio.get_running_loop()
        done: asyncio.Future[None] = loop.create_future()

        def report(error: KafkaError | None, _message: object) -> None:
            def settle() -> None:
                if done.done():
                    return
                if error is None:
                    done.set_result(None)
                else:
                    done.set_exception(PublishError(str(error)))

            loop.call_soon_threadsafe(settle)

        while True:
            try:
                self._producer.produce(self._real[logical], value, key.encode(), on_delivery=report)
                break
            except BufferError:
                await asyncio.sleep(0.01)
        await done
