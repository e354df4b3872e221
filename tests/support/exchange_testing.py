"""Helpers of the exchange's tests: a private copy of its topics, a service in a thread, fixture lines.

Topic I/O itself (`create_topics`, `produce`, `read_topic`, `latest`, `wait_for`) is the
exchange's own `services.common.topics`, which the demo's scenario uses too.
"""

from __future__ import annotations

import json
import secrets
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from govern.kafka import KafkaAdmin
from services.common import Codecs, ServiceConfig
from services.common.topics import create_topics, delete_topics


@contextmanager
def private_topics(bootstrap: str, registry: str, prefix: str) -> Iterator[tuple[ServiceConfig, Codecs]]:
    """A private copy of the exchange's topics (prefix `{prefix}<random hex>-`) and its codecs.

    The topics are created on entry and deleted, with the codecs closed, on exit.
    """
    config = ServiceConfig(bootstrap, registry, topic_prefix=f"{prefix}{secrets.token_hex(4)}-")
    admin = KafkaAdmin(bootstrap)
    create_topics(config, admin)
    codecs = Codecs(config)
    try:
        yield config, codecs
    finally:
        codecs.close()
        delete_topics(config, admin)


class Running:
    """A service (anything with `run(stop)`) running in a thread for the duration of a `with` block."""

    def __init__(self, service: Any, *, stop_timeout: float = 30.0) -> None:
        self.service = service
        self.stop = threading.Event()
        self.stop_timeout = stop_timeout
        self.error: BaseException | None = None
        self.thread = threading.Thread(
            target=self._run, name=getattr(service, "name", "service"), daemon=True
        )

    def _run(self) -> None:
        try:
            self.service.run(self.stop)
        except BaseException as error:  # noqa: BLE001 - re-raised in the test's thread
            self.error = error

    def __enter__(self) -> Any:
        self.thread.start()
        return self.service

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        self.thread.join(self.stop_timeout)
        if self.thread.is_alive():
            raise AssertionError(f"{self.thread.name} did not stop within {self.stop_timeout:g} s")
        if self.error is not None:
            raise self.error


def fixture_records(path: str | Path) -> list[dict[str, Any]]:
    """The record lines of a govern fixture file (its header skipped): `{"key", "value", …}` dicts."""
    lines = Path(path).read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines[1:] if line.strip()]
