"""The UI's reader: every partition of the topics it shows, from the beginning, into `Views`.

The UI keeps no state of its own, so each start re-reads the topics (compacted ones are small;
transaction outcomes are bounded by retention). Partitions are assigned directly (no consumer
group, no rebalance wait) and the assignment is refreshed while topics appear.
"""

from __future__ import annotations

import logging
import threading
import time

from confluent_kafka import OFFSET_BEGINNING, Consumer, KafkaException, TopicPartition

from govern.kafka import client_config
from govern.serde import SerdeError
from services.common.codec import Codecs
from services.ui.records import plain
from services.ui.views import READ_TOPICS, RecordShapeError, Views

log = logging.getLogger(__name__)

REFRESH_S = 2.0
"""How often the assignment is checked for new topics or partitions."""


class Feed:
    """A background thread applying every record of the UI's topics to `views`."""

    def __init__(self, codecs: Codecs, views: Views) -> None:
        self.views = views
        self._codecs = codecs
        self._logical = {codecs.config.topic(logical): logical for logical in READ_TOPICS}
        self._consumer = Consumer(
            client_config(
                codecs.config.bootstrap,
                **{
                    "group.id": "ui-views",  # required by librdkafka; never committed nor joined
                    "enable.auto.commit": False,
                    "isolation.level": "read_committed",
                    "topic.metadata.refresh.interval.ms": 2000,
                },
            )
        )
        self._assigned: set[tuple[str, int]] = set()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="ui-feed", daemon=True)
        self.errors = 0

    def start(self) -> None:
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout)
        self._consumer.close()

    def _refresh(self) -> None:
        try:
            metadata = self._consumer.list_topics(timeout=5.0)
        except KafkaException as error:
            log.warning("ui feed: metadata failed: %s", error)
            return
        new = []
        for real in self._logical:
            topic = metadata.topics.get(real)
            if topic is None or topic.error is not None:
                continue
            for partition in topic.partitions:
                if (real, partition) not in self._assigned:
                    self._assigned.add((real, partition))
                    new.append(TopicPartition(real, partition, OFFSET_BEGINNING))
        if new:
            self._consumer.incremental_assign(new)

    def _run(self) -> None:
        next_refresh = 0.0
        while not self._stop.is_set():
            if time.monotonic() >= next_refresh:
                self._refresh()
                next_refresh = time.monotonic() + REFRESH_S
            messages = self._consumer.consume(500, 0.2)
            for message in messages:
                if message.error() is not None:
                    continue
                self._apply(message)

    def _apply(self, message) -> None:  # noqa: ANN001 - confluent_kafka.Message
        logical = self._logical[message.topic()]
        key = message.key().decode("utf-8", "replace") if message.key() is not None else None
        try:
            value = message.value()
            record = None if value is None else plain(self._codecs.decode(logical, value))
            self.views.apply(logical, key, record)
        except (SerdeError, RecordShapeError, KeyError, TypeError, ValueError) as error:
            self.errors += 1
            log.warning(
                "ui feed: skipped %s[%d]@%d: %s",
                message.topic(),
                message.partition(),
                message.offset(),
                error,
            )
