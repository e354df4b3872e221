"""pytest plugin (entry point `pytest11: govern`): markers and fixtures for testing against real Kafka."""

from __future__ import annotations

import pytest


def pytest_configure(config: pytest.Config) -> None:
    for line in (
        "kafka: needs a real Apache Kafka broker (started by the kafka_cluster fixture)",
        "slow: takes more than a few seconds",
    ):
        config.addinivalue_line("markers", line)
