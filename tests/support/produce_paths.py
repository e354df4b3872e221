"""Runs a replay test on both produce paths: native (librdkafka's C API) and confluent-kafka's Producer.

Import the fixture into a test module (`from produce_paths import produce_path  # noqa: F401`) and
name `produce_path` in a test's arguments. GOVERN_NO_NATIVE reaches child processes (`govern
replay` in a subprocess) through the environment; in-process replays are also checked to have
taken the native path when it was asked for, so a silent fallback cannot pass for it.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from typing import Any

import pytest

from govern.recording.spool import native_status


@pytest.fixture(name="produce_path", params=["native", "python"])
def _produce_path(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    if request.param == "python":
        monkeypatch.setenv("GOVERN_NO_NATIVE", "1")
        yield "python"
        return
    monkeypatch.delenv("GOVERN_NO_NATIVE", raising=False)
    enabled, how = native_status()
    assert enabled, f"the native produce path is unavailable: {how}"
    replay_module = sys.modules["govern.recording.replay"]
    real = replay_module.native_producer
    made: list[Any] = []

    def spy(config: dict[str, Any], errors: list[str]) -> Any:
        made.append(real(config, errors))
        return made[-1]

    monkeypatch.setattr(replay_module, "native_producer", spy)
    yield "native"
    assert None not in made, "a replay fell back to confluent-kafka's Producer"
