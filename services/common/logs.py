"""Structured logs: one `key=value` line per event on stderr, quoted where needed.

Services log events (`event=applied guid=… account=…`) rather than sentences, so a grep or a
log shipper can pick fields out without parsing prose.
"""

from __future__ import annotations

import logging
import sys
import time
from typing import Any

LOGGER = logging.getLogger("services")


def _fmt(value: Any) -> str:
    text = str(value)
    if text == "" or any(c in text for c in ' ="\n\t'):
        return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'
    return text


def format_event(service: str, event: str, fields: dict[str, Any]) -> str:
    """`ts=… service=… event=… k=v …` (keys in the order given)."""
    now = time.time()
    stamp = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(now)) + f".{int(now % 1 * 1000):03d}Z"
    parts = [f"ts={stamp}", f"service={_fmt(service)}", f"event={_fmt(event)}"]
    parts += [f"{key}={_fmt(value)}" for key, value in fields.items() if value is not None]
    return " ".join(parts)


def log(service: str, event: str, *, level: int = logging.INFO, **fields: Any) -> None:
    """Log one structured event of a service."""
    if LOGGER.isEnabledFor(level):
        LOGGER.log(level, format_event(service, event, fields))


def enabled(level: int = logging.INFO) -> bool:
    """Whether events at `level` are logged: check before building costly fields in a hot loop."""
    return LOGGER.isEnabledFor(level)


def setup_logging(level: str = "INFO") -> None:
    """Send service events (and librdkafka's, at WARNING) to stderr as bare lines; idempotent."""
    if getattr(setup_logging, "_done", False):
        LOGGER.setLevel(level.upper())
        return
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(message)s"))
    LOGGER.addHandler(handler)
    LOGGER.setLevel(level.upper())
    LOGGER.propagate = False
    kafka_logger = logging.getLogger("govern.kafka.librdkafka")
    kafka_logger.addHandler(handler)
    kafka_logger.setLevel(logging.WARNING)
    setup_logging._done = True  # type: ignore[attr-defined]
