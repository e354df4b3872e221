"""Registry stores for tests: a `KafkaStore` that leads its topic (shared by the store suite and
the Kafka registry tests)."""

from __future__ import annotations

import time

from govern.registry.kafka_store import KafkaStore


def kafka_store(bootstrap: str, topic: str, url: str = "http://127.0.0.1:9") -> KafkaStore:
    """A `KafkaStore` on `topic`, once it leads (the test's only instance on that topic)."""
    store = KafkaStore(bootstrap, topic=topic, url=url)
    deadline = time.monotonic() + 60  # a loaded machine: the group's first join can take a while
    while not store.is_leader:
        assert time.monotonic() < deadline, "the only instance was never elected"
        time.sleep(0.05)
    return store
